"""Names fixed by the project whose plugins are not built yet.

Each lists as unavailable with the reason "not implemented yet"; none can run.
"""


class Density:
    unavailable_reason = "not implemented yet"


class Coverage:
    unavailable_reason = "not implemented yet"


class CMD:
    unavailable_reason = "not implemented yet"


class PCD:
    unavailable_reason = "not implemented yet"


class EMD:
    unavailable_reason = "not implemented yet"


class JSD:
    unavailable_reason = "not implemented yet"


class DKC:
    unavailable_reason = "not implemented yet"


class MD:
    unavailable_reason = "not implemented yet"

"""Names fixed by the project whose plugins are not built yet.

Each lists as unavailable with the reason "not implemented yet"; none can run.
"""


class IndependentBN:
    unavailable_reason = "not implemented yet"


class SequenceBN:
    unavailable_reason = "not implemented yet"


class TVAE:
    unavailable_reason = "not implemented yet"


class CTGAN:
    unavailable_reason = "not implemented yet"


class EWGANGP:
    unavailable_reason = "not implemented yet"


class Transformer:
    unavailable_reason = "not implemented yet"


class NetShare:
    unavailable_reason = "not implemented yet"


class FlowChronicle:
    unavailable_reason = "not implemented yet"


class TADAM:
    unavailable_reason = "not implemented yet"

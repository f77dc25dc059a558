"""Names fixed by the project whose plugins are not built yet.

Each lists as unavailable with the reason "not implemented yet"; none can run.
"""


class SimNet:
    unavailable_reason = "not implemented yet"


class CIDDS001:
    unavailable_reason = "not implemented yet"


class CIDDS001Bi:
    unavailable_reason = "not implemented yet"


class UGR16:
    unavailable_reason = "not implemented yet"


class CTU:
    unavailable_reason = "not implemented yet"


class Zeek:
    unavailable_reason = "not implemented yet"


class Pcap:
    unavailable_reason = "not implemented yet"


class CesnetMiner22:
    unavailable_reason = "not implemented yet"


class HDFS:
    unavailable_reason = "not implemented yet"

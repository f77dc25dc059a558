"""The NetFlow-based NIDS datasets of Sarhan, Layeghy and Portmann (NF-UNSW-NB15, NF-BoT-IoT, NF-ToN-IoT, NF-CSE-CIC-IDS2018; v1, v2, v3).

Maps: ``IPV4_SRC_ADDR``/``L4_SRC_PORT``/``IPV4_DST_ADDR``/``L4_DST_PORT``, ``PROTOCOL`` and
``L7_PROTO`` (nDPI id) as categories, ``TCP_FLAGS`` (cumulative flag byte, as text),
``IN_BYTES``/``IN_PKTS`` (source -> destination = initiator: direction ``out``),
``OUT_BYTES``/``OUT_PKTS`` (the answer: ``in``), ``FLOW_DURATION_MILLISECONDS`` -> ``duration``
in seconds, ``FLOW_START_MILLISECONDS`` (v3 only) -> ``ts``; labels ``Label`` (benign ``0``) and
``Attack`` (benign ``Benign``). Drops the v2/v3 statistics (TTL, packet-length bins, throughput,
retransmissions, TCP window, ICMP/DNS/FTP fields) and ``Dataset``. v1 and v2 have no timestamp.
"""
from __future__ import annotations

from secgen_bench.datasets.layouts import Field, Layout, LayoutFormat
from secgen_bench.schema import Role

F = Field
CORE = (
    F("IPV4_SRC_ADDR", "IPV4_SRC_ADDR", Role.IP),
    F("L4_SRC_PORT", "L4_SRC_PORT", Role.PORT),
    F("IPV4_DST_ADDR", "IPV4_DST_ADDR", Role.IP),
    F("L4_DST_PORT", "L4_DST_PORT", Role.PORT),
    F("PROTOCOL", "PROTOCOL", Role.PROTOCOL),
    F("L7_PROTO", "L7_PROTO", Role.CATEGORICAL),
    F("IN_BYTES", "IN_BYTES", Role.BYTES, "out"),
    F("OUT_BYTES", "OUT_BYTES", Role.BYTES, "in"),
    F("IN_PKTS", "IN_PKTS", Role.PACKETS, "out"),
    F("OUT_PKTS", "OUT_PKTS", Role.PACKETS, "in"),
    F("TCP_FLAGS", "TCP_FLAGS", Role.FLAGS),
    F("FLOW_DURATION_MILLISECONDS", "duration", Role.DURATION, parse="ms"),
    F("Label", "Label", Role.LABEL),
    F("Attack", "Attack", Role.LABEL),
)
SIGNATURE = frozenset({"IPV4_SRC_ADDR", "L4_DST_PORT", "IN_BYTES", "OUT_PKTS", "FLOW_DURATION_MILLISECONDS"})

NF_V3 = Layout(
    "nf-netflow-v3",
    (F("FLOW_START_MILLISECONDS", "ts", Role.TIMESTAMP, parse="epoch_ms"),) + CORE,
    "NF- NetFlow v3 datasets (flow start time, IN = initiator = out; duration in seconds)",
    signature=SIGNATURE | {"FLOW_START_MILLISECONDS"}, benign=("0", "Benign"),
)
NF = Layout(
    "nf-netflow",
    CORE,
    "NF- NetFlow v1/v2 datasets (no timestamp; IN = initiator = out; duration in seconds)",
    signature=SIGNATURE, benign=("0", "Benign"),
)


class NFNetFlow(LayoutFormat):
    """NF-* NetFlow NIDS datasets (v1/v2/v3, CSV or Parquet)."""

    name = "nf-netflow"
    version = "1.0"
    description = "NetFlow NIDS datasets NF-*-v1/v2/v3 (Sarhan et al.), CSV or Parquet"
    layouts = (NF_V3, NF)
    sample_file = ("ids", "nf-bot-iot-v2", "NF-BoT-IoT-v2.rows1-10000.csv")
    file_hint = "an NF-* NetFlow CSV"

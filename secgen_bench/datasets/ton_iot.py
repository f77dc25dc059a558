"""TON_IoT network dataset CSV (``Train_Test_Network.csv`` and the ``Network_dataset_*.csv`` files), Zeek-derived.

Maps: ``ts`` (epoch seconds), ``src_ip``/``src_port`` (initiator), ``dst_ip``/``dst_port``, ``proto``,
``service``, ``duration`` (seconds), ``src_bytes``/``src_pkts`` (direction ``out``),
``dst_bytes``/``dst_pkts`` (``in``), ``src_ip_bytes``/``dst_ip_bytes`` as IP-level counts,
``conn_state``; labels ``label`` (benign ``0``) and ``type`` (benign ``normal``). Drops
``missed_bytes`` and the DNS, SSL, HTTP and ``weird_*`` application fields.
"""
from __future__ import annotations

from secgen_bench.datasets.layouts import Field, Layout, LayoutFormat
from secgen_bench.schema import Role

F = Field
TON_IOT = Layout(
    "ton-iot",
    (
        F("ts", "ts", Role.TIMESTAMP, parse="epoch"),
        F("src_ip", "src_ip", Role.IP),
        F("src_port", "src_port", Role.PORT),
        F("dst_ip", "dst_ip", Role.IP),
        F("dst_port", "dst_port", Role.PORT),
        F("proto", "proto", Role.PROTOCOL),
        F("service", "service", Role.CATEGORICAL),
        F("duration", "duration", Role.DURATION, parse="seconds"),
        F("src_bytes", "src_bytes", Role.BYTES, "out"),
        F("dst_bytes", "dst_bytes", Role.BYTES, "in"),
        F("conn_state", "conn_state", Role.CATEGORICAL),
        F("src_pkts", "src_pkts", Role.PACKETS, "out"),
        F("dst_pkts", "dst_pkts", Role.PACKETS, "in"),
        F("src_ip_bytes", "src_ip_bytes", Role.COUNT, "out"),
        F("dst_ip_bytes", "dst_ip_bytes", Role.COUNT, "in"),
        F("label", "label", Role.LABEL),
        F("type", "type", Role.LABEL),
    ),
    "TON_IoT network flows (Zeek conn fields; src = initiator = out)",
    signature=frozenset({"ts", "src_ip", "dst_ip", "src_bytes", "dst_bytes", "conn_state", "src_ip_bytes", "type"}),
    benign=("0", "normal"),
)


class TONIoT(LayoutFormat):
    """TON_IoT network CSV (UNSW Canberra IoT testbed)."""

    name = "ton-iot"
    version = "1.0"
    description = "TON_IoT network dataset CSV/Parquet (Zeek-derived flows with label and type)"
    layouts = (TON_IOT,)
    file_hint = "a TON_IoT network CSV"

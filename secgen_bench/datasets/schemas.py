"""Schemas of the well-known flow formats, and detection of a schema from column names.

Shared by the loaders (which produce these tables) and by ``evaluate`` (which
recognises a user's CSV by its header).
"""
from __future__ import annotations

from typing import Iterable

from secgen_bench.schema import Column, FlowSchema, Role

C = Column

CIDDS_BI = FlowSchema(
    "cidds001-bi",
    (
        C("Date first seen", Role.TIMESTAMP),
        C("Proto", Role.PROTOCOL),
        C("Src IP Addr", Role.IP),
        C("Dst IP Addr", Role.IP),
        C("Dst Pt", Role.PORT),
        C("In Byte", Role.BYTES, "in"),
        C("Out Byte", Role.BYTES, "out"),
        C("In Packet", Role.PACKETS, "in"),
        C("Out Packet", Role.PACKETS, "out"),
        C("Duration", Role.DURATION),
        C("Flags", Role.FLAGS),
    ),
    "CIDDS-001 bidirectional view as the FlowChronicle paper used it (Out = initiator, no source port)",
)

CIDDS_RAW = FlowSchema(
    "cidds001",
    (
        C("Date first seen", Role.TIMESTAMP),
        C("Duration", Role.DURATION),
        C("Proto", Role.PROTOCOL),
        C("Src IP Addr", Role.IP),
        C("Src Pt", Role.PORT),
        C("Dst IP Addr", Role.IP),
        C("Dst Pt", Role.PORT),
        C("Packets", Role.PACKETS, "out"),
        C("Bytes", Role.BYTES, "out"),
        C("Flows", Role.COUNT),
        C("Flags", Role.FLAGS),
    ),
    "CIDDS-001 raw unidirectional NetFlow records",
)

KNOWN_SCHEMAS: dict[str, FlowSchema] = {s.name: s for s in (CIDDS_BI, CIDDS_RAW)}


def register_schema(schema: FlowSchema) -> FlowSchema:
    """Make a schema known to ``--schema NAME`` and to detection (loaders call this)."""
    KNOWN_SCHEMAS[schema.name] = schema
    return schema


def detect_schema(columns: Iterable[str]) -> FlowSchema | None:
    """The known schema whose column set equals ``columns`` (order ignored), else None."""
    cols = set(columns)
    for schema in KNOWN_SCHEMAS.values():
        if set(schema.names) == cols:
            return schema
    return None


# ---- schemas of the dataset loaders (secgen_bench.datasets.*) -------------------------

SIMNET = register_schema(FlowSchema(
    "simnet",
    CIDDS_BI.columns,
    "Built-in simulated enterprise network, in the CIDDS-001 bidirectional view (same columns and roles)",
))

UGR16 = register_schema(FlowSchema(
    "ugr16",
    (
        C("ts", Role.TIMESTAMP),
        C("td", Role.DURATION),
        C("srcip", Role.IP),
        C("dstip", Role.IP),
        C("srcport", Role.PORT),
        C("dstport", Role.PORT),
        C("proto", Role.PROTOCOL),
        C("pkt", Role.PACKETS, "out"),
        C("byt", Role.BYTES, "out"),
        C("type", Role.LABEL),
    ),
    "UGR'16 NetFlow as NetShare ships it (unidirectional; dotted-quad IPs, `type` label)",
))

CTU = register_schema(FlowSchema(
    "ctu",
    (
        C("StartTime", Role.TIMESTAMP),
        C("Dur", Role.DURATION),
        C("Proto", Role.PROTOCOL),
        C("SrcAddr", Role.IP),
        C("Sport", Role.PORT),
        C("Dir", Role.CATEGORICAL),
        C("DstAddr", Role.IP),
        C("Dport", Role.PORT),
        C("State", Role.FLAGS),
        C("TotPkts", Role.PACKETS),
        C("TotBytes", Role.BYTES),
        C("SrcBytes", Role.BYTES, "out"),
        C("Label", Role.LABEL),
    ),
    "CTU/Argus bidirectional flows (.binetflow); Label '-' when the file has none",
))

ZEEK = register_schema(FlowSchema(
    "zeek",
    (
        C("ts", Role.TIMESTAMP),
        C("id.orig_h", Role.IP),
        C("id.orig_p", Role.PORT),
        C("id.resp_h", Role.IP),
        C("id.resp_p", Role.PORT),
        C("proto", Role.PROTOCOL),
        C("service", Role.CATEGORICAL),
        C("duration", Role.DURATION),
        C("orig_bytes", Role.BYTES, "out"),
        C("resp_bytes", Role.BYTES, "in"),
        C("conn_state", Role.CATEGORICAL),
        C("history", Role.FLAGS),
        C("orig_pkts", Role.PACKETS, "out"),
        C("resp_pkts", Role.PACKETS, "in"),
        C("orig_ip_bytes", Role.COUNT, "out"),
        C("resp_ip_bytes", Role.COUNT, "in"),
    ),
    "Zeek conn.log (payload bytes as BYTES, IP-level bytes as COUNT); '-' strings for unset, 0 for unset numbers",
))

PCAP_FLOWS = register_schema(FlowSchema(
    "pcap",
    (
        C("ts", Role.TIMESTAMP),
        C("proto", Role.PROTOCOL),
        C("src_ip", Role.IP),
        C("src_port", Role.PORT),
        C("dst_ip", Role.IP),
        C("dst_port", Role.PORT),
        C("out_bytes", Role.BYTES, "out"),
        C("in_bytes", Role.BYTES, "in"),
        C("out_packets", Role.PACKETS, "out"),
        C("in_packets", Role.PACKETS, "in"),
        C("duration", Role.DURATION),
        C("flags", Role.FLAGS),
    ),
    "Bidirectional flows built from a packet capture (src = initiator; IP-level bytes; CIDDS-style flags)",
))

CESNET_FLOWS = register_schema(FlowSchema(
    "cesnet-miner22",
    (
        C("TIME_FIRST", Role.TIMESTAMP),
        C("PROTOCOL", Role.PROTOCOL),
        C("SRC_PORT", Role.PORT),
        C("DST_PORT", Role.PORT),
        C("BYTES", Role.BYTES, "out"),
        C("BYTES_REV", Role.BYTES, "in"),
        C("PACKETS", Role.PACKETS, "out"),
        C("PACKETS_REV", Role.PACKETS, "in"),
        C("DURATION", Role.DURATION),
        C("TCP_FLAGS", Role.FLAGS),
        C("TCP_FLAGS_REV", Role.FLAGS),
        C("LABEL", Role.LABEL),
    ),
    "CESNET-MINER22 biflows (no IP addresses in the public sample; flags CIDDS-style)",
))

PACKETS = register_schema(FlowSchema(
    "packets",
    (
        C("flow_id", Role.SEQUENCE_ID),
        C("service", Role.CATEGORICAL),
        C("direction", Role.CATEGORICAL),
        C("flags", Role.FLAGS),
        C("size", Role.BYTES),
        C("iat", Role.DURATION),
    ),
    "Per-flow packet sequences, one row per packet (FORMATS.md); size = transport payload bytes",
))

PACKETS_LABELLED = register_schema(FlowSchema(
    "packets-labelled",
    PACKETS.columns + (C("label", Role.LABEL),),
    "Packet sequences with a per-flow label repeated on every row",
))

HDFS = register_schema(FlowSchema(
    "hdfs",
    (
        C("block_id", Role.SEQUENCE_ID),
        C("event", Role.CATEGORICAL),
        C("delay", Role.DURATION),
        C("label", Role.LABEL),
    ),
    "HDFS per-block log event sequences; delay = seconds since the block's previous event (0 when untimed)",
))

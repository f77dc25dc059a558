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

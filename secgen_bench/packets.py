"""The packet vocabulary shared by the packets-track generators and metrics (FORMATS.md long table).

Neutral ground: metrics and generators both read packets tables through it, so
no metric imports a generator. Event symbol = flags + direction mark (``>``
from the initiator, ``<`` answer) + payload class (``.`` empty, ``d`` data)
when ``payload_class`` is on. Columns are found by role: SEQUENCE_ID, FLAGS,
BYTES (size), DURATION (iat); among the CATEGORICAL columns ``direction`` is
the one named so (or holding only "in"/"out") and ``service`` the other one
(optional).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from secgen_bench.schema import FlowSchema, Role, SchemaError

DIR_MARK = {"out": ">", "in": "<"}
MARK_DIR = {">": "out", "<": "in"}


@dataclass(frozen=True)
class PacketColumns:
    flow_id: str
    flags: str
    size: str
    iat: str
    direction: str
    service: str | None
    label: str | None

    @classmethod
    def resolve(cls, schema: FlowSchema, table: pd.DataFrame | None = None) -> "PacketColumns":
        def one(role, what):
            cols = schema.by_role(role)
            if not cols:
                raise SchemaError(f"schema {schema.name!r}: packet sequences need a {what} column ({role.value})")
            return cols[0]

        cats = schema.by_role(Role.CATEGORICAL)
        direction = next((c for c in cats if c.lower() == "direction"), None)
        if direction is None and table is not None:
            direction = next((c for c in cats if set(table[c].astype(str).unique()) <= {"in", "out"}), None)
        if direction is None:
            raise SchemaError(f"schema {schema.name!r}: no 'direction' categorical column (values 'in'/'out')")
        others = [c for c in cats if c != direction]
        labels = schema.by_role(Role.LABEL)
        return cls(one(Role.SEQUENCE_ID, "flow id"), one(Role.FLAGS, "flags"), one(Role.BYTES, "size"),
                   one(Role.DURATION, "inter-arrival time"), direction, others[0] if others else None,
                   labels[0] if labels else None)


def packet_symbols(table: pd.DataFrame, cols: PacketColumns, payload_class: bool = True) -> pd.Series:
    """One symbol per packet row, e.g. ``SA<.`` or ``PA>d``."""
    flags = table[cols.flags].astype(str).replace("", "-")
    mark = table[cols.direction].astype(str).map(DIR_MARK)
    bad = mark.isna()
    if bad.any():
        raise SchemaError(f"column {cols.direction!r}: direction must be 'in' or 'out', got "
                          f"{table[cols.direction].iloc[int(np.flatnonzero(bad.to_numpy())[0])]!r}")
    sym = flags + mark
    if payload_class:
        sym = sym + np.where(table[cols.size].to_numpy() > 0, "d", ".")
    return sym


def parse_symbol(sym: str, payload_class: bool) -> tuple[str, str]:
    """(flags, direction) of a symbol."""
    core = sym[:-1] if payload_class else sym
    return core[:-1], MARK_DIR[core[-1]]


def flow_rows(table: pd.DataFrame, cols: PacketColumns) -> list[np.ndarray]:
    """Each flow's row positions (in table order), flows in first-seen order."""
    codes, ids = pd.factorize(table[cols.flow_id], sort=False)
    order = np.argsort(codes, kind="stable")
    bounds = np.r_[0, np.cumsum(np.bincount(codes, minlength=len(ids)))]
    return [order[a:b] for a, b in zip(bounds[:-1], bounds[1:])]

"""Zeek ``conn.log``: TSV with ``#fields`` header lines, or JSON lines.

Unset values (``-``, ``(empty)``, or keys absent from a JSON record) become
``-`` in string columns and 0 in numeric ones; ``meta["filled"]`` counts them
per column. ``uid``, ``local_*``, ``missed_bytes`` and ``tunnel_parents`` are
not part of the schema. ``ts`` may be epoch seconds (relative captures start
in 1970) or an ISO time in JSON logs.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from secgen_bench.datasets import common as cm
from secgen_bench.datasets.base import FileFormat
from secgen_bench.datasets.schemas import ZEEK
from secgen_bench.schema import Role

REQUIRED = ("ts", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto")
UNSET = {"-", "(empty)", ""}


def _read_tsv(path: Path, text: str) -> tuple[pd.DataFrame, list[int]]:
    fields, sep, rows, lines = None, "\t", [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith("#"):
            line = line.lstrip()
            if line.startswith("#separator"):
                sep = line.split(" ", 1)[1].strip().encode().decode("unicode_escape") if " " in line else "\t"
            elif line.startswith("#fields"):
                fields = line.split(sep)[1:]
            continue
        if not line.strip():
            continue
        if fields is None:
            raise cm.DataFormatError(f"{path}: line {number}: data before the '#fields' header line")
        cells = line.split(sep)
        if len(cells) != len(fields):
            raise cm.DataFormatError(f"{path}: line {number}: {len(cells)} fields, the '#fields' header has {len(fields)} (truncated line or wrong separator?)")
        rows.append(cells)
        lines.append(number)
    if fields is None:
        raise cm.DataFormatError(f"{path}: no '#fields' header line (not a Zeek TSV log)")
    return pd.DataFrame(rows, columns=fields, dtype=object), lines


def _read_json(path: Path, text: str) -> tuple[pd.DataFrame, list[int]]:
    records, lines = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            raise cm.DataFormatError(f"{path}: line {number}: column {exc.colno}: invalid JSON ({exc.msg})") from None
        if not isinstance(rec, dict):
            raise cm.DataFormatError(f"{path}: line {number}: expected a JSON object per line")
        records.append({k: (json.dumps(v) if isinstance(v, (list, dict)) else v) for k, v in rec.items()})
        lines.append(number)
    return pd.DataFrame.from_records(records).astype(object), lines


def read_conn_log(path: str | Path) -> tuple[pd.DataFrame, dict]:
    path = cm.existing_file(path)
    text = cm.read_text(path)
    first = text.lstrip()[:1]
    frame, lines = _read_json(path, text) if first == "{" else _read_tsv(path, text)
    if len(frame) == 0:
        raise cm.DataFormatError(f"{path}: no connection records")
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise cm.DataFormatError(f"{path}: line 1: missing field {missing[0]!r} (not a Zeek conn.log?)")
    rows = np.asarray(lines) - 2            # to_number reports row + 2 as the line; pass real lines through rows
    filled: dict[str, int] = {}
    out = {}
    for col in ZEEK.columns:
        raw = frame[col.name] if col.name in frame else pd.Series([None] * len(frame), dtype=object)
        unset = raw.isna().to_numpy() | raw.astype(str).str.strip().isin(UNSET).to_numpy()
        if unset.any():
            filled[col.name] = int(unset.sum())
        if col.role is Role.TIMESTAMP:
            if unset.any():
                i = int(np.flatnonzero(unset)[0])
                raise cm.DataFormatError(f"{path}: line {lines[i]}: field 'ts' is unset")
            num = pd.to_numeric(raw, errors="coerce")
            if num.notna().any() and num.isna().any():      # epoch seconds with a stray text: name the stray one
                i = int(np.flatnonzero(num.isna().to_numpy())[0])
                raise cm.DataFormatError(f"{path}: line {lines[i]}: column 'ts': unparsable timestamp {raw.iloc[i]!r} "
                                         f"(other lines give epoch seconds)")
            out[col.name] = (cm.to_time(raw, path, "ts", unit="s", rows=rows) if num.notna().all()
                             else cm.to_time(raw.astype(str), path, "ts", rows=rows))
        elif col.dtype == "object":
            out[col.name] = cm.clean_str(raw.where(~unset, "-"))
        else:
            values = raw.where(~unset, "0")
            out[col.name] = cm.to_number(values, path, col.name, integer=col.dtype == "int64", rows=rows)
    meta = {"source": str(path), "filled": filled, "rows": len(frame), "format": "json" if first == "{" else "tsv"}
    return ZEEK.validate(cm.sort_by_time(pd.DataFrame(out), "ts"), str(path)), meta


class Zeek(FileFormat):
    """Zeek conn.log (TSV or JSON lines) as bidirectional connection records."""

    name = "zeek"
    version = "1.0"
    description = "Zeek conn.log connections (TSV with #fields, or JSON lines)"
    schema = ZEEK
    sample_file = ("zeek", "test9-mixed_conn.log")
    file_hint = "a conn.log"

    def read(self, path: str | Path) -> tuple[pd.DataFrame, dict]:
        return read_conn_log(path)

    @classmethod
    def sniff(cls, path: Path) -> bool:
        head = cm.head_text(path)
        if head.lstrip().startswith("#separator") and "#fields" in head:
            return "id.orig_h" in head
        first = head.lstrip().splitlines()[:1]
        if first and first[0].startswith("{"):
            try:
                rec = json.loads(first[0])
            except json.JSONDecodeError:
                return False
            return isinstance(rec, dict) and "id.orig_h" in rec and "ts" in rec
        return False

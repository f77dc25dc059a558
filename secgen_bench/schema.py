"""Column roles of a flow table, and validation of any table against them.

Generators and metrics never hard-code column names: they ask the schema which
column is the timestamp, which are IPs, ports, byte counts and so on. A table
that does not fit its schema is rejected with a one-line :class:`SchemaError`
naming the column and the offending value.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from enum import Enum
from typing import Iterable

import numpy as np
import pandas as pd


class SchemaError(ValueError):
    """A table does not fit its schema (message is one line, names the column)."""


class Role(str, Enum):
    """What a column means; decides its dtype and whether it is discrete."""

    TIMESTAMP = "timestamp"      # datetime64[ns]
    IP = "ip"                    # string (dotted quad, IPv6 or anonymised token)
    PORT = "port"                # int64, 0..65535
    PROTOCOL = "protocol"        # string
    FLAGS = "flags"              # string, e.g. ".AP.SF"
    BYTES = "bytes"              # int64 >= 0
    PACKETS = "packets"          # int64 >= 0
    COUNT = "count"              # int64 >= 0, any other counter
    DURATION = "duration"        # float64 >= 0 (seconds)
    CATEGORICAL = "categorical"  # string
    CONTINUOUS = "continuous"    # float64
    SEQUENCE_ID = "sequence_id"  # string: groups rows into sequences (packets, logs)
    LABEL = "label"              # string: ground truth, never generated from

    @property
    def is_discrete(self) -> bool:
        return self in _DISCRETE

    @property
    def is_continuous(self) -> bool:
        return self in _CONTINUOUS


_DISCRETE = {Role.IP, Role.PORT, Role.PROTOCOL, Role.FLAGS, Role.CATEGORICAL}
_CONTINUOUS = {Role.BYTES, Role.PACKETS, Role.COUNT, Role.DURATION, Role.CONTINUOUS}
_NON_NEGATIVE = {Role.BYTES, Role.PACKETS, Role.COUNT, Role.DURATION}
_INTEGER = {Role.PORT, Role.BYTES, Role.PACKETS, Role.COUNT}
_COUNTERS = {Role.BYTES, Role.PACKETS, Role.COUNT}   # negative in no table, real or synthetic
INT64_SAFE_MAX = 2.0 ** 63 - 1024     # the largest float64 below 2**63: bigger ones wrap when cast to int64
FLOAT_SAFE_MAX = 1e150                # beyond this, squares and products in the metrics overflow float64
_STRING = {Role.IP, Role.PROTOCOL, Role.FLAGS, Role.CATEGORICAL, Role.SEQUENCE_ID, Role.LABEL}


@dataclass(frozen=True)
class Column:
    """One column: its name, role and, for counters, the direction it counts.

    ``direction`` is ``"out"`` (sent by the initiator), ``"in"`` (the answer) or
    None; domain rules such as "packets below the 42-byte minimum" pair the
    bytes and packets columns of one direction through it.
    """

    name: str
    role: Role
    direction: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "role", Role(self.role))
        if self.direction not in (None, "in", "out"):
            raise SchemaError(f"column {self.name!r}: direction must be 'in', 'out' or None, not {self.direction!r}")

    @property
    def dtype(self) -> str:
        if self.role is Role.TIMESTAMP:
            return "datetime64[ns]"
        if self.role in _INTEGER:
            return "int64"
        if self.role in _STRING:
            return "object"
        return "float64"


@dataclass(frozen=True)
class FlowSchema:
    """An ordered, typed description of a table's columns."""

    name: str
    columns: tuple[Column, ...]
    description: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        cols = tuple(c if isinstance(c, Column) else Column(**c) for c in self.columns)
        object.__setattr__(self, "columns", cols)
        names = [c.name for c in cols]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise SchemaError(f"schema {self.name!r}: duplicate column {dupes[0]!r}")
        if sum(c.role is Role.TIMESTAMP for c in cols) > 1:
            raise SchemaError(f"schema {self.name!r}: more than one timestamp column")

    # ---- role queries -------------------------------------------------
    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise SchemaError(f"schema {self.name!r} has no column {name!r}")

    def by_role(self, *roles: Role | str) -> list[str]:
        wanted = {Role(r) for r in roles}
        return [c.name for c in self.columns if c.role in wanted]

    def by_role_and_direction(self, role: Role | str, direction: str | None) -> list[str]:
        return [c.name for c in self.columns if c.role is Role(role) and c.direction == direction]

    @property
    def timestamp(self) -> str | None:
        ts = self.by_role(Role.TIMESTAMP)
        return ts[0] if ts else None

    @property
    def discrete(self) -> list[str]:
        return [c.name for c in self.columns if c.role.is_discrete]

    @property
    def continuous(self) -> list[str]:
        return [c.name for c in self.columns if c.role.is_continuous]

    @property
    def dtypes(self) -> dict[str, str]:
        return {c.name: c.dtype for c in self.columns}

    # ---- (de)serialisation --------------------------------------------
    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "description": self.description,
            "columns": [
                {"name": c.name, "role": c.role.value, **({"direction": c.direction} if c.direction else {})}
                for c in self.columns
            ],
        }

    @classmethod
    def from_dict(cls, d: dict) -> "FlowSchema":
        return cls(name=d["name"], columns=tuple(Column(**c) for c in d["columns"]), description=d.get("description", ""))

    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()[:16]

    def select(self, names: Iterable[str], name: str | None = None) -> "FlowSchema":
        """The schema restricted to ``names`` (in this schema's order)."""
        keep = set(names)
        return FlowSchema(name or self.name, tuple(c for c in self.columns if c.name in keep), self.description)

    # ---- validation -----------------------------------------------------
    def validate(self, table: pd.DataFrame, source: str = "table", *, extra: str = "error",
                 ranges: bool = True) -> pd.DataFrame:
        """Return ``table`` coerced to this schema's dtypes, or raise SchemaError.

        ``source`` names the file or object in the message. ``extra`` is
        ``"error"`` (columns not in the schema are rejected) or ``"drop"``.
        ``ranges=False`` skips the value-range checks a generator may break and
        the DKC metric scores (negative duration, port range). What no metric
        can score is refused in every table: non-finite values, negative byte,
        packet and other counters, integers beyond int64 (checked before the
        cast, which would wrap them silently) and floats so large that the
        metrics' squares overflow.
        """
        if not isinstance(table, pd.DataFrame):
            raise SchemaError(f"{source}: expected a pandas DataFrame, got {type(table).__name__}")
        missing = [n for n in self.names if n not in table.columns]
        if missing:
            raise SchemaError(f"{source}: missing column {missing[0]!r} required by schema {self.name!r}")
        unknown = [n for n in table.columns if n not in set(self.names)]
        if unknown and extra == "error":
            raise SchemaError(f"{source}: unexpected column {unknown[0]!r} not in schema {self.name!r}")
        if len(table) == 0:
            raise SchemaError(f"{source}: empty table (no rows)")
        out = {}
        for col in self.columns:
            out[col.name] = _coerce(table[col.name], col, source, ranges)
        return pd.DataFrame(out, index=pd.RangeIndex(len(table)))


def _first_bad(values: pd.Series, bad: np.ndarray) -> str:
    idx = int(np.flatnonzero(bad)[0])
    value = values.iloc[idx]
    if isinstance(value, np.generic):
        value = value.item()
    return f"{value!r} (row {idx})"


def _coerce(values: pd.Series, col: Column, source: str, ranges: bool = True) -> pd.Series:
    where = f"{source}: column {col.name!r}"
    values = values.reset_index(drop=True)
    if col.role is Role.TIMESTAMP:
        if pd.api.types.is_datetime64_any_dtype(values):
            out = values
            if getattr(out.dt, "tz", None) is not None:
                out = out.dt.tz_convert("UTC").dt.tz_localize(None)
        else:
            out = pd.to_datetime(values, errors="coerce", format="mixed")
            bad = out.isna().to_numpy() & values.notna().to_numpy()
            if bad.any():
                raise SchemaError(f"{where}: unparsable timestamp {_first_bad(values, bad)}")
        if out.isna().any():
            raise SchemaError(f"{where}: missing timestamp {_first_bad(values, out.isna().to_numpy())}")
        return out.astype("datetime64[ns]")
    if col.dtype == "object":
        if values.isna().any():
            raise SchemaError(f"{where}: missing value {_first_bad(values, values.isna().to_numpy())}")
        return values.astype(str).astype(object)
    numeric = pd.to_numeric(values, errors="coerce")
    bad = numeric.isna().to_numpy()
    if bad.any():
        kind = "missing value" if values.isna().to_numpy()[bad].all() else "non-numeric value"
        raise SchemaError(f"{where}: {kind} {_first_bad(values, bad)}")
    arr = numeric.to_numpy(dtype="float64")
    if not np.isfinite(arr).all():
        raise SchemaError(f"{where}: non-finite value {_first_bad(values, ~np.isfinite(arr))}")
    if col.dtype == "float64" and (np.abs(arr) > FLOAT_SAFE_MAX).any():
        raise SchemaError(f"{where}: value too large to compute with (above {FLOAT_SAFE_MAX:g}) "
                          f"{_first_bad(values, np.abs(arr) > FLOAT_SAFE_MAX)}")
    if col.role in _COUNTERS and (arr < 0).any():
        raise SchemaError(f"{where}: negative {col.role.value} {_first_bad(values, arr < 0)}")
    if ranges and col.role in _NON_NEGATIVE and (arr < 0).any():
        raise SchemaError(f"{where}: negative {col.role.value} {_first_bad(values, arr < 0)}")
    if ranges and col.role is Role.PORT and ((arr < 0) | (arr > 65535)).any():
        raise SchemaError(f"{where}: port out of range 0..65535 {_first_bad(values, (arr < 0) | (arr > 65535))}")
    if col.dtype == "int64":
        frac = arr != np.round(arr)
        if frac.any():
            raise SchemaError(f"{where}: non-integer {col.role.value} {_first_bad(values, frac)}")
        huge = np.abs(arr) > INT64_SAFE_MAX
        if huge.any():
            raise SchemaError(f"{where}: {col.role.value} too large for a 64-bit integer {_first_bad(values, huge)}")
        return pd.Series(arr.astype("int64"), name=col.name)
    return pd.Series(arr, name=col.name)


def table_fingerprint(table: pd.DataFrame) -> str:
    """A content hash of a table (values, column names and dtypes) for cache keys."""
    h = hashlib.sha256()
    h.update(json.dumps([[str(c), str(t)] for c, t in table.dtypes.items()]).encode())
    h.update(pd.util.hash_pandas_object(table, index=False).to_numpy().tobytes())
    return h.hexdigest()[:16]

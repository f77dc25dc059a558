"""A user's schema file: which column of their table is what, in which unit, and which labels are benign.

Why: a researcher's own table rarely has the header of a built-in format. A
schema file (YAML or JSON, read as data only) maps each column to a
:class:`~secgen_bench.schema.Role` (or ``ignore``) with its units; loading
converts every cell to the role's canonical form (timestamps to datetime,
durations to seconds) in :func:`convert_column`, the one place units are
handled, and names the file, column, row and value of the first cell that does
not fit. Non-finite or empty numbers are counted and refused, or dropped (and
counted) with ``drop_invalid``. Nothing is coerced silently.

Form (``columns`` keeps the file's order; a value is a role or a mapping)::

    name: my-flows
    other_columns: error        # or ignore: columns of the file the schema does not list
    columns:
      ts: {role: timestamp, unit: ms}        # epoch s/ms/us/ns, or format: iso / a strptime format
      src: ip
      dport: port
      out_bytes: {role: bytes, direction: out}
      dur: {role: duration, unit: ms}        # s, ms, us or ns
      Label: {role: label, benign: [Benign]}
      Flow ID: ignore
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from secgen_bench.schema import INT64_SAFE_MAX, Column, FlowSchema, Role, SchemaError

IGNORE = "ignore"
ROLES = tuple(r.value for r in Role) + (IGNORE,)
TIME_UNITS = ("s", "ms", "us", "ns")
SECONDS_PER = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}
_NUMERIC = {Role.PORT, Role.BYTES, Role.PACKETS, Role.COUNT, Role.DURATION, Role.CONTINUOUS}
_INTEGER = {Role.PORT, Role.BYTES, Role.PACKETS, Role.COUNT}
_NON_NEGATIVE = {Role.BYTES, Role.PACKETS, Role.COUNT, Role.DURATION}
_KEYS = {"role", "direction", "unit", "format", "benign"}


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a schema file: its role and the options that role takes."""

    name: str
    role: str
    direction: str | None = None      # bytes/packets/count: "out" (initiator) or "in"
    unit: str | None = None           # timestamp: epoch unit; duration: its unit
    format: str | None = None         # timestamp: "iso" or a strptime format
    benign: tuple[str, ...] = ()      # label: the values that mean benign traffic

    def __post_init__(self) -> None:
        where = f"column {self.name!r}"
        if self.role not in ROLES:
            raise SchemaError(f"{where}: unknown role {self.role!r}; choose one of {', '.join(ROLES)}")
        if self.direction is not None and self.role not in ("bytes", "packets", "count"):
            raise SchemaError(f"{where}: direction applies to bytes, packets and count, not {self.role}")
        if self.direction not in (None, "in", "out"):
            raise SchemaError(f"{where}: direction must be 'in' or 'out', not {self.direction!r}")
        if self.unit is not None and self.role not in ("timestamp", "duration"):
            raise SchemaError(f"{where}: unit applies to timestamp and duration, not {self.role}")
        if self.unit is not None and self.unit not in TIME_UNITS:
            raise SchemaError(f"{where}: unit must be one of {', '.join(TIME_UNITS)}, not {self.unit!r}")
        if self.format is not None and self.role != "timestamp":
            raise SchemaError(f"{where}: format applies to timestamp, not {self.role}")
        if self.format is not None and self.unit is not None:
            raise SchemaError(f"{where}: give a timestamp either an epoch unit or a format, not both")
        if self.benign and self.role != "label":
            raise SchemaError(f"{where}: benign applies to label, not {self.role}")
        object.__setattr__(self, "benign", tuple(str(b) for b in self.benign))

    def to_value(self) -> str | dict:
        """The file form: the bare role, or a mapping when the column has options."""
        opts = {k: v for k, v in (("direction", self.direction), ("unit", self.unit), ("format", self.format),
                                  ("benign", list(self.benign))) if v}
        return {"role": self.role, **opts} if opts else self.role


@dataclass(frozen=True)
class SchemaFile:
    """A parsed schema file; :meth:`flow_schema` is what the rest of secgen-bench sees."""

    name: str
    columns: tuple[ColumnSpec, ...]
    other_columns: str = "error"       # or "ignore"
    description: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if self.other_columns not in ("error", "ignore"):
            raise SchemaError(f"schema {self.name!r}: other_columns must be 'error' or 'ignore', "
                              f"not {self.other_columns!r}")
        if not any(c.role != IGNORE for c in self.columns):
            raise SchemaError(f"schema {self.name!r}: no column has a role other than ignore")
        self.flow_schema()           # duplicate names, two timestamps: refused at once

    def flow_schema(self) -> FlowSchema:
        return FlowSchema(self.name, tuple(Column(c.name, Role(c.role), c.direction)
                                           for c in self.columns if c.role != IGNORE), self.description)

    @property
    def benign(self) -> dict[str, list[str]]:
        """Label column -> its benign values (kept for the label-aware metrics; never reaches a generator)."""
        return {c.name: list(c.benign) for c in self.columns if c.role == "label" and c.benign}

    def to_dict(self) -> dict:
        return {"name": self.name, **({"description": self.description} if self.description else {}),
                "other_columns": self.other_columns, "columns": {c.name: c.to_value() for c in self.columns}}

    @classmethod
    def from_dict(cls, data, source: str = "schema") -> "SchemaFile":
        if not isinstance(data, dict) or not isinstance(data.get("columns"), (dict, list)):
            raise SchemaError(f"{source}: a schema file is a mapping with a 'columns' mapping (column: role)")
        unknown = sorted(set(data) - {"name", "description", "other_columns", "columns"})
        if unknown:
            raise SchemaError(f"{source}: unknown key {unknown[0]!r} (known: name, description, other_columns, columns)")
        raw = data["columns"]
        items = raw.items() if isinstance(raw, dict) else [(_entry_name(e, source), e) for e in raw]
        try:
            specs = tuple(_column_spec(str(name), value, source) for name, value in items)
            return cls(str(data.get("name") or Path(source).stem), specs, str(data.get("other_columns", "error")),
                       str(data.get("description") or ""))
        except SchemaError as exc:
            message = str(exc)
            raise SchemaError(message if message.startswith(source) else f"{source}: {message}") from None

    def dumps(self) -> str:
        """YAML text (each column on one line, values JSON-quoted, so it reads back as YAML and as written)."""
        head = {k: v for k, v in self.to_dict().items() if k != "columns"}
        lines = [f"{k}: {json.dumps(v)}" for k, v in head.items()] + ["columns:"]
        lines += [f"  {json.dumps(c.name)}: {json.dumps(c.to_value())}" for c in self.columns]
        return "\n".join(lines) + "\n"


def _entry_name(entry, source: str) -> str:
    if not isinstance(entry, dict) or "name" not in entry:
        raise SchemaError(f"{source}: each entry of a 'columns' list needs a 'name'")
    return entry["name"]


def _column_spec(name: str, value, source: str) -> ColumnSpec:
    if isinstance(value, str):
        return ColumnSpec(name, value.strip().lower())
    if not isinstance(value, dict):
        raise SchemaError(f"column {name!r}: expected a role or a mapping with 'role', got {value!r}")
    opts = {k: v for k, v in value.items() if k != "name"}
    unknown = sorted(set(opts) - _KEYS)
    if unknown or "role" not in opts:
        raise SchemaError(f"column {name!r}: " + (f"unknown key {unknown[0]!r} (known: {', '.join(sorted(_KEYS))})"
                                                  if unknown else "needs a 'role'"))
    benign = opts.get("benign") or ()
    benign = (benign,) if isinstance(benign, (str, int, float)) else tuple(benign)
    unit = opts.get("unit")
    return ColumnSpec(name, str(opts["role"]).strip().lower(), opts.get("direction"),
                      None if unit is None else str(unit), opts.get("format"), benign)


def read_schema_file(path: str | Path) -> SchemaFile:
    """Parse a YAML or JSON schema file (``yaml.safe_load``: data only, no objects)."""
    import yaml

    path = Path(path)
    if not path.is_file():
        raise SchemaError(f"--schema {path}: no such file")
    text = path.read_text(encoding="utf-8-sig")
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SchemaError(f"{path}: not a readable schema file ({first})") from None
    return SchemaFile.from_dict(data, str(path))


def parse_inline(text: str, source: str = "--columns") -> SchemaFile:
    """``--columns "src=ip,dst=ip,dport=port,ob=bytes:out,dur=duration:ms,Label=label:Benign|Normal"``.

    The option after ``:`` is a direction (bytes, packets, count), a unit (timestamp, duration), ``iso``
    (timestamp) or the ``|``-separated benign values (label). Columns not named are ignored.
    """
    specs = []
    for item in (t.strip() for t in text.split(",")):
        if not item:
            continue
        name, eq, rest = item.partition("=")
        if not eq or not name.strip() or not rest.strip():
            raise SchemaError(f"{source}: {item!r} is not NAME=ROLE[:OPTION]")
        role, _, opt = rest.partition(":")
        role, opt = role.strip().lower(), opt.strip()
        kwargs = {}
        if opt:
            key = {"bytes": "direction", "packets": "direction", "count": "direction", "duration": "unit",
                   "label": "benign"}.get(role)
            if role == "timestamp":
                key = "unit" if opt in TIME_UNITS else "format"
            if key is None:
                raise SchemaError(f"{source}: {item!r}: role {role!r} takes no option")
            kwargs[key] = tuple(opt.split("|")) if key == "benign" else opt
        try:
            specs.append(ColumnSpec(name.strip(), role, **kwargs))
        except SchemaError as exc:
            raise SchemaError(f"{source}: {exc}") from None
    if not specs:
        raise SchemaError(f"{source}: no columns given")
    return SchemaFile("columns", tuple(specs), other_columns="ignore")


# ---- applying a schema file to a table of text cells --------------------------------------------
@dataclass
class Applied:
    table: pd.DataFrame
    schema: FlowSchema
    dropped_rows: int
    invalid_cells: dict[str, int]


def apply_schema(raw: pd.DataFrame, spec: SchemaFile, source: str, *, drop_invalid: bool = False,
                 header_lines: int = 1) -> Applied:
    """Convert ``raw`` (every cell a string) to the schema's table, or raise a one-line SchemaError.

    ``header_lines`` turns a row number into the file's line number in messages.
    """
    listed = [c.name for c in spec.columns]
    missing = [n for n in listed if n not in raw.columns]
    if missing:
        raise SchemaError(f"{source}: no column {missing[0]!r} (named in schema {spec.name!r}); "
                          f"the file has {', '.join(map(str, raw.columns[:12]))}")
    extra = [c for c in raw.columns if c not in set(listed)]
    if extra and spec.other_columns == "error":
        raise SchemaError(f"{source}: column {extra[0]!r} is not in schema {spec.name!r} "
                          f"(give it a role, or 'ignore')")
    if len(raw) == 0:
        raise SchemaError(f"{source}: empty table (no rows)")
    converted, invalid = {}, {}
    bad_rows = np.zeros(len(raw), dtype=bool)
    first_invalid = None
    for col in spec.columns:
        if col.role == IGNORE:
            continue
        values, not_finite = convert_column(raw[col.name].reset_index(drop=True), col, source, header_lines)
        converted[col.name] = values
        if not_finite.any():
            invalid[col.name] = int(not_finite.sum())
            bad_rows |= not_finite
            if first_invalid is None:
                row = int(np.flatnonzero(not_finite)[0])
                first_invalid = (col.name, row, raw[col.name].iloc[row])
    if first_invalid is not None and not drop_invalid:
        name, row, value = first_invalid
        counts = ", ".join(f"{k} {v}" for k, v in invalid.items())
        raise SchemaError(f"{source}: {int(bad_rows.sum())} rows hold non-finite or empty numbers ({counts}), "
                          f"first column {name!r}, {_where(row, header_lines)}: {value!r}; "
                          f"pass --drop-invalid to drop those rows")
    table = pd.DataFrame(converted)
    if bad_rows.any():
        table = table.loc[~bad_rows]
        if len(table) == 0:
            raise SchemaError(f"{source}: every row holds a non-finite or empty number; nothing is left")
    schema = spec.flow_schema()
    table = schema.validate(table.reset_index(drop=True), source)     # the role dtypes (integers to int64)
    return Applied(table, schema, int(bad_rows.sum()), invalid)


def _where(row: int, header_lines: int) -> str:
    return f"row {row + 1} (line {row + 1 + header_lines})"


def _fail(source: str, col: ColumnSpec, row: int, value, why: str, header_lines: int):
    raise SchemaError(f"{source}: column {col.name!r}, {_where(row, header_lines)}: {value!r} {why}")


def convert_column(values: pd.Series, col: ColumnSpec, source: str, header_lines: int = 1):
    """One column in its role's form, and the mask of its non-finite or empty numbers (droppable).

    The one place units are converted: epoch timestamps (s/ms/us/ns) and strptime/ISO text to
    datetime64, durations to seconds.
    """
    role = Role(col.role)
    text = values.astype(str).str.strip()
    none = np.zeros(len(values), dtype=bool)
    if role is Role.TIMESTAMP:
        return _timestamps(text, col, source, header_lines), none
    if role not in _NUMERIC:
        return text.astype(object), none
    numbers = pd.to_numeric(text.where(text != "", None), errors="coerce").astype("float64")
    unparsable = numbers.isna().to_numpy() & (text != "").to_numpy() & ~text.str.lower().isin(["nan", "-nan"]).to_numpy()
    if unparsable.any():
        row = int(np.flatnonzero(unparsable)[0])
        _fail(source, col, row, values.iloc[row], f"is not a number ({role.value})", header_lines)
    arr = numbers.to_numpy()
    not_finite = ~np.isfinite(arr)
    ok = ~not_finite
    checks = []
    if role in _NON_NEGATIVE:
        checks.append((arr < 0, f"is negative ({role.value} cannot be)"))
    if role in _INTEGER:
        checks.append((arr != np.round(arr), f"is not an integer ({role.value})"))
        checks.append((np.abs(arr) > INT64_SAFE_MAX, "is too large for a 64-bit integer"))
    if role is Role.PORT:
        checks.append(((arr < 0) | (arr > 65535), "is not a port (0..65535)"))
    for bad, why in checks:
        bad = bad & ok
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            _fail(source, col, row, values.iloc[row], why, header_lines)
    if role is Role.DURATION:
        arr = arr * SECONDS_PER[col.unit or "s"]
    if role in _INTEGER:
        arr = np.where(ok, arr, 0.0)      # placeholders in rows that are dropped
    return pd.Series(arr), not_finite


def _timestamps(text: pd.Series, col: ColumnSpec, source: str, header_lines: int) -> pd.Series:
    if col.unit:
        numbers = pd.to_numeric(text, errors="coerce")
        bad = ~np.isfinite(numbers.to_numpy(dtype="float64"))
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            _fail(source, col, row, text.iloc[row], f"is not an epoch timestamp in {col.unit}", header_lines)
        out = pd.to_datetime(numbers, unit=col.unit, errors="coerce")
        what = f"is out of the datetime range as an epoch in {col.unit}"
    else:
        fmt = {"iso": "ISO8601", None: "mixed"}.get(col.format, col.format)
        out = pd.to_datetime(text, format=fmt, errors="coerce", utc=True)   # offsets to UTC; naive text stays as is
        out = out.dt.tz_localize(None)
        what = f"does not match timestamp format {col.format}" if col.format else "is not a timestamp"
    bad = out.isna().to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        _fail(source, col, row, text.iloc[row], what, header_lines)
    return out.astype("datetime64[ns]")

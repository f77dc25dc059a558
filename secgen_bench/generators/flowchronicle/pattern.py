"""The pattern language: sequences of partial flows with FIXED / SET / USE / FREE cells.

A :class:`Pattern` is a tuple of rows; a row maps some columns to a cell:

* FIXED ``v``  - the flow has value code ``v`` in this column;
* SET ``p``    - binds placeholder ``p`` to this flow's value (IP columns only);
* USE ``p``    - the value must equal the one bound by an earlier SET ``p``;
* (absent)     - FREE: the value is modelled by the pattern's Bayesian network.

Patterns are immutable and hashable; placeholder ids are renumbered in order
of appearance so equal patterns compare equal. Values are integer codes of a
:class:`~.encoding.FlowEncoding`; :meth:`Pattern.to_text` and
:meth:`Pattern.to_spec` turn them back into readable values.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping, NamedTuple

FIXED, SET, USE = "fixed", "set", "use"
KINDS = (FIXED, SET, USE)


class Cell(NamedTuple):
    col: int
    kind: str
    value: int


Row = tuple  # tuple[Cell, ...] sorted by column


def _canonical(rows: Iterable[Iterable[Cell]]) -> tuple:
    rows = [tuple(sorted((Cell(int(c.col), c.kind, int(c.value)) for c in r), key=lambda c: c.col)) for r in rows]
    mapping: dict[int, int] = {}
    out = []
    for r in rows:
        new = []
        for c in r:
            if c.kind == SET:
                if c.value in mapping:
                    raise ValueError(f"placeholder {c.value} is SET twice in one pattern")
                mapping[c.value] = len(mapping)
        for c in r:
            if c.kind in (SET, USE):
                if c.value not in mapping:
                    raise ValueError(f"placeholder {c.value} is USEd before it is SET")
                new.append(Cell(c.col, c.kind, mapping[c.value]))
            else:
                new.append(c)
        out.append(tuple(new))
    return tuple(out)


@dataclass(frozen=True)
class Pattern:
    """An immutable pattern (rows of cells); see the module docstring."""

    rows: tuple

    def __post_init__(self) -> None:
        if len(self.rows) == 0:
            raise ValueError("a pattern needs at least one row")
        canon = _canonical(self.rows)
        for i, r in enumerate(canon):
            cols = [c.col for c in r]
            if len(set(cols)) != len(cols):
                raise ValueError(f"row {i} of a pattern names a column twice")
            if not r:
                raise ValueError(f"row {i} of a pattern has no cell")
            if i == 0 and any(c.kind == USE for c in r):
                raise ValueError("the first row of a pattern cannot USE a placeholder")
            for c in r:
                if c.kind not in KINDS:
                    raise ValueError(f"unknown cell kind {c.kind!r}")
        # a USE must refer to a SET of an earlier row
        seen: set[int] = set()
        for r in canon:
            for c in r:
                if c.kind == USE and c.value not in seen:
                    raise ValueError(f"placeholder {c.value} is USEd in the row that SETs it")
            seen.update(c.value for c in r if c.kind == SET)
        object.__setattr__(self, "rows", canon)

    # -- structure ---------------------------------------------------------
    @property
    def n_rows(self) -> int:
        return len(self.rows)

    def cells(self, kind: str, row: int | None = None) -> list[Cell]:
        rows = self.rows if row is None else (self.rows[row],)
        return [c for r in rows for c in r if c.kind == kind]

    @property
    def covered_cells(self) -> int:
        """Cells the pattern itself explains (FIXED and USE; a SET value is still coded by the BN)."""
        return sum(1 for r in self.rows for c in r if c.kind != SET)

    @property
    def n_placeholders(self) -> int:
        return sum(1 for r in self.rows for c in r if c.kind == SET)

    def free_variables(self, n_columns: int) -> list[tuple[int, int]]:
        """(row, column) of every cell the BN models: FREE and SET cells."""
        out = []
        for i, r in enumerate(self.rows):
            taken = {c.col for c in r if c.kind != SET}
            out.extend((i, col) for col in range(n_columns) if col not in taken)
        return out

    def ip_markers(self) -> set:
        """IP identities in the pattern: fixed (col, value) pairs and 'placeholder' (artefact's -1 marker)."""
        out: set = set()
        for r in self.rows:
            for c in r:
                if c.kind in (SET, USE):
                    out.add("placeholder")
        return out

    # -- building new patterns ---------------------------------------------
    def with_cell(self, row: int, cell: Cell) -> "Pattern":
        rows = [list(r) for r in self.rows]
        rows[row] = [c for c in rows[row] if c.col != cell.col] + [cell]
        return Pattern(tuple(tuple(r) for r in rows))

    def with_row(self, cells: Iterable[Cell]) -> "Pattern":
        return Pattern(self.rows + (tuple(cells),))

    def concat(self, other: "Pattern") -> "Pattern":
        shift = self.n_placeholders
        moved = tuple(tuple(Cell(c.col, c.kind, c.value + shift) if c.kind in (SET, USE) else c for c in r)
                      for r in other.rows)
        return Pattern(self.rows + moved)

    def fix_placeholder(self, placeholder: int, value: int) -> "Pattern":
        """Replace SET ``placeholder`` and all its USEs by FIXED ``value``."""
        rows = tuple(tuple(Cell(c.col, FIXED, value) if c.kind in (SET, USE) and c.value == placeholder else c
                           for c in r) for r in self.rows)
        return Pattern(rows)

    # -- cost ----------------------------------------------------------------
    def model_bits(self, n_columns: int, domain_sizes, bn_bits: float = 0.0) -> float:
        """L_N(#rows) + the cost of each row + the BN structure cost ``bn_bits``."""
        from secgen_bench.generators.flowchronicle.mdl import row_model_bits, universal_integer_bits

        bits = universal_integer_bits(self.n_rows)
        n_set_before = 0
        for i, r in enumerate(self.rows):
            fixed = [c for c in r if c.kind == FIXED]
            n_set = sum(c.kind == SET for c in r)
            n_use = sum(c.kind == USE for c in r)
            bits += row_model_bits(n_columns, len(fixed), n_set, n_use, [domain_sizes[c.col] for c in fixed],
                                   first=(i == 0), n_set_before=n_set_before)
            n_set_before += n_set
        return bits + bn_bits

    # -- readable forms -------------------------------------------------------
    def to_text(self, encoding, delays_s: Iterable[float] | None = None) -> str:
        """E.g. ``A -> DNS:53/UDP, then A -> *:443/TCP within 0.2 s``."""
        return render_pattern(self, encoding, list(delays_s) if delays_s is not None else None)

    def to_spec(self, encoding) -> list[dict[str, Any]]:
        """JSON-able rows: column name -> value, or {"set": "A"} / {"use": "A"}."""
        out = []
        for r in self.rows:
            row: dict[str, Any] = {}
            for c in r:
                name = encoding.columns[c.col]
                if c.kind == FIXED:
                    row[name] = encoding.spec_value(c.col, c.value)
                else:
                    row[name] = {c.kind: placeholder_name(c.value)}
            out.append(row)
        return out

    @classmethod
    def from_spec(cls, spec: Iterable[Mapping[str, Any]], encoding) -> "Pattern":
        """Build a pattern from :meth:`to_spec`-style rows (raw values are encoded, bins looked up)."""
        names: dict[str, int] = {}
        rows = []
        for i, row in enumerate(spec):
            if not isinstance(row, Mapping) or not row:
                raise ValueError(f"pattern row {i} must be a non-empty mapping of column -> value")
            cells = []
            for name, value in row.items():
                col = encoding.column_index(name)
                if isinstance(value, Mapping):
                    if len(value) != 1 or next(iter(value)) not in (SET, USE):
                        raise ValueError(f"pattern row {i}, column {name!r}: placeholder must be {{'set': X}} or {{'use': X}}")
                    kind, label = next(iter(value.items()))
                    if col not in encoding.ip_columns:
                        raise ValueError(f"pattern row {i}, column {name!r}: placeholders are allowed on IP columns only")
                    if kind == SET:
                        if label in names:
                            raise ValueError(f"pattern row {i}: placeholder {label!r} is SET twice")
                        names[label] = len(names)
                    elif label not in names:
                        raise ValueError(f"pattern row {i}, column {name!r}: placeholder {label!r} is used before it is set")
                    cells.append(Cell(col, kind, names[label]))
                else:
                    cells.append(Cell(col, FIXED, encoding.encode_value(col, value)))
            rows.append(tuple(cells))
        return cls(tuple(rows))


def placeholder_name(i: int) -> str:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return letters[i % 26] + ("" if i < 26 else str(i // 26))


def render_pattern(p: Pattern, encoding, delays_s: list[float] | None) -> str:
    parts = []
    for i, r in enumerate(p.rows):
        text = render_row(r, encoding)
        if i == 0:
            parts.append(text)
        else:
            gap = ""
            if delays_s is not None and i - 1 < len(delays_s) and delays_s[i - 1] is not None:
                gap = f" within {_fmt_seconds(delays_s[i - 1])}"
            parts.append(f"then {text}{gap}")
    return ", ".join(parts)


def _fmt_seconds(s: float) -> str:
    if s >= 100:
        return f"{s:.0f} s"
    return f"{s:.3g} s"


def render_row(r: Row, encoding) -> str:
    by_col = {c.col: c for c in r}

    def ip_text(col: int | None) -> str:
        if col is None or col not in by_col:
            return "*"
        c = by_col[col]
        return placeholder_name(c.value) if c.kind != FIXED else encoding.value_text(col, c.value)

    src, dst = encoding.src_ip, encoding.dst_ip
    text = f"{ip_text(src)} -> {ip_text(dst)}"
    used = {src, dst}
    if encoding.port_col is not None and encoding.port_col in by_col:
        text += f":{encoding.value_text(encoding.port_col, by_col[encoding.port_col].value)}"
        used.add(encoding.port_col)
    if encoding.proto_col is not None and encoding.proto_col in by_col:
        text += f"/{encoding.value_text(encoding.proto_col, by_col[encoding.proto_col].value)}"
        used.add(encoding.proto_col)
    extra = []
    for c in r:
        if c.col in used:
            continue
        name = encoding.columns[c.col]
        if c.kind == FIXED:
            extra.append(f"{name}={encoding.value_text(c.col, c.value)}")
        else:
            extra.append(f"{name}={placeholder_name(c.value)}")
    if extra:
        text += " [" + ", ".join(extra) + "]"
    return text

"""Column-mapped flow tables (IDS research CSVs and their Parquet copies), read streamed with pyarrow.

Why: UNSW-NB15, CICFlowMeter output, the NF- NetFlow sets, TON_IoT and nfdump
exports differ only in which columns they have and how a cell is written; a
:class:`Layout` says that once (file column -> schema column, parse rule) and
:func:`read_layout` reads any of them in bounded memory: pyarrow hands over
blocks of rows as text, each block is parsed, filtered (``--window``) and
sampled (``--max-rows``) before the next one is read, and only the kept rows of
the mapped columns stay in memory.

Cells a layout declares as defects are not errors: rows that repeat the header
line, and rows with a non-finite rate (``Infinity``/``NaN``) or a negative
duration are dropped and counted in ``meta["dropped"]``. Any other bad cell is
a one-line error naming file, data row, column and value.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from secgen_bench.datasets import common as cm
from secgen_bench.datasets.base import Dataset, LoadedData
from secgen_bench.datasets.limits import BottomK, RowLimits, describe, in_window
from secgen_bench.datasets.schemas import register_schema
from secgen_bench.schema import Column, FlowSchema, Role

BLOCK_BYTES = 16 << 20
PARQUET_MAGIC = b"PAR1"


@dataclass(frozen=True)
class Field:
    """One mapped column: where it comes from (``source``) and how its cells are read.

    ``parse``: ``int``, ``float``, ``str``, ``port`` (decimal or ``0x`` hex; ``-`` or empty -> 0),
    ``seconds``/``ms``/``us`` (a duration in that unit -> float seconds), ``epoch`` (epoch seconds ->
    time), ``time`` (a date-time text; ``dayfirst`` for the CIC files), ``rate`` (float, non-finite row dropped).
    """

    source: str
    name: str
    role: Role
    direction: str | None = None
    parse: str = ""

    @property
    def column(self) -> Column:
        return Column(self.name, self.role, self.direction)


@dataclass(frozen=True)
class Layout:
    """A file layout: its columns, how to recognise it, and which label values mean benign traffic."""

    name: str
    fields: tuple[Field, ...]
    description: str
    headerless: tuple[str, ...] | None = None  # files without a header line: every column name, in file order
    signature: frozenset[str] = frozenset()   # with a header: these names present -> this layout
    benign: tuple[str, ...] = ()
    dayfirst: bool = False
    min_fields: int | None = None              # headerless: a line with fewer fields is not this layout
    skip_odd_lines: bool = False               # lines with another field count (nfdump's summary) are dropped, counted
    schema: FlowSchema = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "schema", register_schema(
            FlowSchema(self.name, tuple(f.column for f in self.fields), self.description)))

    @property
    def sources(self) -> list[str]:
        return [f.source for f in self.fields]

    def matches(self, names: list[str] | None, first_cells: list[str] | None) -> bool:
        if self.headerless is None:
            return names is not None and self.signature <= set(names)
        if not first_cells:
            return False
        return len(first_cells) == len(self.headerless) or (self.min_fields is not None and len(first_cells) >= self.min_fields
                                                       and len(first_cells) <= len(self.headerless))


# ---- sniffing ---------------------------------------------------------------------------------
def is_parquet(path: Path) -> bool:
    return cm.head_bytes(path, 4) == PARQUET_MAGIC


def header_names(path: Path) -> tuple[list[str] | None, list[str] | None]:
    """(stripped column names of a header or Parquet schema, cells of the first line) for sniffing."""
    if is_parquet(path):
        try:
            import pyarrow.parquet as pq

            return [n.strip() for n in pq.ParquetFile(path).schema_arrow.names], None
        except Exception:
            return None, None
    lines = [ln for ln in cm.head_text(path).lstrip("\ufeff").splitlines() if ln.strip()]
    if not lines:
        return None, None
    cells = [c.strip() for c in lines[0].split(",")]
    return cells, cells


def pick_layout(path: Path, layouts: tuple[Layout, ...]) -> Layout | None:
    names, cells = header_names(path)
    for layout in layouts:
        if layout.headerless is None and layout.matches(names, None):
            return layout
    if cells is not None and not any(c in {"ts", "Timestamp"} for c in cells):
        for layout in layouts:
            if layout.headerless is not None and layout.matches(None, cells) and _looks_headerless(cells):
                return layout
    return None


def _looks_headerless(cells: list[str]) -> bool:
    """A first line of data, not of names: most cells are numbers, addresses or times."""
    numeric = sum(1 for c in cells if c[:1].isdigit() or c[:1] == "-")
    return numeric >= len(cells) // 2


# ---- reading ----------------------------------------------------------------------------------
def _batches(path: Path, layout: Layout, dropped: dict):
    """Record batches of the layout's columns as text, and the raw->stripped name map."""
    import pyarrow as pa

    if is_parquet(path):
        import pyarrow.parquet as pq

        try:
            pf = pq.ParquetFile(path)
            raw = {n.strip(): n for n in pf.schema_arrow.names}
            missing = [s for s in layout.sources if s not in raw]
            if missing:
                raise cm.DataFormatError(f"{path}: missing column {missing[0]!r} of layout {layout.name!r}")
            for batch in pf.iter_batches(batch_size=1 << 18, columns=[raw[s] for s in layout.sources]):
                yield pa.Table.from_batches([batch]), raw
        except (pa.ArrowException, OSError) as exc:
            raise cm.DataFormatError(f"{path}: unreadable Parquet file ({' '.join(str(exc).split())})") from None
        return

    import pyarrow.csv as pcsv

    if layout.headerless is not None:
        names = list(layout.headerless)
        first = header_names(path)[1] or []
        if len(first) < len(names):
            names = names[: len(first)]
        read = pcsv.ReadOptions(column_names=names, block_size=BLOCK_BYTES)
        raw = {n: n for n in names}
    else:
        head = cm.head_text(path).lstrip("\ufeff").splitlines()
        raw_names = _unique(head[0].split(",")) if head else []
        raw = {n.strip(): n for n in raw_names}
        missing = [s for s in layout.sources if s not in raw]
        if missing:
            raise cm.DataFormatError(f"{path}: line 1: missing column {missing[0]!r} of layout {layout.name!r}")
        read = pcsv.ReadOptions(column_names=raw_names, skip_rows=1, block_size=BLOCK_BYTES)
    wanted = [raw[s] for s in layout.sources]
    convert = pcsv.ConvertOptions(include_columns=wanted, column_types={w: pa.string() for w in wanted},
                                  strings_can_be_null=False, quoted_strings_can_be_null=False)
    def odd_line(row) -> str:
        dropped["line with another field count"] = dropped.get("line with another field count", 0) + 1
        return "skip"

    parse = pcsv.ParseOptions(newlines_in_values=False, invalid_row_handler=odd_line if layout.skip_odd_lines else None)
    try:
        reader = pcsv.open_csv(path, read_options=read, parse_options=parse, convert_options=convert)
        for batch in reader:
            yield pa.Table.from_batches([batch]), raw
    except pa.ArrowInvalid as exc:
        raise cm.DataFormatError(f"{path}: {' '.join(str(exc).split())}") from None


def _unique(names: list[str]) -> list[str]:
    """Header names with repeats suffixed ``.1``, ``.2`` (CIC-IDS2017 has ``Fwd Header Length`` twice)."""
    seen: dict[str, int] = {}
    out = []
    for n in names:
        k = seen.get(n.strip(), 0)
        seen[n.strip()] = k + 1
        out.append(n if k == 0 else f"{n}.{k}")
    return out


def _number(values: pd.Series, where: str, row0: int, *, integer: bool) -> np.ndarray:
    num = pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64")
    bad = np.isnan(num) & ~values.isin(["NaN", "nan"]).to_numpy()
    if integer:
        bad |= ~np.isfinite(num) | (num != np.round(num)) | (num < 0) | (np.abs(num) > 2.0**63 - 1024)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        what = "not a non-negative integer" if integer else "not a number"
        raise cm.DataFormatError(f"{where}: {what} {values.iloc[i]!r} (data row {row0 + i + 1})")
    return num.astype("int64") if integer else num


def _port(values: pd.Series, where: str, row0: int) -> np.ndarray:
    s = values.where(~values.isin(["", "-"]), "0")
    num = pd.to_numeric(s, errors="coerce")
    hexes = num.isna() & s.str.lower().str.startswith("0x")
    if hexes.any():
        num[hexes] = [int(v, 16) if all(ch in "0123456789abcdef" for ch in v[2:].lower()) and len(v) > 2 else np.nan
                      for v in s[hexes]]
    return _number(num.astype("float64").astype(object).where(num.notna(), s), where, row0, integer=True)


def _time(values: pd.Series, where: str, row0: int, dayfirst: bool) -> pd.Series:
    out = None
    iso = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S.%f"]
    for fmt in (["%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y %I:%M:%S %p"] if dayfirst else []) + iso:
        out = pd.to_datetime(values, format=fmt, errors="coerce")
        if out.notna().all():
            break
    if out is None or out.isna().any():
        out = pd.to_datetime(values, format="mixed", dayfirst=dayfirst, errors="coerce")
    bad = out.isna().to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise cm.DataFormatError(f"{where}: unparsable timestamp {values.iloc[i]!r} (data row {row0 + i + 1})")
    return out.astype("datetime64[ns]")


UNIT = {"seconds": 1.0, "ms": 1e-3, "us": 1e-6}


def _cast(arr, kind: str) -> np.ndarray | None:
    """Text -> int64/float64 in pyarrow (fast path), or None when a cell does not cast (the pandas path then names it)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        out = pc.cast(arr, pa.int64() if kind == "int" else pa.float64()).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return None if kind == "int" and (out < 0).any() else out


def _parse_batch(table, layout: Layout, raw: dict, path: Path, row0: int, dropped: dict) -> tuple[pd.DataFrame, np.ndarray]:
    """One block of text rows -> typed columns, and the mask of rows kept (defect rows dropped and counted)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    cols = {f.name: pc.utf8_trim_whitespace(table.column(raw[f.source]).cast("string")).combine_chunks()
            for f in layout.fields}
    keep = np.ones(table.num_rows, bool)
    empty = np.logical_and.reduce([pc.equal(c, "").to_numpy(zero_copy_only=False) for c in cols.values()])
    if empty.any():                # lines of bare commas (the CIC-IDS2017 web-attack file ends with many)
        dropped["empty line"] = dropped.get("empty line", 0) + int(empty.sum())
        keep &= ~empty
    if layout.headerless is None:      # a header line repeated inside the file (CIC-IDS2017 files concatenated)
        first = layout.fields[0]
        repeat = pc.equal(cols[first.name], first.source).to_numpy(zero_copy_only=False)
        if repeat.any():
            dropped["repeated header line"] = dropped.get("repeated header line", 0) + int(repeat.sum())
            keep &= ~repeat
    if not keep.all():             # dropped lines read as harmless cells, so the fast casts still apply
        mask = pa.array(keep)
        cols = {n: pc.if_else(mask, c, "0") for n, c in cols.items()}
    out: dict[str, Any] = {}
    for f in layout.fields:
        where = f"{path}: column {f.source!r}"
        arr = cols[f.name]

        def text() -> pd.Series:
            return pd.Series(arr.to_numpy(zero_copy_only=False), dtype=object)

        if f.role is Role.TIMESTAMP:
            secs = _cast(arr, "float") if f.parse in ("epoch", "epoch_ms") else None
            if secs is not None and np.isfinite(secs).all():
                secs = secs * (1e-3 if f.parse == "epoch_ms" else 1.0)
                out[f.name] = pd.Series(pd.to_datetime(np.round(secs * 1e6).astype("int64"), unit="us"))
            else:          # date-time text (also what ``datasets convert`` writes for an epoch column)
                values = text()
                out[f.name] = _time(values.where(keep, values[keep].iloc[0] if keep.any() else "2000-01-01 00:00:00"),
                                    where, row0, layout.dayfirst)
        elif f.role is Role.PORT:
            fast = _cast(arr, "int")
            out[f.name] = fast if fast is not None else _port(text(), where, row0)
        elif f.column.dtype == "object":
            out[f.name] = pc.if_else(pc.equal(arr, ""), "-", arr).to_numpy(zero_copy_only=False)
        elif f.column.dtype == "int64":
            fast = _cast(arr, "int")
            out[f.name] = fast if fast is not None else _number(text(), where, row0, integer=True)
        else:
            fast = _cast(arr, "float")
            num = (fast if fast is not None else _number(text(), where, row0, integer=False)) * UNIT.get(f.parse, 1.0)
            nonfinite = ~np.isfinite(num) & keep
            if nonfinite.any():
                key = f"non-finite {f.source} (Infinity/NaN)"
                dropped[key] = dropped.get(key, 0) + int(nonfinite.sum())
                keep &= ~nonfinite
            if f.role is Role.DURATION:
                negative = (num < 0) & keep
                if negative.any():
                    key = f"negative {f.source}"
                    dropped[key] = dropped.get(key, 0) + int(negative.sum())
                    keep &= ~negative
            out[f.name] = np.where(np.isfinite(num), num, 0.0)
    return pd.DataFrame(out), keep


def read_layout(path: str | Path, layout: Layout, *, seed: int = 0, limits: RowLimits = RowLimits()) -> tuple[pd.DataFrame, dict]:
    """The layout's table from ``path`` (CSV or Parquet), streamed; ``limits`` applied while reading."""
    path = cm.existing_file(path)
    sampler = BottomK(limits.max_rows, seed)
    dropped: dict[str, int] = {}
    timestamp = layout.schema.timestamp
    if limits.window is not None and timestamp is None:
        raise cm.DataFormatError(f"{path}: --window needs a timestamp column; layout {layout.name!r} has none")
    row0 = 0
    try:
        for table, raw in _batches(path, layout, dropped):
            n = table.num_rows
            keys = sampler.draw(n)
            frame, keep = _parse_batch(table, layout, raw, path, row0, dropped)
            if limits.window is not None:
                keep &= in_window(frame[timestamp], limits.window)
            sampler.offer(frame[keep].reset_index(drop=True), row0 + np.flatnonzero(keep), keys[keep])
            row0 += n
    except UnicodeDecodeError as exc:
        raise cm.DataFormatError(f"{path}: not UTF-8 text ({exc.reason})") from None
    result = sampler.result()
    if result is None or len(result) == 0:
        what = " after --window/--max-rows" if limits.active else ""
        raise cm.DataFormatError(f"{path}: no data rows{what}")
    if timestamp is not None:
        result = cm.sort_by_time(result, timestamp)
    table = layout.schema.validate(result, str(path))
    meta = {"source": str(path), "layout": layout.name, "rows_read": row0, "rows": len(table), "dropped": dropped,
            "dropped_rows": sum(dropped.values()),
            **describe(limits)}
    meta["benign"] = {col: list(layout.benign) for col in layout.schema.by_role("label")}   # as a schema file declares it
    for col, values in meta["benign"].items():
        meta[f"benign:{col}"] = values
    return table, meta


def register_source(src) -> str:
    """Make a :class:`download.Source` known to ``fetch`` (the format modules declare their official files)."""
    from secgen_bench.datasets import download

    download.SOURCES.setdefault(src.name, src)
    return src.name


class LayoutFormat(Dataset):
    """A dataset read from a CSV or Parquet file in one of ``layouts`` (picked by its header)."""

    layouts: ClassVar[tuple[Layout, ...]] = ()
    needs_path = True
    streams = True          # load() takes ``limits`` and applies them while reading

    def default_path(self) -> Path:
        """The offline sample, else the official file (downloaded once, checked, cached), else a one-line error."""
        sample = self.sample_path()
        if sample is None and self.download_source is not None:
            from secgen_bench.datasets.download import fetch

            return fetch(self.download_source)
        return super().default_path()

    def load(self, path: str | Path | None = None, *, seed: int = 0, profile: str = "default",
             limits: RowLimits = RowLimits()) -> LoadedData:
        path = cm.existing_file(self.default_path() if path is None else path)
        layout = pick_layout(path, self.layouts)
        if layout is None:
            names = ", ".join((header_names(path)[0] or [])[:5])
            raise cm.DataFormatError(f"{path}: line 1: not a {self.name} file (layouts {', '.join(l.name for l in self.layouts)}; "
                                     f"first columns: {names})")
        table, meta = read_layout(path, layout, seed=seed, limits=limits)
        meta["dataset"] = self.name
        return LoadedData(table, layout.schema, meta)

    @classmethod
    def sniff(cls, path: Path) -> bool:
        return pick_layout(path, cls.layouts) is not None

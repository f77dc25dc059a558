"""Helpers shared by the loaders: where the real data lives, and one-line errors that name file and line.

Loaders never drop valid rows silently: whatever they filter is counted in
``LoadedData.meta["dropped"]`` (reason -> rows).
"""
from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from secgen_bench.schema import INT64_SAFE_MAX, SchemaError

REPO = Path(__file__).resolve().parents[2]


class DataFormatError(SchemaError):
    """A data file cannot be read in the format asked for (one line: file, line/column, problem)."""


def shared_data_dir() -> Path | None:
    """``$SECGEN_BENCH_DATA`` or ``../shared/data`` beside the checkout, when it exists."""
    env = os.environ.get("SECGEN_BENCH_DATA")
    path = Path(env) if env else REPO.parent / "shared" / "data"
    return path if path.is_dir() else None


def shared_file(*parts: str) -> Path | None:
    base = shared_data_dir()
    if base is None:
        return None
    path = base.joinpath(*parts)
    return path if path.exists() else None


def existing_file(path: str | Path) -> Path:
    path = Path(path)
    if not path.exists():
        raise DataFormatError(f"{path}: no such file")
    if path.is_dir():
        raise DataFormatError(f"{path}: is a folder, expected a file")
    if path.stat().st_size == 0:
        raise DataFormatError(f"{path}: empty file")
    return path


def head_text(path: Path, size: int = 8192) -> str:
    """The first bytes of a file as text (for sniffing); '' when unreadable."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read(size)
    except OSError:
        return ""
    if b"\x00" in raw:
        return ""
    return raw.decode("utf-8", errors="replace")


def head_bytes(path: Path, size: int = 16) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read(size)
    except OSError:
        return b""


def read_text(path: Path) -> str:
    """Whole file as UTF-8, or a one-line error naming the line of the first bad byte."""
    raw = Path(path).read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataFormatError(f"{path}: line {line}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})") from None


def read_csv(path: Path, *, required: Iterable[str] = (), skiprows: int = 0, **kwargs) -> pd.DataFrame:
    """``pd.read_csv`` with every failure turned into one line naming the file and line."""
    path = existing_file(path)
    text = read_text(path)
    try:
        frame = pd.read_csv(io.StringIO(text), skiprows=skiprows, **kwargs)
    except pd.errors.EmptyDataError:
        raise DataFormatError(f"{path}: empty file (no header)") from None
    except pd.errors.ParserError as exc:
        raise DataFormatError(f"{path}: {_parser_message(exc)}") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in required if c not in frame.columns]
    if missing:
        found = ", ".join(list(frame.columns)[:6])
        raise DataFormatError(f"{path}: line {skiprows + 1}: missing column {missing[0]!r} (header has: {found}); wrong format or delimiter?")
    if len(frame) == 0:
        raise DataFormatError(f"{path}: no data rows after the header")
    return frame


def _parser_message(exc: Exception) -> str:
    msg = " ".join(str(exc).split())
    return msg.replace("Error tokenizing data. C error: ", "")


def line_of(row: int, header_lines: int = 1) -> int:
    """1-based file line of data row ``row`` (0-based) under ``header_lines`` header lines."""
    return int(row) + header_lines + 1


def to_number(values: pd.Series, path: Path, column: str, *, header_lines: int = 1,
              integer: bool = False, non_negative: bool = True, missing: float | None = None,
              rows: np.ndarray | None = None) -> np.ndarray:
    """Parse a numeric column; the first bad cell is reported with its file line and column."""
    s = values.astype(str).str.strip() if values.dtype == object else values
    if missing is not None and values.dtype == object:
        s = s.where(~s.isin(["", "-", "nan", "NaN"]), str(missing))
    num = pd.to_numeric(s, errors="coerce").to_numpy(dtype="float64")
    if missing is not None:
        num = np.where(np.isnan(num) & values.isna().to_numpy(), missing, num)
    bad = ~np.isfinite(num)
    if non_negative:
        bad |= num < 0
    if integer:
        bad |= np.isfinite(num) & ((num != np.round(num)) | (np.abs(num) > INT64_SAFE_MAX))   # the cast would wrap
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        row = int(rows[i]) if rows is not None else i
        what = ("non-numeric" if not np.isfinite(num[i]) else "negative" if num[i] < 0
                else "too large (beyond 64-bit integers)" if np.abs(num[i]) > INT64_SAFE_MAX else "non-integer")
        raise DataFormatError(f"{path}: line {line_of(row, header_lines)}: column {column!r}: {what} value {values.iloc[i]!r}")
    return num.astype("int64") if integer else num


def to_time(values: pd.Series, path: Path, column: str, *, header_lines: int = 1, fmt: str | None = None,
            unit: str | None = None, rows: np.ndarray | None = None) -> pd.Series:
    """Parse timestamps; the first unparsable one is reported with its file line (``rows`` as in :func:`to_number`)."""
    def line(i: int) -> int:
        return line_of(int(rows[i]) if rows is not None else i, header_lines)

    if unit is not None:
        num = to_number(values, path, column, header_lines=header_lines, non_negative=True, rows=rows)
        late = num >= float(pd.Timestamp.max.value) / {"s": 1e9, "ms": 1e6, "us": 1e3, "ns": 1.0}[unit]
        if late.any():                      # pandas would raise OverflowError deep inside the conversion
            i = int(np.flatnonzero(late)[0])
            raise DataFormatError(f"{path}: line {line(i)}: column {column!r}: timestamp out of range "
                                  f"(after {pd.Timestamp.max.year}) {values.iloc[i]!r}")
        text = values.astype(str).str.strip()
        parts = text.str.extract(r"^(\d+)(?:\.(\d*))?$")
        if parts[0].notna().all():          # exact decimal -> integer nanoseconds (no float rounding)
            scale = {"s": 9, "ms": 6, "us": 3, "ns": 0}[unit]
            frac = parts[1].fillna("").str.ljust(scale, "0").str[:scale].replace("", "0")
            ns = parts[0].astype("int64") * 10**scale + frac.astype("int64")
            out = pd.Series(pd.to_datetime(ns.to_numpy(), unit="ns"))
        else:
            out = pd.Series(pd.to_datetime(num, unit=unit, errors="coerce"))
    else:
        out = pd.to_datetime(values.astype(str).str.strip(), format=fmt or "mixed", errors="coerce")
    bad = out.isna().to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataFormatError(f"{path}: line {line(i)}: column {column!r}: unparsable timestamp {values.iloc[i]!r}")
    return out.reset_index(drop=True).astype("datetime64[ns]")


def clean_str(values: pd.Series, fill: str = "-") -> pd.Series:
    """Strip padding; missing or empty -> ``fill``."""
    s = values.astype(object).where(values.notna(), fill).astype(str).str.strip()
    return s.where(s != "", fill).reset_index(drop=True)


def sort_by_time(table: pd.DataFrame, column: str) -> pd.DataFrame:
    return table.sort_values(column, kind="stable").reset_index(drop=True)

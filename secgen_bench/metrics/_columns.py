"""Column selection and value extraction shared by the metrics (roles, never names).

Metrics read the columns they need from the schema roles, check that both
tables carry them and hold no missing values, and turn timestamps into integer
nanoseconds (the artefact's numeric view of ``Date first seen``).
"""
from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from secgen_bench.schema import FlowSchema, Role, SchemaError

# Roles that are bookkeeping, not flow features: never compared by the metrics.
NON_FEATURE_ROLES = frozenset({Role.SEQUENCE_ID, Role.LABEL})


def feature_columns(schema: FlowSchema) -> list[str]:
    """All columns a whole-row metric compares: every column except sequence ids and labels."""
    return [c.name for c in schema.columns if c.role not in NON_FEATURE_ROLES]


def require(tables: Iterable[tuple[str, pd.DataFrame]], columns: Sequence[str], metric: str) -> None:
    """One-line error naming the table and column when a column is missing or has missing values."""
    for which, table in tables:
        if table is None:
            continue
        if not isinstance(table, pd.DataFrame):
            raise SchemaError(f"{metric}: {which} table is a {type(table).__name__}, not a DataFrame")
        if len(table) == 0:
            raise SchemaError(f"{metric}: {which} table is empty")
        for col in columns:
            if col not in table.columns:
                raise SchemaError(f"{metric}: {which} table has no column {col!r}")
            if table[col].isna().any():
                raise ValueError(f"{metric}: {which} table column {col!r} has missing values (NaN)")


def need_columns(columns: Sequence[str], metric: str, what: str, schema: FlowSchema) -> None:
    if not columns:
        raise SchemaError(f"{metric}: schema {schema.name!r} has no {what} columns")


def numeric(series: pd.Series, metric: str = "metric", which: str = "table") -> np.ndarray:
    """float64 values; timestamps as integer nanoseconds; a clear error on text or non-finite values."""
    if pd.api.types.is_datetime64_any_dtype(series):
        return series.astype("datetime64[ns]").astype("int64").to_numpy().astype("float64")
    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype="float64")
    bad = ~np.isfinite(values)
    if bad.any():
        first = series.iloc[int(np.flatnonzero(bad)[0])]
        raise ValueError(f"{metric}: {which} column {series.name!r} has a non-numeric or non-finite value {first!r}")
    return values


def raw_values(series: pd.Series) -> np.ndarray:
    """Values for exact equality tests: timestamps as int64 ns, numbers as float64, text as str."""
    if pd.api.types.is_datetime64_any_dtype(series):
        return series.astype("datetime64[ns]").astype("int64").to_numpy()
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return series.to_numpy(dtype="float64")
    return series.astype(str).to_numpy(dtype=object)


def joint_codes(*series: pd.Series) -> list[np.ndarray]:
    """Integer codes of one column across several tables, equal codes <=> equal values."""
    values = [raw_values(s) for s in series]
    kinds = {v.dtype.kind for v in values}
    if len(kinds) > 1:  # e.g. numbers in one table, text in another: compare as text
        values = [np.asarray([str(x) for x in v], dtype=object) for v in values]
    codes, _ = pd.factorize(np.concatenate(values), sort=False)
    out, start = [], 0
    for v in values:
        out.append(codes[start:start + len(v)].astype(np.int64))
        start += len(v)
    return out

"""The one flow encoding of the utility, detectability and privacy metrics.

It is the Density/Coverage encoding (``density_coverage.encode``), generalised
to any number of tables and given a dense view for models that need a matrix:

- Features: every flow column except sequence ids and labels (timestamp as
  integer nanoseconds).
- A column is *categorical* when its role is IP, PORT or FLAGS, when it holds
  text, or when it has fewer than 40 distinct values over the fitting tables;
  every other column is *numeric*.
- Numeric columns are min-max scaled with the minimum and maximum over the
  fitting tables (sklearn's MinMaxScaler arithmetic; values of other tables
  may fall outside [0, 1]).
- kNN view (``knn``): numeric part plus one integer code per categorical
  column, codes shared by the tables encoded together (numbered in the
  order of the values' text, so that they do not depend on row order); the torch kNN kernel
  adds 2 to the squared distance per differing code, which is the squared
  Euclidean distance between one-hot vectors. With the two tables
  (real, synthetic) as fitting tables this is Density/Coverage's input (the
  same numbers, the same code equalities).
- Dense view (``dense``): numeric part, then per categorical column one 0/1
  indicator for each of its ``DENSE_LEVELS`` most frequent values in the
  fitting tables (ties broken by the value's text) and one "other" indicator
  for every remaining or unseen value. It equals the kNN view's one-hot vector
  except that rare values are merged; the kNN detector and the autoencoder
  read it.
- Ordinal view (``ordinal``): numeric part, then per categorical column the
  rank of its value among those same levels (0 = most frequent, unseen or
  rare = ``len(levels)``) divided by ``DENSE_LEVELS``. IsolationForest reads
  it: on indicators a tree isolates only rows *having* a rare level, so a row
  with an unseen level looks normal; on ranks a split can cut off any level.
  The HistGradientBoosting classifiers read the integer ranks as native
  categorical features (one column per flow column instead of 33).

Each metric says which tables it fits the encoding on (its docstring).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from secgen_bench.metrics._columns import feature_columns, numeric, raw_values, require
from secgen_bench.metrics.density_coverage import ONE_HOT_MAX_DISTINCT, ONE_HOT_ROLES
from secgen_bench.metrics.pcd import minmax_fit
from secgen_bench.schema import FlowSchema

DENSE_LEVELS = 32  # indicators per categorical column in the dense view (+1 "other")


def _is_text(series: pd.Series) -> bool:
    return not (pd.api.types.is_numeric_dtype(series) or pd.api.types.is_datetime64_any_dtype(series))


def _level_keys(series: pd.Series) -> np.ndarray:
    """Values as text, so that levels compare equal across tables whatever their dtype."""
    return np.asarray([str(v) for v in raw_values(series)], dtype=object)


def _sorted_codes(series: list[pd.Series]) -> list[np.ndarray]:
    """Codes of one column over several tables: equal codes <=> equal values, numbered by the values' text."""
    keys = [_level_keys(s) for s in series]
    codes, _ = pd.factorize(np.concatenate(keys), sort=True)
    out, start = [], 0
    for k in keys:
        out.append(codes[start:start + len(k)].astype(np.int64))
        start += len(k)
    return out


def canonical_order(*blocks: np.ndarray | None) -> np.ndarray:
    """Row indices sorting the rows by their encoded values (columns of ``blocks`` side by side).

    Models and seeded draws see rows in this order, so a table's row order cannot change a
    result: rows that sort equal are equal, hence interchangeable.
    """
    cols = np.hstack([np.asarray(b, dtype=np.float64).reshape(len(blocks[0]), -1) for b in blocks if b is not None])
    return np.lexsort(cols.T[::-1]) if cols.shape[1] else np.arange(len(cols))


class FlowEncoding:
    """Column split, scaling and levels fitted on ``fit_tables``; applied to any table of the schema."""

    def __init__(self, schema: FlowSchema, fit_tables: Sequence[tuple[str, pd.DataFrame]], metric: str):
        self.schema, self.metric = schema, metric
        cols = feature_columns(schema)
        if not cols:
            raise ValueError(f"{metric}: schema {schema.name!r} has no feature columns")
        require(fit_tables, cols, metric)
        frames = [t for _, t in fit_tables]
        self.numeric_columns: list[str] = []
        self.categorical_columns: list[str] = []
        for c in cols:
            joined = pd.concat([f[c] for f in frames], ignore_index=True)
            if schema.column(c).role in ONE_HOT_ROLES or _is_text(frames[0][c]) or joined.nunique() < ONE_HOT_MAX_DISTINCT:
                self.categorical_columns.append(c)
            else:
                self.numeric_columns.append(c)
        if self.numeric_columns:
            blocks = [self._raw_numeric(t, which) for which, t in fit_tables]
            self.scale, self.offset = minmax_fit(*blocks)
        self.levels: dict[str, list[str]] = {}
        for c in self.categorical_columns:
            keys = np.concatenate([_level_keys(f[c]) for f in frames])
            counts = pd.Series(keys).value_counts()
            ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
            self.levels[c] = [k for k, _ in ranked[:DENSE_LEVELS]]

    def _raw_numeric(self, table: pd.DataFrame, which: str) -> np.ndarray:
        if not self.numeric_columns:
            return np.zeros((len(table), 0))
        return np.column_stack([numeric(table[c], self.metric, which) for c in self.numeric_columns])

    def _check(self, tables: Sequence[tuple[str, pd.DataFrame]]) -> None:
        require(tables, self.numeric_columns + self.categorical_columns, self.metric)

    def scaled(self, table: pd.DataFrame, which: str = "table") -> np.ndarray:
        """The numeric part: min-max scaled numeric columns (n, p)."""
        x = self._raw_numeric(table, which)
        return x * self.scale + self.offset if self.numeric_columns else x

    def knn(self, *tables: tuple[str, pd.DataFrame]) -> list[tuple[np.ndarray, np.ndarray | None]]:
        """(numeric part, categorical codes or None) per table; codes shared by the tables given together."""
        self._check(tables)
        nums = [self.scaled(t, which) for which, t in tables]
        if not self.categorical_columns:
            return [(x, None) for x in nums]
        per_col = [_sorted_codes([t[c] for _, t in tables]) for c in self.categorical_columns]
        return [(nums[i], np.column_stack([codes[i] for codes in per_col])) for i in range(len(tables))]

    def dense(self, table: pd.DataFrame, which: str = "table") -> np.ndarray:
        """Numeric part then capped one-hot indicators (float64, (n, p + sum(levels + 1)))."""
        self._check([(which, table)])
        parts = [self.scaled(table, which)]
        for c in self.categorical_columns:
            lookup = {k: i for i, k in enumerate(self.levels[c])}
            other = len(lookup)
            idx = np.fromiter((lookup.get(k, other) for k in _level_keys(table[c])), dtype=np.int64, count=len(table))
            parts.append(np.eye(other + 1)[idx])
        return np.hstack(parts).astype(np.float64)

    def ordinal(self, table: pd.DataFrame, which: str = "table", *, integer_ranks: bool = False) -> np.ndarray:
        """Numeric part then one column per categorical column: its level's frequency rank / DENSE_LEVELS
        (the rank itself with ``integer_ranks``, for models with native categorical support)."""
        self._check([(which, table)])
        parts = [self.scaled(table, which)]
        for c in self.categorical_columns:
            lookup = {k: i for i, k in enumerate(self.levels[c])}
            other = len(lookup)
            idx = np.fromiter((lookup.get(k, other) for k in _level_keys(table[c])), dtype=np.float64, count=len(table))
            parts.append((idx if integer_ranks else idx / DENSE_LEVELS)[:, None])
        return np.hstack(parts).astype(np.float64)

    def categorical_mask(self) -> np.ndarray:
        """Which columns of the ordinal view are categorical ranks."""
        return np.r_[np.zeros(len(self.numeric_columns), bool), np.ones(len(self.categorical_columns), bool)]

    @property
    def description(self) -> dict:
        return {"numeric_columns": len(self.numeric_columns), "categorical_columns": len(self.categorical_columns)}


def label_column(schema: FlowSchema, metric: str, needs: str) -> str:
    """The schema's "label" column (never a feature); ``needs`` words the one-line error when there is none."""
    from secgen_bench.schema import Role

    labels = schema.by_role(Role.LABEL)
    if not labels:
        raise ValueError(f"{metric}: needs {needs}: dataset {schema.name!r} has no label column")
    return labels[0]

"""SMOTE as a generator: each synthetic flow lies on the segment between a training flow and a near neighbour.

After Chawla, Bowyer, Hall and Kegelmeyer, "SMOTE: Synthetic Minority Over-sampling Technique" (JAIR 2002),
with its SMOTE-NC distance for mixed tables; our code (imbalanced-learn is not a dependency). Fit: the k (= 5)
nearest neighbours of every training flow. Numeric cells (bytes, packets, counts, durations, the timestamp as
seconds) are compared after a log1p for the non-negative roles and z-scoring; a categorical cell (IP, port,
protocol, flags, other strings) that differs adds SMOTE-NC's penalty, the median standard deviation of the
numeric features, squared (1 on the z-scored scale). Sample: draw a training flow and one of its k neighbours
uniformly and a gap u ~ U(0, 1); numeric cells are ``x + u (neighbour - x)`` on the original scale (integer
roles rounded), the timestamp likewise; the table is sorted by time.

It is the "copy with a little noise" baseline: every synthetic flow sits next to training flows, so privacy
metrics (``dcr``, ``authenticity``, MD) should flag it, while fidelity metrics rate it highly.

Departures: SMOTE-NC gives a synthetic flow each categorical value by a vote of the k neighbours; here every
categorical cell comes from the nearer endpoint of the segment (the training flow when u < 0.5, else the
neighbour), so a synthetic flow's categorical cells are those of one real flow. SMOTE oversamples a minority
class; here the whole (unlabelled) table is the class. Neighbour search is exact (blocked numpy), over at most
``max_train_rows`` training flows (seeded subsample; 0 = all), with ties broken by row order.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from secgen_bench.config import check_option_bounds
from secgen_bench.generators.base import Generator
from secgen_bench.generators.common.discretize import cast_numeric
from secgen_bench.generators.common.subsample import subsample_rows
from secgen_bench.schema import Role

_LOG_ROLES = {Role.BYTES, Role.PACKETS, Role.COUNT, Role.DURATION}
QUERY_BLOCK = 512   # training flows whose neighbours are searched at once (memory: block x rows x columns)


@dataclass(frozen=True)
class SMOTEConfig:
    k: int = 5                    # neighbours per training flow
    max_train_rows: int = 20000   # neighbour search is quadratic in this; 0 = all rows

    def __post_init__(self) -> None:
        check_option_bounds(self, at_least_one=("k",), non_negative=("max_train_rows",))


class SMOTE(Generator):
    """Interpolation between a training flow and one of its k nearest neighbours (SMOTE / SMOTE-NC)."""

    name = "smote"
    version = "1.0"
    description = "SMOTE-NC interpolation between training flows and their k nearest neighbours (privacy floor)."
    Config = SMOTEConfig
    PROFILES = {"quick": {"max_train_rows": 5000}, "paper": {"max_train_rows": 0}}

    def _fit(self, table: pd.DataFrame, schema, *, seed: int) -> None:
        table = subsample_rows(table, self.config.max_train_rows, seed)
        ts = schema.timestamp
        self.numeric_ = [c.name for c in schema.columns if c.role.is_continuous or c.role is Role.TIMESTAMP]
        self.categorical_ = [c for c in table.columns if c not in self.numeric_]
        self.table_ = table.reset_index(drop=True)
        if ts is not None:
            self.t_min_ = table[ts].min()
        raw = self._numeric_matrix(self.table_)
        scaled = raw.copy()
        for j, c in enumerate(self.numeric_):
            if schema.column(c).role in _LOG_ROLES:
                scaled[:, j] = np.log1p(np.maximum(scaled[:, j], 0.0))
            std = scaled[:, j].std()
            scaled[:, j] = (scaled[:, j] - scaled[:, j].mean()) / (std if std > 0 else 1.0)
        codes = np.column_stack([pd.factorize(self.table_[c], sort=True)[0] for c in self.categorical_]) \
            if self.categorical_ else np.zeros((len(table), 0), dtype=np.int64)
        # SMOTE-NC's penalty: the median std of the numeric features (all 1 after z-scoring, 0 when constant)
        stds = scaled.std(axis=0) if scaled.shape[1] else np.ones(1)
        self.penalty_ = float(np.median(stds)) ** 2 if stds.size and np.median(stds) > 0 else 1.0
        self.neighbours_ = nearest_neighbours(scaled, codes, self.penalty_, self.config.k)

    def _numeric_matrix(self, table: pd.DataFrame) -> np.ndarray:
        ts = self.schema_.timestamp
        cols = [((table[c] - self.t_min_).dt.total_seconds().to_numpy() if c == ts else table[c].to_numpy(float))
                for c in self.numeric_]
        return np.column_stack(cols).astype("float64") if cols else np.zeros((len(table), 0))

    def _sample(self, n: int, *, seed: int) -> pd.DataFrame:
        rng = np.random.default_rng(seed)
        rows = len(self.table_)
        base = rng.integers(0, rows, n)
        if self.neighbours_.shape[1]:
            other = self.neighbours_[base, rng.integers(0, self.neighbours_.shape[1], n)]
        else:   # a one-row table has no neighbour: the flow itself
            other = base
        gap = rng.random(n)
        raw = self._numeric_matrix(self.table_)
        mixed = raw[base] + gap[:, None] * (raw[other] - raw[base])
        donor = np.where(gap < 0.5, base, other)
        out = {}
        ts = self.schema_.timestamp
        for j, c in enumerate(self.numeric_):
            if c == ts:
                ns = np.rint(mixed[:, j] * 1e9).astype(np.int64)
                out[c] = (self.t_min_ + pd.to_timedelta(ns, unit="ns")).to_numpy()
            else:
                out[c] = cast_numeric(mixed[:, j], self.schema_.column(c).role)
        for c in self.categorical_:
            out[c] = self.table_[c].to_numpy()[donor]
        frame = pd.DataFrame(out)[self.columns_].astype(self.dtypes_)
        if ts is not None:
            frame = frame.sort_values(ts, kind="stable").reset_index(drop=True)
        return frame


def nearest_neighbours(numeric: np.ndarray, codes: np.ndarray, penalty: float, k: int) -> np.ndarray:
    """For every row, the indices of its ``k`` nearest other rows under the SMOTE-NC distance (squared Euclidean on
    ``numeric`` + ``penalty`` per differing code), nearest first, ties by row index; fewer when there are fewer rows."""
    rows = len(numeric)
    k = min(k, rows - 1)
    out = np.zeros((rows, max(k, 0)), dtype=np.int64)
    if k <= 0:
        return out
    sq = (numeric ** 2).sum(axis=1)
    for start in range(0, rows, QUERY_BLOCK):
        stop = min(start + QUERY_BLOCK, rows)
        d = sq[start:stop, None] + sq[None, :] - 2.0 * numeric[start:stop] @ numeric.T
        if codes.shape[1]:
            d = d + penalty * (codes[start:stop, None, :] != codes[None, :, :]).sum(axis=2)
        d = np.maximum(d, 0.0)
        d[np.arange(stop - start), np.arange(start, stop)] = np.inf    # not its own neighbour
        kth = np.partition(d, k - 1, axis=1)[:, k - 1]
        for i in range(stop - start):    # the k smallest (distance, index) pairs: ties broken by row order
            pool = np.flatnonzero(d[i] <= kth[i])
            out[start + i] = pool[np.lexsort((pool, d[i, pool]))[:k]]
    return out

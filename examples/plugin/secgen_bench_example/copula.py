"""A Gaussian copula over the numeric columns; the other columns ride along with the nearest training row.

Numeric columns (the schema's continuous columns and the timestamp) keep their exact marginals: each is
sampled from its sorted training values (an empirical quantile function). Their dependence is a Gaussian
copula: the correlation of the training rows' normal scores. Every other column (IPs, ports, protocol,
flags, categories) is copied, jointly, from the training row whose normal scores are nearest to the
sampled ones, so the discrete values stay consistent with each other and with the numbers.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from scipy.spatial import cKDTree

from secgen_bench.config import check_option_bounds
from secgen_bench.generators.base import Generator


@dataclass(frozen=True)
class CopulaConfig:
    """Options (``--set gaussian-copula-lite.OPTION=VALUE``); the defaults are the ``default`` profile."""

    max_fit_rows: int = 20000   # training rows used (a seeded subsample above this), bounds fit time and memory
    shrinkage: float = 0.05     # weight of the identity in the correlation matrix (keeps it well conditioned)

    def __post_init__(self) -> None:
        check_option_bounds(self, at_least_one=("max_fit_rows",), non_negative=("shrinkage",))
        if self.shrinkage > 1:
            raise ValueError(f"option 'shrinkage' must be <= 1, got {self.shrinkage}")


class GaussianCopulaLite(Generator):
    name = "gaussian-copula-lite"
    version = "1.0"          # bump on any change of output: name + version + config are the cache key
    description = "Empirical marginals joined by a Gaussian copula; discrete columns from the nearest row."
    track = "flows"
    unit = "rows"
    Config = CopulaConfig
    PROFILES = {"quick": {"max_fit_rows": 2000}, "paper": {"max_fit_rows": 100000}}
    requires = ("scipy",)    # checked without importing; a missing one lists the plugin as unavailable

    def _fit(self, table: pd.DataFrame, schema, *, seed: int) -> None:
        rng = np.random.default_rng(seed)
        if len(table) > self.config.max_fit_rows:
            keep = np.sort(rng.choice(len(table), self.config.max_fit_rows, replace=False))
            table = table.iloc[keep].reset_index(drop=True)
        numeric = [c for c in table.columns if c == schema.timestamp or c in schema.continuous]
        self.numeric_ = numeric
        self.sorted_ = {c: np.sort(table[c].to_numpy()) for c in numeric}
        self.others_ = {c: table[c].to_numpy() for c in table.columns if c not in numeric}
        self.scores_ = np.column_stack([normal_scores(_as_float(table[c])) for c in numeric]) if numeric \
            else np.zeros((len(table), 0))
        self.cholesky_ = np.linalg.cholesky(shrunk_correlation(self.scores_, self.config.shrinkage))

    def _sample(self, n: int, *, seed: int) -> pd.DataFrame:
        rng = np.random.default_rng(seed)
        z = rng.standard_normal((n, len(self.numeric_))) @ self.cholesky_.T
        u = stats.norm.cdf(z)
        out = {}
        for j, col in enumerate(self.numeric_):
            values = self.sorted_[col]
            out[col] = values[np.minimum((u[:, j] * len(values)).astype(np.int64), len(values) - 1)]
        n_train = len(self.scores_)
        if self.numeric_ and n:
            rows = cKDTree(self.scores_).query(z, k=1)[1]
        else:
            rows = rng.integers(0, n_train, size=n)
        for col, values in self.others_.items():
            out[col] = values[rows]
        frame = pd.DataFrame(out)[self.columns_].astype(self.dtypes_)
        ts = self.schema_.timestamp
        if ts is not None:   # flows come in time order: temporal metrics and the record files rely on it
            frame = frame.sort_values(ts, kind="stable").reset_index(drop=True)
        return frame


def _as_float(values: pd.Series) -> np.ndarray:
    """Numbers for ranking: timestamps as nanoseconds."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.to_numpy().astype("datetime64[ns]").astype(np.int64).astype(float)
    return values.to_numpy(dtype=float)


def normal_scores(x: np.ndarray) -> np.ndarray:
    """Average ranks mapped through the inverse normal CDF (ties share a score)."""
    return stats.norm.ppf(stats.rankdata(x) / (len(x) + 1))


def shrunk_correlation(scores: np.ndarray, shrinkage: float) -> np.ndarray:
    """Correlation of the normal scores, shrunk towards the identity; a constant column correlates with none."""
    d = scores.shape[1]
    if d == 0:
        return np.zeros((0, 0))
    if len(scores) < 2 or d == 1:
        return np.eye(d)
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.corrcoef(scores, rowvar=False)
    corr = np.nan_to_num(corr, nan=0.0)
    np.fill_diagonal(corr, 1.0)
    corr = (1 - shrinkage) * corr + shrinkage * np.eye(d)
    w, v = np.linalg.eigh(corr)                        # clip tiny negative eigenvalues left by rounding
    corr = (v * np.maximum(w, 1e-6)) @ v.T
    scale = np.sqrt(np.diag(corr))
    return corr / np.outer(scale, scale)

"""PCD: pairwise (Pearson) correlation difference of the continuous columns (lower is better).

As the artefact's ``compute_PCD``: min-max scale real and synthetic with one
scaler fitted on their concatenation (sklearn ``MinMaxScaler`` arithmetic),
Pearson correlation matrix of each (NaN, e.g. from a constant column, -> 0),
Frobenius norm of the difference.
"""
from __future__ import annotations

import numpy as np

from secgen_bench.metrics._columns import need_columns, numeric, require
from secgen_bench.metrics.base import Direction, Metric, MetricResult


def minmax_fit(*blocks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``scale`` and ``offset`` of sklearn's MinMaxScaler fitted on the stacked blocks (x*scale + offset)."""
    lo = np.min([b.min(axis=0) for b in blocks], axis=0)
    hi = np.max([b.max(axis=0) for b in blocks], axis=0)
    span = hi - lo
    span[span < 10 * np.finfo(np.float64).eps] = 1.0  # sklearn's handling of constant columns
    scale = 1.0 / span
    return scale, -lo * scale


def correlation(x: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        c = np.atleast_2d(np.corrcoef(x.T))
    c[np.isnan(c)] = 0.0
    return c


class PCD(Metric):
    """Frobenius norm of the difference of Pearson correlation matrices (artefact ``compute_PCD``)."""

    name = "pcd"
    version = "1.0"
    description = "Frobenius norm of the difference of the continuous columns' correlation matrices"
    direction = Direction.LOWER
    bounds = (0.0, float("inf"))

    def compute(self, real, synthetic, schema, *, holdout=None, seed=0):
        cols = schema.continuous
        need_columns(cols, self.name, "continuous", schema)
        require([("real", real), ("synthetic", synthetic)], cols, self.name)
        r = np.column_stack([numeric(real[c], self.name, "real") for c in cols])
        s = np.column_stack([numeric(synthetic[c], self.name, "synthetic") for c in cols])
        scale, offset = minmax_fit(r, s)
        diff = correlation(r * scale + offset) - correlation(s * scale + offset)
        return MetricResult(float(np.linalg.norm(diff)))

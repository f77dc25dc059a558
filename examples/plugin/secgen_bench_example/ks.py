"""KS-mean: the mean two-sample Kolmogorov-Smirnov statistic of the continuous columns (lower is better).

Per continuous column (bytes, packets, durations, ...), the largest gap between the real and the synthetic
empirical CDFs, 0 for the same distribution, 1 for disjoint ones; the mean over the columns, with each
column's statistic in the breakdown. No resampling, so no seed is needed and the value is exact.
"""
from __future__ import annotations

import numpy as np
from scipy import stats

from secgen_bench.metrics.base import Direction, Metric, MetricResult


class KSMean(Metric):
    """Mean two-sample Kolmogorov-Smirnov statistic over the continuous columns."""

    name = "ks-mean"
    version = "1.0"                              # part of the record key: bump on any change of value
    description = "Mean two-sample Kolmogorov-Smirnov statistic of the continuous columns"
    direction = Direction.LOWER
    bounds = (0.0, 1.0)
    inputs = frozenset({"real", "synthetic"})    # no holdout, no attack flows
    track = "flows"
    family = "fidelity"
    requires = ("scipy",)
    default = False            # opt-in (--metrics ks-mean): installing the plugin changes no one's default board
    in_average_rank = False    # close to EMD in what it measures: ranked and shown, not counted twice

    def compute(self, real, synthetic, schema, *, holdout=None, seed=0):
        cols = [c for c in schema.continuous if c in real.columns]
        if not cols:
            raise ValueError(f"metric {self.name!r}: schema {schema.name!r} has no continuous column")
        missing = [c for c in cols if c not in synthetic.columns]
        if missing:
            raise ValueError(f"metric {self.name!r}: synthetic table lacks column {missing[0]!r}")
        per_col = {c: float(stats.ks_2samp(real[c].to_numpy(dtype=float),
                                           synthetic[c].to_numpy(dtype=float)).statistic) for c in cols}
        return MetricResult(float(np.mean(list(per_col.values()))), per_col)

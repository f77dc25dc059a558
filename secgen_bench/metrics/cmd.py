"""CMD: contingency (joint frequency) distance of discrete column pairs (lower is better).

As the artefact's ``compute_CMD``: for every pair of discrete columns, the
joint frequency table of real and of synthetic (each normalised to sum 1) laid
on the union of categories seen in either (missing cells 0), and the Frobenius
norm of the difference; the mean over pairs. Cells empty in both tables add
nothing, so only the observed pairs of codes are counted (no dense table).
"""
from __future__ import annotations

from itertools import combinations

import numpy as np

from secgen_bench.metrics._columns import joint_codes, need_columns, require
from secgen_bench.metrics.base import Direction, Metric, MetricResult


def pair_table_distance(real_a, real_b, synth_a, synth_b) -> float:
    """Frobenius norm of the difference of the two normalised joint tables of (a, b)."""
    width = int(max(real_b.max(), synth_b.max())) + 1
    r_keys, r_counts = np.unique(real_a * width + real_b, return_counts=True)
    s_keys, s_counts = np.unique(synth_a * width + synth_b, return_counts=True)
    keys = np.union1d(r_keys, s_keys)
    p = np.zeros(len(keys))
    q = np.zeros(len(keys))
    p[np.searchsorted(keys, r_keys)] = r_counts / len(real_a)
    q[np.searchsorted(keys, s_keys)] = s_counts / len(synth_a)
    return float(np.sqrt(np.sum((p - q) ** 2)))


class CMD(Metric):
    """Mean Frobenius distance of pairwise joint frequency tables of discrete columns (artefact ``compute_CMD``)."""

    name = "cmd"
    version = "1.0"
    description = "Mean Frobenius distance of the pairwise contingency tables of discrete columns"
    direction = Direction.LOWER
    bounds = (0.0, float(np.sqrt(2.0)))

    def compute(self, real, synthetic, schema, *, holdout=None, seed=0):
        cols = schema.discrete
        need_columns(cols, self.name, "discrete", schema)
        if len(cols) < 2:
            raise ValueError(f"{self.name}: schema {schema.name!r} needs at least two discrete columns")
        require([("real", real), ("synthetic", synthetic)], cols, self.name)
        codes = {c: joint_codes(real[c], synthetic[c]) for c in cols}
        per_pair = {}
        for a, b in combinations(cols, 2):
            per_pair[f"{a}|{b}"] = pair_table_distance(codes[a][0], codes[b][0], codes[a][1], codes[b][1])
        return MetricResult(float(np.mean(list(per_pair.values()))), per_pair)

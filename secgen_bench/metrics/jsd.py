"""JSD: Jensen-Shannon distance between the marginals of the discrete columns (lower is better).

As the FlowChronicle artefact computes it (``compute_JSD``): per discrete
column, the value counts of real and synthetic over the union of values seen in
either, ``scipy.spatial.distance.jensenshannon`` of the two count vectors (the
JS *distance*, square root of the divergence, natural log, so 0..sqrt(ln 2));
the mean over the discrete columns.
"""
from __future__ import annotations

import numpy as np

from secgen_bench.metrics._columns import joint_codes, need_columns, require
from secgen_bench.metrics.base import Direction, Metric, MetricResult


def js_distance(real_codes: np.ndarray, synth_codes: np.ndarray) -> float:
    from scipy.spatial import distance

    size = int(max(real_codes.max(), synth_codes.max())) + 1
    p = np.bincount(real_codes, minlength=size).astype(float)
    q = np.bincount(synth_codes, minlength=size).astype(float)
    return float(distance.jensenshannon(p, q))


class JSD(Metric):
    """Mean Jensen-Shannon distance of the discrete columns' marginals (artefact ``compute_JSD``)."""

    name = "jsd"
    version = "1.0"
    description = "Mean Jensen-Shannon distance (natural log) of discrete-column marginals"
    direction = Direction.LOWER
    bounds = (0.0, float(np.sqrt(np.log(2.0))))

    def compute(self, real, synthetic, schema, *, holdout=None, seed=0):
        cols = schema.discrete
        need_columns(cols, self.name, "discrete", schema)
        require([("real", real), ("synthetic", synthetic)], cols, self.name)
        per_col = {}
        for col in cols:
            r, s = joint_codes(real[col], synthetic[col])
            per_col[col] = js_distance(r, s)
        return MetricResult(float(np.mean(list(per_col.values()))), per_col)

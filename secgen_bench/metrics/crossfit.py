"""The Reference row of a metric that trains on the synthetic table and tests on the holdout, cross-fitted.

On the Reference row the real held-out flows play the synthetic table. A
metric that fits a model on ``synthetic`` and tests it on ``holdout``
(``ids-utility``'s detectors, ``ids-tstr``'s classifier) would then test on
its own training rows, and the Reference row would show a leak, not what an
unseen real sample achieves (ids-tstr read 1.39 on the CIC-IDS2017 sample,
ids-utility 1.02). Such a metric sets ``tests_on_holdout = True`` and the
Reference row is scored by :func:`crossfit` instead: the holdout is cut into
two seeded halves (within each class of the schema's label column when the
holdout carries it, so both halves keep the classes), the metric is scored
with half A as the synthetic table and half B as the holdout, then the other
way round, and the value and every numeric breakdown entry are the mean of
the two folds. The real-trained side of the metric is tested on the same
half, so its ratio compares like with like; the price is a test set of half
the holdout. ``dcr`` splits the holdout itself (privacy.py).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from secgen_bench.metrics.base import Metric, MetricResult
from secgen_bench.schema import FlowSchema

FOLDS = 2


def halves(holdout: pd.DataFrame, label: str | None, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Row positions of two disjoint seeded halves of ``holdout``, each class (of ``label``) split evenly."""
    rng = np.random.default_rng(seed)
    if label is not None and label in holdout.columns:
        classes = holdout[label].astype(str).to_numpy()
        groups = [np.flatnonzero(classes == c) for c in sorted(set(classes))]
    else:
        groups = [np.arange(len(holdout))]
    a, b, extra = [], [], 0
    for rows in groups:
        rows = rows[rng.permutation(len(rows))]
        # an odd class's last row alternates between the halves, so neither half collects them all
        first, second = (rows[0::2], rows[1::2]) if extra % 2 == 0 else (rows[1::2], rows[0::2])
        extra += len(rows) % 2
        a.append(first)
        b.append(second)
    return np.sort(np.concatenate(a)), np.sort(np.concatenate(b))


def crossfit(metric: Metric, real: pd.DataFrame, holdout: pd.DataFrame, schema: FlowSchema, *, seed: int = 0,
             **extra) -> MetricResult:
    """The metric with one half of ``holdout`` as the synthetic table and the other as the holdout, both ways."""
    labels = schema.by_role("label")
    a, b = halves(holdout, labels[0] if labels else None, seed)
    if min(len(a), len(b)) == 0:
        raise ValueError(f"{metric.name}: the holdout has {len(holdout)} rows; the Reference row needs at least 2 "
                         f"to cross-fit")
    results = []
    for fit_rows, test_rows in ((a, b), (b, a)):
        synthetic = holdout.iloc[fit_rows].reset_index(drop=True)
        test = holdout.iloc[test_rows].reset_index(drop=True)
        results.append(metric(real, synthetic, schema, holdout=test, seed=seed, **extra))
    breakdown: dict = {}
    for key in results[0].breakdown:
        vals = [r.breakdown.get(key) for r in results]
        numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals)
        breakdown[key] = float(np.mean(vals)) if numeric else vals[0]
    breakdown["reference_crossfit_folds"] = FOLDS
    return MetricResult(float(np.mean([r.value for r in results])), breakdown)

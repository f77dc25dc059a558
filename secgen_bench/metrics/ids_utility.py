"""``ids-utility``: train on synthetic, test on real, for anomaly-based intrusion detection.

Inputs: ``real`` (benign training flows), ``synthetic``, ``holdout`` (real
held-out benign flows) and ``attacks`` (real attack flows); the schema must
have a "label" column (the attack flows' ground truth; it is never a
feature). Each detector of ``ids_detectors`` (IsolationForest, kNN distance,
autoencoder; all seeded by the metric's seed) is fitted twice, on the real
training flows and on the synthetic flows, and both fits score the same test
set: the held-out benign flows (negatives) plus the attack flows (positives).
Encoding: ``flow_encoding`` (IsolationForest its ordinal view, the others its
dense view) fitted on the real training flows only, so the synthetic table cannot change how the real-trained detectors see
the data.

Value = mean over the three detectors of AU-ROC(synthetic-trained) /
AU-ROC(real-trained): 1 means the synthetic flows serve an anomaly detector
as well as the real ones (it can exceed 1). Breakdown: each detector's two
AU-ROCs and TPRs at 1 % FPR (the largest TPR on the ROC curve whose FPR is
at most 0.01).
"""
from __future__ import annotations

import numpy as np

from secgen_bench.metrics._single_thread import single_thread
from secgen_bench.metrics.base import Direction, Metric, MetricResult
from secgen_bench.metrics.flow_encoding import FlowEncoding, canonical_order, label_column

LOW_FPR = 0.01


def auc_and_tpr(y: np.ndarray, score: np.ndarray, max_fpr: float = LOW_FPR) -> tuple[float, float]:
    """(AU-ROC, TPR at ``max_fpr`` FPR) of anomaly scores against 0/1 labels (1 = attack)."""
    from sklearn.metrics import roc_auc_score, roc_curve

    fpr, tpr, _ = roc_curve(y, score)
    return float(roc_auc_score(y, score)), float(tpr[np.searchsorted(fpr, max_fpr, side="right") - 1])


class IDSUtility(Metric):
    """Mean over three anomaly detectors of AU-ROC when trained on synthetic / when trained on real benign flows."""

    name = "ids-utility"
    version = "1.0"
    description = "Anomaly IDS trained on synthetic vs real benign flows, tested on real holdout + attacks (AU-ROC ratio)"
    direction = Direction.HIGHER
    bounds = (0.0, float("inf"))
    requires = ("sklearn", "torch")
    extra = "torch"
    inputs = frozenset({"real", "synthetic", "holdout", "attacks"})
    family = "utility"
    in_average_rank = False
    default = False
    tests_on_holdout = True   # the Reference row is cross-fitted (metrics/crossfit.py)

    def compute(self, real, synthetic, schema, *, holdout=None, attacks=None, seed=0):
        from secgen_bench.metrics.ids_detectors import DETECTORS

        label_column(schema, self.name, "labelled attack flows")
        if attacks is None or len(attacks) == 0:
            raise ValueError(f"{self.name}: needs labelled attack flows: none were given for dataset {schema.name!r}")
        if holdout is None:
            raise ValueError(f"{self.name}: needs a holdout (real held-out benign) table")
        enc = FlowEncoding(schema, [("real", real)], self.name)
        views = {}
        for view in sorted({v for _, v in DETECTORS.values()}):
            encode = getattr(enc, view)
            x_real, x_syn = encode(real, "real"), encode(synthetic, "synthetic")
            # training rows in canonical order: the seeded models cannot depend on row order
            views[view] = (x_real[canonical_order(x_real)], x_syn[canonical_order(x_syn)],
                           np.vstack([encode(holdout, "holdout"), encode(attacks, "attacks")]))
        y_test = np.r_[np.zeros(len(holdout), int), np.ones(len(attacks), int)]
        breakdown: dict = {"test_benign": len(holdout), "test_attacks": len(attacks), **enc.description}
        ratios = []
        for name, (fit, view) in DETECTORS.items():
            x_real, x_syn, x_test = views[view]
            with single_thread():
                auc_r, tpr_r = auc_and_tpr(y_test, fit(x_real, seed)(x_test))
                auc_s, tpr_s = auc_and_tpr(y_test, fit(x_syn, seed)(x_test))
            if auc_r <= 0:
                raise ValueError(f"{self.name}: detector {name} trained on real flows has AU-ROC 0; no ratio")
            ratios.append(auc_s / auc_r)
            breakdown.update({f"{name}_auc_real": auc_r, f"{name}_auc_synthetic": auc_s,
                              f"{name}_tpr1_real": tpr_r, f"{name}_tpr1_synthetic": tpr_s})
        return MetricResult(float(np.mean(ratios)), breakdown)

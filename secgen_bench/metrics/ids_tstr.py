"""``ids-tstr``: a supervised intrusion classifier trained on synthetic labelled flows, tested on real.

Inputs: ``real`` (labelled training flows with at least two classes),
``synthetic`` (carrying the schema's "label" column: class-conditional
generation), ``holdout`` (labelled real test flows). Classifier: scikit-learn
HistGradientBoostingClassifier (100 iterations, ``random_state=seed``) on
``flow_encoding``'s ordinal view (categorical ranks as native categorical
features) fitted on the real training flows, the label
never a feature. Value = macro-F1 on the holdout of the synthetic-trained
classifier / macro-F1 of the same classifier trained on the real flows (F1
averaged over the classes present in the holdout; a class never predicted
counts F1 = 0). Breakdown: both macro-F1s and the class counts.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from secgen_bench.metrics._single_thread import single_thread
from secgen_bench.metrics.base import Direction, Metric, MetricResult
from secgen_bench.metrics.flow_encoding import FlowEncoding, canonical_order, label_column


def fit_predict(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, seed: int,
                categorical: np.ndarray) -> np.ndarray:
    """Predicted labels; a one-class training table predicts its class everywhere."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    if len(np.unique(y_train)) == 1:
        return np.full(len(x_test), y_train[0], dtype=object)
    clf = HistGradientBoostingClassifier(max_iter=100, random_state=seed, categorical_features=categorical)
    return clf.fit(x_train, y_train).predict(x_test)


class IDSTSTR(Metric):
    """Macro-F1 of a classifier trained on synthetic, tested on real, over the same trained on real."""

    name = "ids-tstr"
    version = "1.0"
    description = "HistGradientBoosting trained on synthetic labelled flows, tested on real: macro-F1 ratio to real-trained"
    direction = Direction.HIGHER
    bounds = (0.0, float("inf"))
    requires = ("sklearn",)
    inputs = frozenset({"real", "synthetic", "holdout", "labels"})  # labels: the harness passes labelled tables
    family = "utility"
    in_average_rank = False
    default = False
    tests_on_holdout = True   # the Reference row is cross-fitted (metrics/crossfit.py)

    def compute(self, real, synthetic, schema, *, holdout=None, seed=0):
        from sklearn.metrics import f1_score

        label = label_column(schema, self.name, "labelled flows")
        if holdout is None:
            raise ValueError(f"{self.name}: needs a holdout (real held-out, labelled) table")
        for which, table in (("real", real), ("synthetic", synthetic), ("holdout", holdout)):
            if label not in table.columns:
                raise ValueError(f"{self.name}: {which} table has no label column {label!r}")
            if table[label].isna().any():
                raise ValueError(f"{self.name}: {which} table column {label!r} has missing labels")
        y_real, y_syn, y_test = (t[label].astype(str).to_numpy(dtype=object) for t in (real, synthetic, holdout))
        classes = np.unique(y_real)
        if len(classes) < 2:
            raise ValueError(f"{self.name}: needs several classes: real column {label!r} has only {classes.tolist()}")
        enc = FlowEncoding(schema, [("real", real)], self.name)
        x_real, x_syn, x_test = (enc.ordinal(t, which, integer_ranks=True) for which, t in
                                 (("real", real), ("synthetic", synthetic), ("holdout", holdout)))
        mask = enc.categorical_mask()
        # training rows in canonical order (features, then label): row order cannot change the classifier
        order_r = canonical_order(x_real, pd.factorize(y_real, sort=True)[0])
        order_s = canonical_order(x_syn, pd.factorize(y_syn, sort=True)[0])
        x_real, y_real, x_syn, y_syn = x_real[order_r], y_real[order_r], x_syn[order_s], y_syn[order_s]
        labels = np.unique(y_test)

        def macro_f1(pred):
            return float(f1_score(y_test, pred.astype(str), labels=labels, average="macro", zero_division=0))

        with single_thread():
            f1_real = macro_f1(fit_predict(x_real, y_real, x_test, seed, mask))
            f1_syn = macro_f1(fit_predict(x_syn, y_syn, x_test, seed, mask))
        if f1_real <= 0:
            raise ValueError(f"{self.name}: the real-trained classifier has macro-F1 0 on the holdout; no ratio")
        return MetricResult(f1_syn / f1_real, {"f1_real": f1_real, "f1_synthetic": f1_syn,
                                               "classes": len(labels), "synthetic_classes": len(np.unique(y_syn))})

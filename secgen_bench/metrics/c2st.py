"""``c2st``: classifier two-sample test, how easily a classifier tells synthetic flows from real ones.

A scikit-learn HistGradientBoostingClassifier (100 iterations,
``random_state=seed``) separates real (0) from synthetic (1) flows on
``flow_encoding``'s ordinal view (categorical ranks as native categorical
features) fitted on both tables; 5-fold stratified
group cross-validation (shuffled with ``seed``; rows with equal encodings
form one group, so a copied flow and its original fall in the same fold and
memorising training rows cannot push the AUC below 0.5); AUC = mean of the five held-out
folds' AU-ROCs (fewer folds when a table has fewer than five distinct flows;
rows are sorted by their encoding first, so row order cannot matter). An AU-ROC of 0.5 is ideal, and below 0.5 is as informative as
above, so the value is |AUC - 0.5| * 2: 0 = indistinguishable, 1 = fully
separable, direction lower (a target-valued direction would have meant a
new Direction member that the leaderboard, compare and report all had to
learn). Breakdown: the AUC itself and the fold AU-ROCs' spread.
"""
from __future__ import annotations

import numpy as np

from secgen_bench.metrics._single_thread import single_thread
from secgen_bench.metrics.base import Direction, Metric, MetricResult
from secgen_bench.metrics.flow_encoding import FlowEncoding, canonical_order

FOLDS = 5


class C2ST(Metric):
    """|AU-ROC - 0.5| * 2 of a cross-validated real-vs-synthetic classifier (0 = indistinguishable)."""

    name = "c2st"
    version = "1.0"
    description = "Classifier two-sample test: |AU-ROC - 0.5| * 2 of HistGradientBoosting real vs synthetic, 5-fold CV"
    direction = Direction.LOWER
    bounds = (0.0, 1.0)
    requires = ("sklearn",)
    family = "detectability"
    in_average_rank = False
    default = False

    def compute(self, real, synthetic, schema, *, holdout=None, seed=0):
        from sklearn.ensemble import HistGradientBoostingClassifier
        from sklearn.metrics import roc_auc_score
        from sklearn.model_selection import StratifiedGroupKFold

        tables = [("real", real), ("synthetic", synthetic)]
        enc = FlowEncoding(schema, tables, self.name)
        blocks = [enc.ordinal(t, which, integer_ranks=True) for which, t in tables]
        x = np.vstack([blk[canonical_order(blk)] for blk in blocks])  # row order cannot matter
        y = np.r_[np.zeros(len(real), int), np.ones(len(synthetic), int)]
        # equal rows form one group: a flow and its copy in the other table never straddle a fold
        groups = np.unique(x, axis=0, return_inverse=True)[1].ravel()
        distinct = [len(np.unique(groups[y == c])) for c in (0, 1)]
        if min(distinct) < 2:
            raise ValueError(f"{self.name}: needs at least 2 distinct flows in each table to cross-validate "
                             f"(real has {distinct[0]}, synthetic {distinct[1]})")
        folds = StratifiedGroupKFold(min(FOLDS, *distinct), shuffle=True, random_state=seed)
        aucs = []
        with single_thread():
            for train, test in folds.split(x, y, groups):
                if len(np.unique(y[test])) < 2:
                    continue  # a fold of one table only has no AU-ROC
                if len(np.unique(y[train])) < 2:
                    aucs.append(0.5)  # nothing to learn from: a constant guess
                    continue
                clf = HistGradientBoostingClassifier(max_iter=100, random_state=seed,
                                                     categorical_features=enc.categorical_mask())
                clf.fit(x[train], y[train])
                aucs.append(roc_auc_score(y[test], clf.predict_proba(x[test])[:, 1]))
        if not aucs:
            raise ValueError(f"{self.name}: no fold holds flows of both tables; too few distinct flows")
        auc = float(np.mean(aucs))
        return MetricResult(abs(auc - 0.5) * 2.0, {"auc": auc, "auc_fold_std": float(np.std(aucs)),
                                                    **enc.description})

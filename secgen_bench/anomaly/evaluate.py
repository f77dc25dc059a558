"""Detection quality from anomaly scores: AU-ROC, and TPR / FPR / F1 at the threshold maximising TPR - FPR.

Positive class = anomaly; a sequence is flagged when its score >= threshold.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import rankdata


def _as_arrays(scores, labels) -> tuple[np.ndarray, np.ndarray]:
    s = np.asarray(scores, dtype=float)
    y = np.asarray(labels).astype(bool)
    if s.shape != y.shape:
        raise ValueError(f"scores ({s.shape}) and labels ({y.shape}) differ in shape")
    if not np.isfinite(s).all():
        raise ValueError("scores contain NaN or infinite values")
    if y.all() or not y.any():
        raise ValueError("labels need both classes (anomaly and normal)")
    return s, y


def auroc(scores, labels) -> float:
    """Mann-Whitney AU-ROC with ties counted half."""
    s, y = _as_arrays(scores, labels)
    ranks = rankdata(s)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def best_threshold(scores, labels) -> dict:
    """The threshold maximising Youden's J = TPR - FPR (lowest such threshold on ties) and its rates."""
    s, y = _as_arrays(scores, labels)
    thresholds = np.unique(s)[::-1]                      # descending
    order = np.argsort(-s, kind="stable")
    s_sorted, y_sorted = s[order], y[order]
    # counts of flagged positives/negatives for "score >= t", t over the unique scores
    last = np.searchsorted(-s_sorted, -thresholds, side="right")
    tp = np.cumsum(y_sorted)[last - 1]
    fp = np.cumsum(~y_sorted)[last - 1]
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    tpr, fpr = tp / n_pos, fp / n_neg
    j = tpr - fpr
    k = int(np.flatnonzero(j == j.max())[-1])
    precision = tp[k] / max(tp[k] + fp[k], 1)
    f1 = 0.0 if tp[k] == 0 else 2 * precision * tpr[k] / (precision + tpr[k])
    return {"threshold": float(thresholds[k]), "TPR": float(tpr[k]), "FPR": float(fpr[k]), "F1": float(f1)}


def evaluate_scores(scores, labels) -> dict:
    """AUROC, TPR, FPR, F1 (at max TPR - FPR), threshold, class sizes."""
    if isinstance(scores, pd.Series) and isinstance(labels, pd.Series):
        labels = labels.reindex(scores.index)
        if labels.isna().any():
            raise ValueError(f"no label for sequence {labels.index[labels.isna()][0]!r}")
    s, y = _as_arrays(scores, labels)
    out = {"AUROC": auroc(s, y)}
    out.update(best_threshold(s, y))
    out.update({"n_anomalies": int(y.sum()), "n_normal": int((~y).sum())})
    return out

"""What the anomaly track (secgen_bench.tracks.anomaly) scores with: detector configurations and its four metrics.

A detector job fits on the training sequences, scores the test set, and
:func:`metric_outcomes` turns the scores into the same per-metric outcome dicts
as ``evaluation.evaluate`` (so records and leaderboards need nothing special).
"""
from __future__ import annotations

from typing import Sequence

import pandas as pd

from secgen_bench import registry

METRIC_VERSION = "1"
# metric name -> (key in evaluate_scores' result, direction)
METRICS: dict[str, tuple[str, str]] = {
    "auroc": ("AUROC", "higher"),
    "tpr": ("TPR", "higher"),
    "fpr": ("FPR", "lower"),
    "f1": ("F1", "higher"),
}
METRICS_TARGET = "secgen_bench.anomaly.evaluate:evaluate_scores"


def metric_names(names: Sequence[str] | None) -> list[str]:
    """The requested anomaly metrics (all four when None); ValueError naming an unknown one."""
    names = list(names) if names else list(METRICS)
    unknown = [n for n in names if n not in METRICS]
    if unknown:
        raise ValueError(f"unknown anomaly-track metric {unknown[0]!r}; choose from {', '.join(METRICS)}")
    return names


def detector_config(name: str, profile: str, overrides: dict) -> tuple[str, str, dict, dict, str | None]:
    """(target, version, resolved options, options to construct with, why it cannot run or None)."""
    entry = registry.detectors.entry(name)
    cls, reason = registry.detectors.resolve(name)
    if cls is None or not hasattr(cls, "profile_options"):
        return entry.target or "", "?", {}, {}, reason or "cannot be imported (or is not a Detector)"
    options = cls.profile_options(profile, overrides)       # ConfigError for bad options
    return entry.target or "", getattr(cls, "version", "?"), cls.resolved_config(profile, overrides), options, reason


def labels_of(test: pd.DataFrame, schema) -> pd.Series:
    """Per-sequence truth (True = anomaly) of a test table, indexed by sequence id."""
    from secgen_bench.anomaly.protocol import ANOMALY, label_column

    id_col, lab_col = label_column(schema)
    return test[lab_col].eq(ANOMALY).groupby(test[id_col], sort=False).any()


def metric_outcomes(scores: pd.Series, labels: pd.Series, names: Sequence[str], seconds: float = 0.0) -> dict:
    """``{metric: outcome dict}`` like ``MetricOutcome.to_dict``; every metric errors when the scores are unusable."""
    from secgen_bench.anomaly.evaluate import evaluate_scores

    try:
        if len(scores) != len(labels) or not scores.index.isin(labels.index).all():
            raise ValueError(f"the detector scored {len(scores)} sequences, the test set has {len(labels)}")
        result = evaluate_scores(scores, labels)
        error = None
    except Exception as exc:  # NaN scores, one class only...: an error record, never a silent value
        result, error = {}, f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    breakdown = {k: result[k] for k in ("threshold", "n_anomalies", "n_normal") if k in result}
    out = {}
    for name in names:
        key, direction = METRICS[name]
        value = None if error else float(result[key])
        out[name] = {"metric": name, "direction": direction, "metric_version": METRIC_VERSION, "value": value,
                     "std": None, "values": [] if value is None else [value], "breakdown": breakdown,
                     "error": error, "seconds": round(seconds, 4)}
    return out


__all__ = ["METRICS", "METRICS_TARGET", "METRIC_VERSION", "metric_names", "detector_config",
           "labels_of", "metric_outcomes"]

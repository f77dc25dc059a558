"""Anomaly-detection track: detectors learnt on normal sequences that score sequences (higher = more anomalous).

``DETECTORS`` maps names to ``"module:Class"`` targets (imported lazily, like builtins).
"""
from __future__ import annotations

DETECTORS = {
    "tadam": "secgen_bench.anomaly.tadam_detector:TADAMDetector",
    "hmm": "secgen_bench.anomaly.hmm_detector:HMMDetector",
    "tag": "secgen_bench.anomaly.tag:TAGDetector",
    "rti+": "secgen_bench.anomaly.rtiplus:RTIPlusDetector",
}


def load_detector(name: str):
    """The detector class registered under ``name``."""
    import importlib

    try:
        target = DETECTORS[name]
    except KeyError:
        raise ValueError(f"unknown detector {name!r}; choose one of {', '.join(DETECTORS)}") from None
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)

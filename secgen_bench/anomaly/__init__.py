"""Anomaly-detection track: detectors learnt on normal sequences that score sequences (higher = more anomalous).

The built-in names live in ``secgen_bench.builtins.DETECTORS`` (the one source of
truth); third parties add theirs under the entry-point group
``secgen_bench.detectors``. ``load_detector`` goes through ``registry.detectors``.
"""
from __future__ import annotations

from secgen_bench.builtins import DETECTORS


def load_detector(name: str):
    """The detector class registered under ``name`` (imported now; ValueError when the name is unknown)."""
    from secgen_bench import registry

    entry = registry.detectors.entry(name)        # RegistryError (a ValueError): "unknown detector ..."
    obj = registry.detectors.peek(name)           # the class even when a declared extra is missing
    return obj if obj is not None else entry.load("detector")


__all__ = ["DETECTORS", "load_detector"]

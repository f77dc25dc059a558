"""secgen-bench: one harness to fit, sample and score synthetic network-traffic generators.

The Python API (``load_dataset``, ``get_generator``, ``evaluate``, ``run``, ``Leaderboard``) lives in
:mod:`secgen_bench.api` and is loaded on first use, so importing the package (or listing plugins)
imports no pandas, torch or SDV. (Named here, not imported: ``secgen_bench.api`` imports the
runner, which imports this package; type checkers see the signatures in ``secgen_bench.api``.)
"""
from __future__ import annotations

import importlib
from typing import Any

from secgen_bench.registry import register_dataset, register_generator, register_metric

__version__ = "0.1.0"
_API = ("load_dataset", "get_generator", "evaluate", "run", "Leaderboard")
__all__ = ["__version__", "register_generator", "register_metric", "register_dataset", *_API]


def __getattr__(name: str) -> Any:
    if name in _API:
        return getattr(importlib.import_module("secgen_bench.api"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

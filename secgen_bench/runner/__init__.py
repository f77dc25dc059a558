"""Job planning, isolated execution, caching and the result store.

The public names (``from secgen_bench.runner import RunRequest, ...``) are
loaded on first use, so importing a leaf module such as ``runner.store`` or
``runner.plan`` (the leaderboard, the report, the tracks) never imports the
driver, which imports the tracks: no import loop through this package.
"""
from __future__ import annotations

import importlib
from typing import Any

_PUBLIC = {
    "DatasetSource": "secgen_bench.datasets.loading",
    "RunEvent": "secgen_bench.runner.request",
    "RunRequest": "secgen_bench.runner.request",
    "JobSpec": "secgen_bench.runner.spec",
    "run_benchmark": "secgen_bench.runner.run",
}

__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_PUBLIC[name]), name)

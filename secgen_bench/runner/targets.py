"""Resolve a ``"module:attr"`` target: how a job's process finds its function, generator and metrics."""
from __future__ import annotations

import importlib
from typing import Any


def import_target(target: str) -> Any:
    module, _, attr = target.partition(":")
    obj = importlib.import_module(module)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj

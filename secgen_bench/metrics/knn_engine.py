"""Which kNN engine the Density/Coverage-family metrics use: torch's when torch imports, else numpy's.

Both compute the same distances on the CPU (``_prdc_numpy`` copies the torch kernel's summation
order); torch adds blocked GPU execution. Kept apart from both engines so that neither imports the other.
"""
from __future__ import annotations

from types import ModuleType


def engine() -> ModuleType:
    """``_prdc_torch`` when torch imports, else ``_prdc_numpy``: the same Density/Coverage and kNN on the CPU."""
    try:
        from secgen_bench.metrics import _prdc_torch
    except ImportError:
        from secgen_bench.metrics import _prdc_numpy

        return _prdc_numpy
    return _prdc_torch

"""The metric contract: a named number with a direction, needed inputs and a version.

``compute(real, synthetic, schema, *, holdout=None, seed=0)`` returns a float
or a :class:`MetricResult` (value + breakdown). ``real`` is the training data
the generator saw, ``holdout`` real data it never saw. Metrics are
deterministic given the seed. A metric whose ``inputs`` name ``"attacks"``
also receives ``attacks=`` (real attack flows, labelled by the schema's
"label" column); others never see that keyword.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, ClassVar

import pandas as pd

from secgen_bench.schema import FlowSchema


class Direction(str, Enum):
    HIGHER = "higher"    # larger is better
    LOWER = "lower"      # smaller is better
    CLOSEST = "closest"  # closest to the Reference row's value is best


class NotApplicable(ValueError):
    """This input cannot be scored by this metric (too short, no overlap in time, a column it needs is absent).

    Raised by a metric's ``compute``; the harness records the metric as ``n/a`` with this
    message as its reason, not as an error, so one metric never fails a whole ``evaluate`` or
    ``run``. A ValueError, so callers that catch bad input keep working.
    """


@dataclass
class MetricResult:
    value: float
    breakdown: dict[str, Any] = field(default_factory=dict)


class Metric:
    """Base class: set the class attributes, implement ``compute``."""

    name: ClassVar[str] = ""
    version: ClassVar[str] = "0.1"
    description: ClassVar[str] = ""
    direction: ClassVar[Direction] = Direction.LOWER
    bounds: ClassVar[tuple[float, float]] = (0.0, float("inf"))
    requires: ClassVar[tuple[str, ...]] = ()          # packages, checked without importing
    extra: ClassVar[str | None] = None
    inputs: ClassVar[frozenset[str]] = frozenset({"real", "synthetic"})  # add "holdout" when needed
    track: ClassVar[str] = "flows"
    # "subsample": scored on each of the protocol's n-row subsamples (the paper's protocol);
    # "full": scored once on the whole tables (temporal metrics need contiguous series).
    protocol: ClassVar[str] = "subsample"
    # Counted in the leaderboard's average rank. The paper's Table 2 averages its eight metrics;
    # corrected variants and temporal metrics are ranked and shown, but kept out of that average
    # so that one quantity is not counted twice and the average stays comparable with the paper.
    in_average_rank: ClassVar[bool] = True
    # What the number measures: "fidelity" (distributions), "utility", "detectability" or "privacy";
    # the leaderboard and report group metrics by it.
    family: ClassVar[str] = "fidelity"
    # Scored by a run that names no metrics; opt-in metrics (costly or needing extra inputs) set False.
    default: ClassVar[bool] = True
    # For a privacy metric ranked "closest to the Reference row": the side of the Reference where the
    # synthetic rows sit closer to the training rows than held-out real rows do ("higher" or "lower").
    # Closeness alone cannot tell copying from a miss the other way, so the leaderboard flags a cell
    # whose interval lies wholly beyond the Reference's interval on this side.
    copy_side: ClassVar[str | None] = None
    # True when ``compute`` fits a model on ``synthetic`` and tests it on ``holdout``: the Reference row
    # (the holdout played as synthetic) is then cross-fitted on two halves of the holdout (metrics/crossfit.py).
    tests_on_holdout: ClassVar[bool] = False

    def compute(self, real: pd.DataFrame, synthetic: pd.DataFrame, schema: FlowSchema, *,
                holdout: pd.DataFrame | None = None, seed: int = 0) -> float | MetricResult:
        raise NotImplementedError

    def __call__(self, real, synthetic, schema, *, holdout=None, attacks=None, seed: int = 0) -> MetricResult:
        if "holdout" in self.inputs and holdout is None:
            raise ValueError(f"metric {self.name!r} needs a holdout (real held-out) table")
        extra = {}
        if "attacks" in self.inputs:
            if attacks is None:
                raise ValueError(f"metric {self.name!r} needs labelled attack flows: none were given "
                                 f"for dataset {getattr(schema, 'name', '?')!r}")
            extra["attacks"] = attacks
        out = self.compute(real, synthetic, schema, holdout=holdout, seed=seed, **extra)
        return out if isinstance(out, MetricResult) else MetricResult(float(out))

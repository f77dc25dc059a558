"""The paper's evaluation protocol: score synthetic data against real data.

In each of ``repeats`` repetitions draw ``sample_size`` rows (without
replacement, capped at what exists) from the real training table, the real
holdout and the synthetic table, and score every metric on those samples;
report mean, standard deviation and the per-repetition values. Metrics whose
``protocol`` is ``"full"`` (temporal ones) are scored once on whole tables.
With ``repeats=1`` and ``sample_size=None`` every metric sees the full tables.
A metric that raises is recorded as an error for that metric alone.

Label-aware metrics read :class:`LabelInputs` beside the generator's tables:
one whose ``inputs`` name ``"attacks"`` gets the real attack flows (and the
labelled schema), one whose ``inputs`` name ``"labels"`` gets labelled real,
synthetic and holdout tables instead of the plain ones. On a dataset without
them such a metric is ``n/a`` with the reason, not an error. Their subsamples
come from a generator of their own, so the other metrics' numbers do not move.
"""
from __future__ import annotations

import math
import traceback
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd

from secgen_bench.metrics.base import Metric, NotApplicable
from secgen_bench.schema import FlowSchema


@dataclass
class MetricOutcome:
    name: str
    direction: str
    version: str
    mean: float | None = None
    std: float | None = None
    values: list[float] = field(default_factory=list)
    breakdown: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    seconds: float = 0.0
    not_applicable: str | None = None   # why the metric cannot be scored on this dataset (status "n/a")

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_dict(self) -> dict:
        extra = {"status": "n/a", "reason": self.not_applicable} if self.not_applicable else {}
        return {**extra, 
            "metric": self.name, "direction": self.direction, "metric_version": self.version,
            "value": self.mean, "std": self.std, "values": self.values, "breakdown": self.breakdown,
            "error": self.error, "seconds": round(self.seconds, 4),
        }


@dataclass
class LabelInputs:
    """What the label-aware metrics read: the labelled schema, the attack flows and labelled tables."""

    schema: FlowSchema                       # the features + the class column
    attacks: pd.DataFrame | None = None      # real attack flows, with the class column
    real: pd.DataFrame | None = None         # every real training flow (benign and attacks), labelled
    holdout: pd.DataFrame | None = None      # every held-out flow, labelled
    synthetic: pd.DataFrame | None = None    # labelled synthetic flows (class-conditional generation)
    synthetic_error: str | None = None       # why there are none (the class-conditional fit failed)


NO_LABELS = "the dataset has no label column with declared benign values"


def label_needs(metric: Metric) -> set[str]:
    """Which label inputs a metric asks for ("attacks", "labels")."""
    return set(getattr(metric, "inputs", ())) & {"attacks", "labels"}


def subsample(table: pd.DataFrame, n: int | None, rng: np.random.Generator) -> pd.DataFrame:
    """``n`` rows without replacement (all rows when ``n`` is None or too large), original order kept."""
    if n is None or n >= len(table):
        return table
    idx = np.sort(rng.choice(len(table), size=n, replace=False))
    return table.iloc[idx].reset_index(drop=True)


def evaluate(real: pd.DataFrame, synthetic: pd.DataFrame, schema: FlowSchema, metrics: Sequence[Metric], *,
             holdout: pd.DataFrame | None = None, repeats: int = 1, sample_size: int | None = None,
             seed: int = 0, synthetic_is_holdout: bool = False,
             labels: LabelInputs | None = None) -> dict[str, MetricOutcome]:
    """Score ``synthetic`` against ``real`` with every metric under the paper's protocol.

    ``synthetic_is_holdout`` scores the Reference row: in each repetition the
    holdout sample itself plays the synthetic table, exactly like a generator.
    ``labels`` feeds the metrics that ask for attacks or labelled tables.
    """
    import time

    if repeats < 1:
        raise ValueError(f"repeats must be >= 1, got {repeats}")
    if sample_size is not None and sample_size < 1:
        raise ValueError(f"sample size must be >= 1, got {sample_size}")
    outcomes = {m.name: MetricOutcome(m.name, m.direction.value if hasattr(m.direction, "value") else str(m.direction),
                                      m.version) for m in metrics}
    per_rep = [m for m in metrics if getattr(m, "protocol", "subsample") != "full"]
    full = [m for m in metrics if getattr(m, "protocol", "subsample") == "full"]
    breakdowns: dict[str, list[dict]] = {m.name: [] for m in metrics}
    for m in metrics:
        reason = _why_not_applicable(m, labels)
        if reason:
            outcomes[m.name].not_applicable = reason
        elif "labels" in label_needs(m) and labels.synthetic is None and not synthetic_is_holdout:
            outcomes[m.name].error = f"no labelled synthetic flows: {labels.synthetic_error or 'none were made'}"

    def score(metric: Metric, r: pd.DataFrame, s: pd.DataFrame, h: pd.DataFrame | None, rep_seed: int,
              lab: dict | None = None) -> None:
        out = outcomes[metric.name]
        if out.error is not None or out.not_applicable is not None:
            return
        t0 = time.perf_counter()
        try:
            needs = label_needs(metric)
            if needs:
                lab = lab or {}
                if "labels" in needs:
                    r, s, h = lab["real"], lab["synthetic"], lab["holdout"]
                extra = {"attacks": lab["attacks"]} if "attacks" in needs else {}
                res = _call(metric, r, s, labels.schema, h, rep_seed, synthetic_is_holdout, extra)
            else:
                res = _call(metric, r, s, schema, h, rep_seed, synthetic_is_holdout, {})
            value = float(res.value)
            if math.isnan(value):
                raise ValueError("metric returned NaN")
            out.values.append(value)
            breakdowns[metric.name].append(res.breakdown)
        except NotApplicable as exc:  # this input cannot be scored: n/a with the reason, not an error
            out.not_applicable = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            out.values.clear()
            breakdowns[metric.name].clear()
        except Exception as exc:  # one failing metric must not lose the others
            last = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
            where = f" ({last.filename.rsplit('/', 1)[-1]}:{last.lineno})" if last else ""
            out.error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}{where}"
        out.seconds += time.perf_counter() - t0

    for rep in range(repeats if per_rep else 0):
        rng = np.random.default_rng([seed, rep])
        r = subsample(real, sample_size, rng)
        h = subsample(holdout, sample_size, rng) if holdout is not None else None
        s = h if synthetic_is_holdout else subsample(synthetic, sample_size, rng)
        lab = _label_samples(labels, sample_size, np.random.default_rng([seed, rep, 1]), synthetic_is_holdout)
        for metric in per_rep:
            score(metric, r, s, h, seed * 1000 + rep, lab)
    for metric in full:
        score(metric, real, holdout if synthetic_is_holdout else synthetic, holdout, seed,
              _label_samples(labels, None, None, synthetic_is_holdout))

    for name, out in outcomes.items():
        if out.error is None and out.values:
            out.mean = float(np.mean(out.values))
            identical = max(out.values) == min(out.values)  # e.g. every repetition saw the whole table
            out.std = float(np.std(out.values, ddof=1)) if len(out.values) > 1 and not identical else 0.0
            out.breakdown = _mean_breakdown(breakdowns[name])
    return outcomes


def _call(metric: Metric, r, s, schema, h, seed: int, synthetic_is_holdout: bool, extra: dict):
    """One score; on the Reference row a metric that tests on the holdout is cross-fitted (metrics/crossfit.py)."""
    if synthetic_is_holdout and getattr(metric, "tests_on_holdout", False) and h is not None:
        from secgen_bench.metrics.crossfit import crossfit

        return crossfit(metric, r, h, schema, seed=seed, **extra)
    return metric(r, s, schema, holdout=h, seed=seed, **extra)


def _why_not_applicable(metric: Metric, labels: LabelInputs | None) -> str | None:
    needs = label_needs(metric)
    if not needs:
        return None
    if labels is None:
        return NO_LABELS
    if "attacks" in needs and (labels.attacks is None or len(labels.attacks) == 0):
        return "the dataset has no attack flows (every row is benign)"
    if "labels" in needs and (labels.real is None or labels.holdout is None):
        return "the dataset's labelled training and holdout flows are missing"
    return None


def _label_samples(labels: LabelInputs | None, n: int | None, rng, synthetic_is_holdout: bool) -> dict | None:
    """One repetition's subsamples of the label inputs (whole tables when ``n`` is None)."""
    if labels is None:
        return None

    def draw(t):
        return None if t is None else (t if rng is None else subsample(t, n, rng))

    out = {"attacks": draw(labels.attacks), "real": draw(labels.real), "holdout": draw(labels.holdout)}
    out["synthetic"] = out["holdout"] if synthetic_is_holdout else draw(labels.synthetic)
    return out


def select_metrics(names: Sequence[str] | None, *, have_holdout: bool, track: str = "flows") -> tuple[list[type], list[str]]:
    """The metric classes to score and notes on the ones left out.

    Named metrics (``names``) must exist, load, and get the holdout they need (else ValueError naming
    the metric); with ``names`` None every metric of ``track`` that can run is chosen, and each one
    left out (unavailable, needs a holdout) gets a one-line note instead.
    """
    from secgen_bench import registry

    if names:
        classes = [registry.metrics.get(n) for n in names]
        for cls in classes:
            if "holdout" in cls.inputs and not have_holdout:
                raise ValueError(f"metric {cls.name!r} needs --holdout")
        return classes, []
    classes, notes = [], []
    for n in registry.metrics.names():
        obj = registry.metrics.peek(n)
        if obj is None or getattr(obj, "track", "flows") != track or not getattr(obj, "default", True):
            continue  # opt-in metrics (default = False) run only when named
        if "holdout" in getattr(obj, "inputs", ()) and not have_holdout:
            notes.append(f"{n} skipped (needs --holdout)")
            continue
        try:
            classes.append(registry.metrics.get(n))
        except registry.PluginUnavailable as exc:
            notes.append(str(exc))
    return classes, notes


def evaluate_files(real: str, synthetic: str, *, holdout: str | None = None, schema: str | None = None,
                   metrics: Sequence[str] | None = None, repeats: int = 20, sample_size: int | None = 10000,
                   seed: int = 0) -> tuple[FlowSchema, dict[str, MetricOutcome], list[str]]:
    """Score the CSV ``synthetic`` against the CSV ``real`` (``secgen-bench evaluate``).

    The schema is ``schema`` or the one detected from the real file's columns; every file is checked
    against it (the synthetic one without value ranges: DKC scores those). Returns the schema, the
    outcomes and the notes of :func:`select_metrics`.
    """
    from secgen_bench.tables import read_flow_csv, read_real_table

    flow_schema, real_table = read_real_table(real, schema)
    synthetic_table = flow_schema.validate(read_flow_csv(synthetic, flow_schema), source=synthetic, ranges=False)
    holdout_table = read_real_table(holdout, schema, flow_schema)[1] if holdout else None
    classes, notes = select_metrics(metrics, have_holdout=holdout_table is not None)
    outcomes = evaluate(real_table, synthetic_table, flow_schema, [c() for c in classes], holdout=holdout_table,
                        repeats=repeats, sample_size=sample_size, seed=seed)
    notes += [f"{n} n/a: {o.not_applicable}" for n, o in outcomes.items() if o.not_applicable]
    return flow_schema, outcomes, notes


def _mean_breakdown(items: list[dict]) -> dict:
    """Average numeric breakdown entries over repetitions; keep the first value of anything else."""
    if not items:
        return {}
    out: dict[str, Any] = {}
    for key in items[0]:
        vals = [d.get(key) for d in items]
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals):
            out[key] = float(np.mean(vals))
        else:
            out[key] = vals[0]
    return out

"""Class-conditional generation by the harness, for the metrics that train on labelled synthetic flows (``ids-tstr``).

Every generator gets it without code of its own: one fit per class on that
class's real training flows (label column removed, the same seed), sampling
each class in its share of the real training flows, the class attached to
its rows. That is one fit per class on top of the job's own fit, so it runs
only when a metric asks for labelled tables (``"labels"`` in its
``inputs``). A generator that conditions on the label itself declares
``native_label_conditioning = True``: it is fitted once on the labelled
training flows (the class column included) and sampled once. The
``bootstrap`` row resamples the labelled training flows (its noise floor).
"""
from __future__ import annotations

import time
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from secgen_bench.evaluation import LabelInputs, label_needs
from secgen_bench.generate import fit_and_sample
from secgen_bench.registry import import_target
from secgen_bench.runner.labelled import LabelledData
from secgen_bench.runner.plan import BOOTSTRAP
from secgen_bench.runner.spec import JobSpec
from secgen_bench.tracks.bootstrap import bootstrap_sample


def class_counts(labels: pd.Series, n: int) -> dict:
    """Rows per class for ``n`` synthetic rows: each class's real share (largest remainder), at least one row each."""
    shares = labels.value_counts(sort=False)
    shares = shares.reindex(sorted(shares.index, key=str))   # an order that does not depend on the rows' order
    exact = shares.to_numpy(dtype=float) * n / shares.sum()
    counts = np.floor(exact).astype(int)
    rest = n - counts.sum()
    order = np.lexsort((np.arange(len(exact)), -(exact - counts)))   # largest remainder first, ties by class order
    counts[order[:rest]] += 1
    return {value: max(1, int(c)) for value, c in zip(shares.index, counts)}


def conditional_sample(spec: JobSpec, labelled: LabelledData, report: Callable[[str], None]) -> tuple[pd.DataFrame, dict]:
    """Labelled synthetic flows of ``spec``'s generator, and what it cost (fits, seconds, rows per class)."""
    cls = import_target(spec.generator_target)
    label, train = labelled.label, labelled.train
    features = [c for c in labelled.schema.names if c != label]
    common = dict(seed=spec.seed, name=f"{spec.generator} (class-conditional)", profile=spec.profile,
                  device=spec.device, overrides=spec.overrides, report=report)
    t0 = time.perf_counter()
    if getattr(cls, "native_label_conditioning", False):
        sample = fit_and_sample(cls, train, labelled.schema, spec.n_synthetic, **common).sample
        return sample[labelled.schema.names], {"fits": 1, "native": True, "seconds": time.perf_counter() - t0}
    schema = labelled.schema.select(features)
    parts, counts, failed = [], class_counts(train[label], spec.n_synthetic), {}
    for value, n in counts.items():
        rows = train.loc[train[label] == value, features].reset_index(drop=True)
        try:
            sample = fit_and_sample(cls, rows, schema, n, **common).sample
        except Exception as exc:  # e.g. a class too small for the model: it gets no rows, which the metric penalises
            failed[str(value)] = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            continue
        parts.append(sample.assign(**{label: pd.Series([value] * len(sample), index=sample.index).astype(train[label].dtype)}))
    if not parts:
        raise ValueError(f"no class could be fitted: {'; '.join(f'{k}: {v}' for k, v in failed.items())}")
    sample = pd.concat(parts, ignore_index=True)[labelled.schema.names]
    return sample, {"fits": len(counts), "native": False, "seconds": time.perf_counter() - t0,
                    "rows_per_class": {str(k): v for k, v in counts.items() if str(k) not in failed},
                    "failed_classes": failed}


def label_inputs(spec: JobSpec, labelled: LabelledData | None, metrics: Sequence, out: dict,
                 report: Callable[[str], None]) -> LabelInputs | None:
    """What the label-aware metrics of ``spec`` read (None for an unlabelled dataset: they are n/a).

    Labelled synthetic flows are made only when a metric asks for labelled tables and the job is a
    generator's (the Reference row's holdout already carries its labels); the cost goes to
    ``out["class_conditional"]``, a failure to the metrics that needed them.
    """
    if labelled is None:
        return None
    inputs = LabelInputs(labelled.schema, attacks=labelled.attacks, real=labelled.train, holdout=labelled.holdout)
    if spec.reference or not any("labels" in label_needs(m) for m in metrics):
        return inputs
    if spec.generator == BOOTSTRAP:   # the noise floor of labelled flows: the labelled training rows resampled
        inputs.synthetic = bootstrap_sample(labelled.train, labelled.schema, spec.n_synthetic, spec.seed)
        return inputs
    report("class-conditional")
    try:
        inputs.synthetic, out["class_conditional"] = conditional_sample(spec, labelled, report)
    except Exception as exc:  # recorded on the metrics that needed these flows, not on the job
        inputs.synthetic_error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    return inputs


def note_failed_classes(outcomes: dict, metrics: Sequence, out: dict) -> None:
    """Name, in the breakdown of each metric that read the labelled synthetic flows, the classes left without rows."""
    failed = (out.get("class_conditional") or {}).get("failed_classes")
    if not failed:
        return
    for m in metrics:
        if "labels" in label_needs(m) and m.name in outcomes and outcomes[m.name].mean is not None:
            outcomes[m.name].breakdown["classes_not_generated"] = "; ".join(f"{k} ({v})" for k, v in failed.items())

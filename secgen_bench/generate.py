"""Fit one generator and draw a checked sample: the body shared by a benchmark job and ``secgen-bench generate``.

Why one copy: a sample written by ``generate`` must be exactly what a job of ``run`` would score
(same construction, same seed, same schema and dtype checks), so both call :func:`fit_and_sample`.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pandas as pd


@dataclass
class FittedSample:
    generator: Any           # the fitted generator (to save it)
    sample: pd.DataFrame     # checked: the training columns and dtypes, within the schema
    fit_s: float
    sample_s: float


def fit_and_sample(cls: type, train: pd.DataFrame, schema, n: int, *, seed: int, name: str, profile: str,
                   device: str = "cpu", overrides: dict | None = None,
                   report: Callable[[str], None] = lambda phase: None) -> FittedSample:
    """Construct ``cls`` for ``profile``, fit it on ``train``, draw ``n`` rows (or sequences), check them.

    ``report`` hears the phases "configure", "fit", "sample" and "check" as they start (a job's watchdog
    records the phase a timeout or crash happened in).
    """
    from secgen_bench.generators.base import check_sample

    report("configure")
    gen = cls(profile=profile, device=device, **(overrides or {}))
    report("fit")
    t0 = time.perf_counter()
    gen.fit(train, schema, seed=seed)
    fit_s = time.perf_counter() - t0
    report("sample")
    t0 = time.perf_counter()
    sample = gen.sample(n, seed=seed)
    sample_s = time.perf_counter() - t0
    report("check")
    sample = check_sample(sample, n, list(train.columns), {c: str(t) for c, t in train.dtypes.items()}, schema,
                          who=name, unit=getattr(cls, "unit", "rows"))
    return FittedSample(gen, sample, fit_s, sample_s)


def generate(name: str, source, n: int, output: str | Path, *, seed: int = 0, profile: str = "default",
             device: str = "cpu", overrides: dict | None = None, save_model: str | Path | None = None) -> int:
    """Fit generator ``name`` on the whole table of ``source`` (a DatasetSource), write ``n`` rows as CSV.

    Returns the number of rows written.
    """
    from secgen_bench import registry
    from secgen_bench.datasets.loading import load_dataset
    from secgen_bench.runner.store import write_csv

    if n < 0:
        raise ValueError(f"-n must be >= 0, got {n}")
    cls = registry.generators.get(name)
    data = load_dataset(source, profile, seed=seed)
    table = data.schema.validate(data.table, source=source.label)
    fitted = fit_and_sample(cls, table, data.schema, n, seed=seed, name=name, profile=profile, device=device,
                            overrides=overrides)
    write_csv(Path(output), fitted.sample)
    if save_model:
        fitted.generator.save(save_model)
    return len(fitted.sample)

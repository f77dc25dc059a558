"""Stored synthetic samples: reading one back with its training dtypes, and the cross-run sample cache.

The cache keeps each job's ``synthetic.csv`` under its job key (generator,
version, configuration, dataset content, seed, size), so another run with the
same job reuses the sample instead of refitting.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from secgen_bench.cache import cache_dir
from secgen_bench.runner.paths import child_of
from secgen_bench.runner.store import read_json, write_json


def read_synthetic(path: Path, schema, dtypes: dict[str, str]) -> pd.DataFrame:
    """Re-read a stored sample with the training dtypes (CSV loses them)."""
    table = pd.read_csv(path, dtype={c: str for c, t in dtypes.items() if t == "object"},
                        keep_default_na=False, na_values=[""])
    return schema.validate(table, source=str(path), ranges=False)


def cache_path(key: str) -> Path:
    root = cache_dir() / "synthetic"
    return child_of(root, root / f"{key}.csv", "cached sample")


def restore_cached_sample(key: str, job_dir: Path) -> bool:
    """Copy the cached sample of job ``key`` into ``job_dir``; False when none is cached."""
    cached = cache_path(key)
    if not cached.exists():
        return False
    job_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(cached, job_dir / "synthetic.csv")
    return True


def cache_sample(key: str, job_dir: Path) -> None:
    """Keep the job's sample for later runs (never overwrites a cached one), with the times it took to make."""
    synthetic = job_dir / "synthetic.csv"
    cached = cache_path(key)
    if synthetic.exists() and not cached.exists():
        cached.parent.mkdir(parents=True, exist_ok=True)
        _keep_making_of(job_dir / "job.json", cached.with_suffix(".json"))
        tmp = cached.with_suffix(".tmp")
        shutil.copyfile(synthetic, tmp)
        tmp.replace(cached)


def _keep_making_of(job_record: Path, target: Path) -> None:
    """Save the fit/sample times, peak memory, budget and training rows of the job that made a sample, for the
    runs that reuse it."""
    try:
        rec = read_json(job_record)
    except (OSError, ValueError):
        return
    if not isinstance(rec, dict):
        return
    timings, resources = rec.get("timings") or {}, rec.get("resources") or {}
    making = {"timings": {k: timings.get(k) for k in ("fit_s", "sample_s")},
              "resources": {"peak_rss_mb": resources.get("peak_rss_mb")}}
    for k in ("budget", "training_rows"):   # how long it trained and on how many rows, for the runs that reuse it
        if isinstance(rec.get(k), dict):
            making[k] = rec[k]
    write_json(target, making)


def cached_making_of(key: str) -> dict:
    """The times and memory of the job that made the cached sample of ``key`` ({} when not recorded)."""
    try:
        rec = read_json(cache_path(key).with_suffix(".json"))
    except (OSError, ValueError):
        return {}
    return rec if isinstance(rec, dict) else {}

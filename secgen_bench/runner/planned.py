"""Which job folders are a run's results: the jobs its plan (``run.json``) lists.

A folder under ``jobs/`` that the plan does not name (copied in, left by
another run, a job dropped from the plan) is not part of the run's
leaderboard. A directory without a plan is read whole.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

from secgen_bench.runner.store import RunStore, read_json


def planned_job_keys(run_dir: str | Path) -> set[str] | None:
    """The plan's job keys, or None when the directory has no plan to read."""
    store = RunStore(run_dir)
    if not store.plan_path.is_file():
        return None
    try:
        plan = read_json(store.plan_path)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{store.plan_path}: broken plan, not JSON ({exc})") from None
    jobs = plan.get("jobs") if isinstance(plan, dict) else None
    if jobs is not None and not (isinstance(jobs, list) and all(isinstance(k, str) for k in jobs)):
        raise ValueError(f"{store.plan_path}: broken plan (\"jobs\" is not a list of job keys)")
    return None if jobs is None else set(jobs)


def is_planned(record_path: Path, jobs_dir: Path, planned: set[str] | None) -> bool:
    """Whether the record at ``record_path`` (under ``jobs_dir/<job key>/``) belongs to a planned job."""
    return planned is None or Path(record_path).relative_to(jobs_dir).parts[0] in planned


def planned_records(store: RunStore, pattern: str) -> Iterator[tuple[Path, dict]]:
    """(path, record) of every ``jobs/<pattern>`` file of a planned job; a file that is not a record is a ValueError
    naming it."""
    planned = planned_job_keys(store.root)
    for path in sorted((store.root / "jobs").glob(pattern)):
        if not is_planned(path, store.root / "jobs", planned):
            continue
        try:
            rec = read_json(path)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ValueError(f"{path}: broken record, not JSON ({exc})") from None
        if not isinstance(rec, dict):
            raise ValueError(f"{path}: broken record, a JSON {type(rec).__name__} instead of an object")
        yield path, rec

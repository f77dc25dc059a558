"""Which job folders are a run's results: the jobs its plan (``run.json``) lists.

A folder under ``jobs/`` that the plan does not name (copied in, left by
another run, a job dropped from the plan) is not part of the run's
leaderboard. A directory without a plan is read whole.
"""
from __future__ import annotations

import json
from pathlib import Path

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

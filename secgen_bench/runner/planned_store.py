"""A run directory read through its plan: only the jobs ``run.json`` lists are the run's results.

A folder under ``jobs/`` that the plan does not name (copied in, left by
another run, a job dropped from the plan) is not part of the run's
leaderboard. A directory without a plan is read whole.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

from secgen_bench.runner.store import RunStore, read_json


class PlannedRunStore(RunStore):
    def planned_keys(self) -> list[str] | None:
        """The plan's job keys, or None when the directory has no plan to read."""
        if not self.plan_path.is_file():
            return None
        jobs = read_json(self.plan_path).get("jobs")
        return None if jobs is None else list(dict.fromkeys(jobs))

    def job_records(self) -> Iterator[dict]:
        keys = self.planned_keys()
        if keys is None:
            yield from super().job_records()
            return
        for path in sorted(p for p in (self.job_record_path(k) for k in keys) if p.is_file()):
            yield read_json(path)

    def metric_records(self) -> Iterator[dict]:
        keys = self.planned_keys()
        if keys is None:
            yield from super().metric_records()
            return
        paths: list[Path] = []
        for key in keys:
            paths.extend((self.job_dir(key) / "metrics").glob("*.json"))
        for path in sorted(paths):
            yield read_json(path)

"""What a report shows, read from a run directory: boards, records, and the tables behind the plots.

Everything is read lazily and tolerantly: a missing or unreadable file makes
the part that needs it absent (``None`` or an empty mapping) and is noted in
``problems``; the page explains absent parts instead of failing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from secgen_bench.runner.plan import REFERENCE
from secgen_bench.runner.planned import planned_records
from secgen_bench.runner.store import RunStore, read_json, read_table, refuse_pickled_tables


@dataclass
class DatasetView:
    """One dataset of the run: its prepared tables and the first-seed sample of each generator."""

    label: str
    key: str
    data_dir: Path
    jobs: list[dict] = field(default_factory=list)          # job records of this dataset
    problems: list[str] = field(default_factory=list)

    @cached_property
    def schema(self):
        from secgen_bench.schema import FlowSchema

        try:
            return FlowSchema.from_dict(read_json(self.data_dir / "schema.json"))
        except (OSError, ValueError, KeyError) as exc:
            self.problems.append(f"schema of {self.label} unreadable: {exc}")
            return None

    @cached_property
    def train(self) -> pd.DataFrame | None:
        return self._table("train.parquet")

    @cached_property
    def holdout(self) -> pd.DataFrame | None:
        return self._table("holdout.parquet")

    @cached_property
    def meta(self) -> dict:
        try:
            return read_json(self.data_dir / "meta.json")
        except (OSError, ValueError):
            return {}

    def _table(self, name: str) -> pd.DataFrame | None:
        path = self.data_dir / name
        if not path.exists():
            self.problems.append(f"{path} is missing")
            return None
        try:
            return read_table(path)
        except Exception as exc:  # noqa: BLE001 - a damaged file only hides its plots
            self.problems.append(f"{path} unreadable: {type(exc).__name__}: {exc}")
            return None

    @cached_property
    def samples(self) -> dict[str, tuple[int, pd.DataFrame]]:
        """Generator -> (seed, table) of its lowest-seed successful job; the Reference row is the holdout."""
        from secgen_bench.runner.samples import read_synthetic

        out: dict[str, tuple[int, pd.DataFrame]] = {}
        if self.train is None or self.schema is None:
            return out
        dtypes = {c: str(t) for c, t in self.train.dtypes.items()}
        for job in sorted(self.jobs, key=lambda j: (j["generator"]["name"], j["seed"])):
            gen = job["generator"]["name"]
            if gen in out or job.get("status") != "ok":
                continue
            if gen == REFERENCE:
                if self.holdout is not None:
                    out[gen] = (job["seed"], self.holdout)
                continue
            path = self.data_dir.parent.parent / "jobs" / job["job_key"] / "synthetic.csv"
            if not path.exists():
                self.problems.append(f"{gen}: {path.name} of seed {job['seed']} is missing")
                continue
            try:
                out[gen] = (job["seed"], read_synthetic(path, self.schema, dtypes))
            except Exception as exc:  # noqa: BLE001
                self.problems.append(f"{gen}: {path} unreadable: {str(exc).splitlines()[0] if str(exc) else exc}")
        return out


class RunView:
    """A run directory as the report needs it."""

    def __init__(self, run_dir: str | Path):
        self.store = RunStore(run_dir)
        self.root = self.store.root
        if not (self.root / "jobs").is_dir():
            raise FileNotFoundError(f"{self.root}: not a run directory (no jobs/ folder)")
        for data_dir in sorted((self.root / "data").glob("*")):  # an older run's pickles are refused, never read
            refuse_pickled_tables(data_dir)

    @cached_property
    def plan(self) -> dict:
        try:
            return read_json(self.store.plan_path)
        except (OSError, ValueError):
            return {}

    @cached_property
    def boards(self):
        from secgen_bench import leaderboard

        return leaderboard.build(self.root)

    @cached_property
    def job_records(self) -> list[dict]:
        """The records of the plan's jobs (the leaderboard's rows come from these only)."""
        return [rec for _, rec in planned_records(self.store, "*/job.json")]

    @cached_property
    def metric_records(self) -> list[dict]:
        return [rec for _, rec in planned_records(self.store, "*/metrics/*.json")]

    @cached_property
    def datasets(self) -> dict[str, DatasetView]:
        views: dict[str, DatasetView] = {}
        for job in self.job_records:
            ds = job["dataset"]
            view = views.setdefault(ds["label"], DatasetView(ds["label"], ds["key"], self.store.data_dir(ds["key"])))
            view.jobs.append(job)
        return dict(sorted(views.items()))

    def metric_frame(self) -> pd.DataFrame:
        """One row per (dataset, generator, seed, metric) with the seed's value (None when it failed)."""
        rows = [{"dataset": r["dataset"]["label"], "generator": r["generator"]["name"], "seed": r["seed"],
                 "metric": r["metric"], "direction": r.get("direction"), "value": r.get("value"),
                 "status": r.get("status")} for r in self.metric_records]
        return pd.DataFrame(rows, columns=["dataset", "generator", "seed", "metric", "direction", "value", "status"])

    def breakdowns(self, metric: str) -> dict[str, dict[str, list[dict]]]:
        """dataset -> generator -> the ``breakdown`` dicts of ``metric``'s successful records (one per seed)."""
        out: dict[str, dict[str, list[dict]]] = {}
        for r in self.metric_records:
            if r.get("metric") == metric and r.get("status") == "ok" and r.get("breakdown"):
                out.setdefault(r["dataset"]["label"], {}).setdefault(r["generator"]["name"], []).append(r["breakdown"])
        return out

"""What a track is: which plugins its jobs run, how its data is split, its job body and its default metrics.

The driver (secgen_bench.runner.run), the job process (runner.job) and the
CLI ask the dataset's track instead of branching on its name, so a new track
is a new :class:`Track` registered in ``secgen_bench.tracks``.
"""
from __future__ import annotations

from typing import Callable, ClassVar, Sequence

import pandas as pd

from secgen_bench import registry
from secgen_bench.datasets.base import LoadedData
from secgen_bench.datasets.loading import DatasetSource
from secgen_bench.registry import Registry
from secgen_bench.runner.plan import GeneratorRef, MetricRef, Protocol
from secgen_bench.runner.spec import JobSpec


class Track:
    """One track's rules; subclasses fill in the plan, the split and the job body."""

    name: str = ""
    plugin_kind: ClassVar[str] = "generators"   # what -g/--all name: "generators" or "detectors"
    reference_row: ClassVar[bool] = True        # the held-out data is scored as a "reference" row
    keeps_labels: ClassVar[bool] = False        # label columns stay in the prepared tables
    resplits_per_seed: ClassVar[bool] = False   # each job splits the whole stored table with its own seed
    caches_samples: ClassVar[bool] = True       # samples go to the cross-run cache

    # ---- the plan (driver side) ---------------------------------------------------------------
    def unranked_rows(self) -> tuple[str, ...]:
        """The pseudo-rows this track scores before its plugins (none without a reference row)."""
        from secgen_bench.runner.plan import BOOTSTRAP, REFERENCE

        return (REFERENCE, BOOTSTRAP) if self.reference_row else ()

    def plugin_registry(self) -> Registry:
        """Where the plugins -g/--all/--set name live (``registry.generators`` or ``registry.detectors``)."""
        return getattr(registry, self.plugin_kind)

    def check_names(self, plugins: Sequence[str], metrics: Sequence[str] | None) -> None:
        """Fail with a message naming the first unknown plugin or metric (before any work starts)."""
        raise NotImplementedError

    def default_plugins(self) -> list[str]:
        """What ``--all`` runs."""
        raise NotImplementedError

    def plugin_ref(self, name: str, profile: str, overrides: dict) -> tuple[GeneratorRef, str | None]:
        """The plugin's reference for the plan, and why it cannot run (None when it can)."""
        raise NotImplementedError

    def metric_refs(self, names: Sequence[str] | None) -> list[tuple[MetricRef, str | None]]:
        """The named metrics (the track's defaults when None), each with why it cannot run (or None)."""
        raise NotImplementedError

    def split(self, table: pd.DataFrame, data: LoadedData, source: DatasetSource, protocol: Protocol,
              profile: str) -> tuple[pd.DataFrame, pd.DataFrame, LoadedData]:
        """(train, holdout, data) of a validated table; ``data`` may carry the split's description in its meta."""
        raise NotImplementedError

    def n_synthetic(self, data: LoadedData, unit: str, protocol: Protocol) -> int:
        """How many rows (or sequences, by ``unit``) a job generates from the prepared training data."""
        raise NotImplementedError

    def note(self, data: LoadedData) -> str | None:
        """A line for the leaderboard about this dataset's protocol (None: nothing to say)."""
        return None

    # ---- the job body (job process) -----------------------------------------------------------
    def run_job(self, spec: JobSpec, report: Callable[[str], None]) -> dict:
        """Run one seeded job; return its timings and ``{"metrics": {name: outcome dict}}``."""
        raise NotImplementedError

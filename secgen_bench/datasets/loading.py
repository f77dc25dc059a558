"""Where a run's table comes from: a registered dataset (-d NAME) or a user file (--data PATH), seen by a track."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from secgen_bench import registry

if TYPE_CHECKING:  # the CLI resolves a source's track without importing pandas
    from secgen_bench.datasets.base import LoadedData


@dataclass
class DatasetSource:
    name: str | None = None        # registry name (-d NAME)
    path: str | None = None        # user file (--data PATH)
    format: str = "auto"
    max_rows: int | None = None    # --max-rows N: a seeded uniform sample of N rows
    window: str | None = None      # --window START/END: the rows whose timestamp falls inside

    @property
    def label(self) -> str:
        return self.name or Path(self.path).name


def load_dataset(source: DatasetSource, profile: str, seed: int = 0, track: str | None = None) -> "LoadedData":
    """The source's table for ``track`` (None: the dataset's own track)."""
    if source.max_rows is not None or source.window is not None:
        from secgen_bench.datasets.limits import load_limited

        return load_limited(source, profile, seed, track)
    if source.path is not None:
        from secgen_bench.datasets.detect import load_path, sniff_format

        if track in (None, "flows"):
            return load_path(source.path, source.format, seed=seed, profile=profile)
        fmt = sniff_format(source.path) if source.format == "auto" else source.format
        if fmt in (None, "csv"):
            return load_path(source.path, source.format, seed=seed, profile=profile)
        return registry.datasets.get(fmt)().load_view(track, source.path, seed=seed, profile=profile)
    obj = registry.datasets.get(source.name)()
    return obj.load(seed=seed, profile=profile) if track is None else obj.load_view(track, seed=seed, profile=profile)


def dataset_track_name(source: DatasetSource) -> str:
    """The track a source belongs to when none is asked for: the registered dataset's, else flows."""
    if source.name is None:
        return "flows"
    cls = registry.datasets.peek(source.name)
    return getattr(cls, "track", "flows") if cls is not None else "flows"

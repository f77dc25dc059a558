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
    schema: str | None = None      # --schema FILE: a schema file for --data (YAML or JSON)
    columns: str | None = None     # --columns "name=role,...": the inline form of a schema file
    drop_invalid: bool = False     # --drop-invalid: drop (and count) rows with non-finite or empty numbers
    max_rows: int | None = None    # --max-rows N: a seeded uniform sample of N rows
    window: str | None = None      # --window START/END: the rows whose timestamp falls inside

    @property
    def label(self) -> str:
        return self.name or Path(self.path).name


def load_dataset(source: DatasetSource, profile: str, seed: int = 0, track: str | None = None) -> "LoadedData":
    """The source's table for ``track`` (None: the dataset's own track)."""
    limited = source.max_rows is not None or source.window is not None
    if source.path is not None and Path(source.path).is_dir():
        return _load_folder(source, profile, seed, track, limited)
    if source.path is not None and (source.schema or source.columns):
        from secgen_bench.datasets.detect import load_declared

        given = "--schema" if source.schema else "--columns"
        if source.format != "auto":
            raise ValueError(f"{given} reads {source.path} itself: drop --format {source.format}")
        if track not in (None, "flows"):
            raise ValueError(f"{given} describes a flow table; the {track} track reads its own formats")
        data = load_declared(source.path, schema_file=source.schema, columns=source.columns,
                             drop_invalid=source.drop_invalid)
        if limited:
            from secgen_bench.datasets.limits import limit_loaded

            data = limit_loaded(data, source, seed)
        return data
    if limited:
        from secgen_bench.datasets.limits import load_limited

        return load_limited(source, profile, seed, track)
    if source.path is not None:
        from secgen_bench.datasets.detect import load_path, sniff_format

        if track in (None, "flows"):
            return load_path(source.path, source.format, seed=seed, profile=profile, drop_invalid=source.drop_invalid,
                             view=track)
        fmt = sniff_format(source.path) if source.format == "auto" else source.format
        if fmt in (None, "csv"):
            return load_path(source.path, source.format, seed=seed, profile=profile)
        return registry.datasets.get(fmt)().load_view(track, source.path, seed=seed, profile=profile)
    obj = registry.datasets.get(source.name)()
    return obj.load(seed=seed, profile=profile) if track is None else obj.load_view(track, seed=seed, profile=profile)


def _load_folder(source: DatasetSource, profile: str, seed: int, track: str | None, limited: bool) -> "LoadedData":
    """``--data FOLDER``: its files read one by one like ``--data FILE``, joined (datasets/folder.py)."""
    from dataclasses import replace

    from secgen_bench.datasets.detect import sniff_format
    from secgen_bench.datasets.folder import load_folder

    if track not in (None, "flows"):
        raise ValueError(f"--data {source.path}: a folder is read as one flow table; the {track} track reads one file")
    auto = source.format == "auto" and not (source.schema or source.columns)
    whole = replace(source, max_rows=None, window=None)   # the limits apply to the joined table, once
    data = load_folder(source.path, lambda p: load_dataset(replace(whole, path=str(p)), profile, seed, track),
                       recognised=(lambda p: sniff_format(p) is not None) if auto else None)
    if limited:
        from secgen_bench.datasets.limits import limit_loaded

        data = limit_loaded(data, source, seed)
    return data


def dataset_track_name(source: DatasetSource) -> str:
    """The track a source belongs to when none is asked for: the registered dataset's, else flows."""
    if source.name is None:
        return "flows"
    cls = registry.datasets.peek(source.name)
    return getattr(cls, "track", "flows") if cls is not None else "flows"

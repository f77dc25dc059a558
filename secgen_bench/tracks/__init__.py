"""The tracks of the benchmark and how a run finds its own: ``--track``, else the dataset's.

Tracks are named here and imported on first use, so the CLI can list them
(``--track`` choices) without importing pandas or a track's plugins.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from secgen_bench.datasets.loading import DatasetSource, dataset_track_name
from secgen_bench.errors import RunError

if TYPE_CHECKING:
    from secgen_bench.tracks.base import Track

_TARGETS: dict[str, str] = {
    "flows": "secgen_bench.tracks.flows:FLOWS",
    "packets": "secgen_bench.tracks.packets:PACKETS",
    "anomaly": "secgen_bench.tracks.anomaly:ANOMALY",
}
_LOADED: dict[str, "Track"] = {}


def register_track(track: "Track") -> "Track":
    """Add (or replace) a track under its name."""
    if not track.name:
        raise ValueError("a track needs a name")
    _TARGETS[track.name] = ""
    _LOADED[track.name] = track
    return track


def track_names() -> list[str]:
    return list(_TARGETS)


def track_named(name: str) -> "Track":
    if name not in _TARGETS:
        raise RunError(f"unknown track {name!r}; choose one of {', '.join(_TARGETS)}")
    if name not in _LOADED:
        module, _, attr = _TARGETS[name].partition(":")
        _LOADED[name] = getattr(importlib.import_module(module), attr)
    return _LOADED[name]


def track_of(source: DatasetSource, requested: str | None = None) -> "Track":
    """The track a run of ``source`` uses: ``requested`` (--track), else the dataset's own."""
    return track_named(requested or dataset_track_name(source))


__all__ = ["register_track", "track_names", "track_named", "track_of"]

"""The dataset contract: a named source that becomes a validated table + schema.

A dataset plugin's ``load(path=None, *, seed=0, profile="default")`` returns a
:class:`LoadedData`. ``path`` points at user data (a file or folder); without
it a dataset uses its built-in or downloaded copy. ``sniff(path)`` lets
``--format auto`` pick a loader by content.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from secgen_bench.schema import FlowSchema


@dataclass
class LoadedData:
    table: pd.DataFrame
    schema: FlowSchema
    meta: dict[str, Any] = field(default_factory=dict)


class Dataset:
    name: ClassVar[str] = ""
    version: ClassVar[str] = "0.1"
    description: ClassVar[str] = ""
    track: ClassVar[str] = "flows"
    requires: ClassVar[tuple[str, ...]] = ()
    extra: ClassVar[str | None] = None
    needs_path: ClassVar[bool] = False   # True for formats that only read user files (pcap, zeek, ...)

    def load(self, path: str | Path | None = None, *, seed: int = 0, profile: str = "default") -> LoadedData:
        raise NotImplementedError

    def load_view(self, track: str, path: str | Path | None = None, *, seed: int = 0,
                  profile: str = "default") -> LoadedData:
        """The dataset as seen by ``track`` (a capture is flows for ``flows``, packet sequences for ``packets``)."""
        if track != self.track:
            raise ValueError(f"dataset {self.name!r} has no {track!r} view (its track is {self.track!r})")
        return self.load(path, seed=seed, profile=profile)

    @classmethod
    def sniff(cls, path: Path) -> bool:
        """True when ``path`` looks like this format (used by ``--format auto``)."""
        return False

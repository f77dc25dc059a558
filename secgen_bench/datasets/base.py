"""The dataset contract: a named source that becomes a validated table + schema.

A dataset plugin's ``load(path=None, *, seed=0, profile="default")`` returns a
:class:`LoadedData`. ``path`` points at user data (a file or folder); without
it a dataset uses its built-in or downloaded copy. ``sniff(path)`` lets
``--format auto`` pick a loader by content.

Where that copy comes from is declared once, on the class: ``sample_file``
(path parts of the offline sample under ``$SECGEN_BENCH_DATA``) and
``download_source`` (a name in :mod:`secgen_bench.datasets.download`).
``load()`` and ``secgen-bench datasets list`` both read them, so the list
never names a file the loader does not read.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from secgen_bench.datasets.common import shared_file
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
    sample_file: ClassVar[tuple[str, ...] | None] = None    # offline sample: path parts under SECGEN_BENCH_DATA
    download_source: ClassVar[str | None] = None            # official download: a name in download.SOURCES
    file_hint: ClassVar[str] = "a data file"                # what --data PATH should be, for the error message

    @classmethod
    def sample_path(cls) -> Path | None:
        """The offline sample when the shared data folder has it, else None."""
        return shared_file(*cls.sample_file) if cls.sample_file else None

    def default_path(self) -> Path:
        """The file ``load()`` reads without a path: the offline sample, else a one-line error."""
        sample = self.sample_path()
        if sample is None:
            raise ValueError(f"{self.name}: give {self.file_hint} with --data PATH")
        return sample

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


class FileFormat(Dataset):
    """A dataset read from one file by ``read(path) -> (table, meta)`` into one fixed schema.

    Why: the format loaders (Argus binetflow, Zeek conn.log, ...) differ only in
    how they parse; finding the file and assembling :class:`LoadedData` is here once.
    """

    schema: ClassVar[FlowSchema]
    needs_path = True

    def read(self, path: str | Path) -> tuple[pd.DataFrame, dict[str, Any]]:
        raise NotImplementedError

    def load(self, path: str | Path | None = None, *, seed: int = 0, profile: str = "default") -> LoadedData:
        table, meta = self.read(self.default_path() if path is None else path)
        meta["dataset"] = self.name
        return LoadedData(table, self.schema, meta)

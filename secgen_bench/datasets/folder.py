"""``--data FOLDER``: the data files of one folder read as one dataset.

Why: IDS datasets ship as several files of one layout (UNSW-NB15's
training and testing sets, or its four raw CSVs; CIC-IDS2017's one CSV per
day), and a user points at the folder they downloaded. Each regular,
non-hidden file of the folder (sorted by name; sub-folders are not read) is
read on its own by ``read_one`` (``--format``/``--schema`` as for one file).
With ``--format auto`` a file no loader recognises (a feature list, a
README, UNSW-NB15's ``NUSW-NB15_features.csv``) is skipped and named on
stderr and in ``meta["skipped_files"]``; with a named format or a schema
file every file must read. All files read must give the same schema (same
columns, roles and units), else a one-line error names two files that
differ. The tables are concatenated in file-name order (sorted by time, stably,
when the schema has a timestamp) and validated once more as one table;
``meta["files"]`` lists what was read, ``meta["rows_per_file"]`` how much
each gave, and counts such as dropped rows are summed over the files.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable

import pandas as pd

from secgen_bench.datasets import common as cm
from secgen_bench.datasets.base import LoadedData


def data_files(folder: Path) -> list[Path]:
    """The folder's regular, non-hidden, non-empty files, sorted by name."""
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and not p.name.startswith(".") and p.stat().st_size > 0)


def load_folder(folder: str | Path, read_one: Callable[[Path], LoadedData], *,
                recognised: Callable[[Path], bool] | None = None) -> LoadedData:
    """Every data file of ``folder`` read by ``read_one`` and joined into one table of one schema.

    ``recognised`` (auto detection) says whether a file is worth reading at all; files it refuses are skipped
    and named. Without it every file must read.
    """
    folder = Path(folder)
    files = data_files(folder)
    skipped = [p for p in files if recognised is not None and not recognised(p)]
    files = [p for p in files if p not in skipped]
    if not files:
        what = f" (skipped, no known format: {', '.join(p.name for p in skipped)})" if skipped else ""
        raise cm.DataFormatError(f"{folder}: no data file in this folder{what}")
    parts = [(p, read_one(p)) for p in files]
    first_path, first = parts[0]
    for path, part in parts[1:]:
        if part.schema.to_dict() != first.schema.to_dict():
            raise cm.DataFormatError(
                f"{folder}: {path.name} ({_describe(part)}) and {first_path.name} ({_describe(first)}) differ in "
                f"layout; point --data at one file, or at a folder of files of one layout")
    table = pd.concat([part.table for _, part in parts], ignore_index=True)
    if first.schema.timestamp is not None:
        table = cm.sort_by_time(table, first.schema.timestamp)
    table = first.schema.validate(table, str(folder))
    meta = dict(first.meta)
    meta.update(source=str(folder), rows=len(table), files=[p.name for p, _ in parts],
                rows_per_file={p.name: len(part.table) for p, part in parts})
    for key in ("dropped_invalid_rows",):
        if all(isinstance(part.meta.get(key), int) for _, part in parts):
            meta[key] = sum(part.meta[key] for _, part in parts)
    dropped: dict[str, int] = {}
    for _, part in parts:
        for reason, n in (part.meta.get("dropped") or {}).items():
            if isinstance(n, int):
                dropped[reason] = dropped.get(reason, 0) + n
    if dropped:
        meta["dropped"] = dropped
    if skipped:
        meta["skipped_files"] = [p.name for p in skipped]
        print(f"note: {folder}: skipped {', '.join(p.name for p in skipped)} (no known format); read "
              f"{', '.join(p.name for p, _ in parts)}", file=sys.stderr)
    return LoadedData(table, first.schema, meta)


def _describe(part: LoadedData) -> str:
    return f"schema {part.schema.name}, columns {', '.join(part.schema.names[:4])}{', ...' if len(part.schema.names) > 4 else ''}"

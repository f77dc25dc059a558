"""The run directory: atomic JSON/CSV/Parquet writes and the layout every executor shares.

Layout::

    RUN_DIR/run.json                       the plan (profile, names, seeds, versions, machine)
    RUN_DIR/data/<dataset_key>/            train.parquet, holdout.parquet (table.parquet: anomaly track),
                                           schema.json, meta.json
    RUN_DIR/jobs/<job_key>/job.json        one record per job: status, phase, timings, resources
    RUN_DIR/jobs/<job_key>/synthetic.csv   the generator's sample
    RUN_DIR/jobs/<job_key>/metrics/<metric>.json   one record per (job, metric)

Every file is written to a temporary name and renamed, so a run killed at any
moment leaves only complete files; a job counts as finished once its
``job.json`` exists. Nothing here unpickles: every file of a run directory is
data (JSON, CSV, Parquet), and a run directory of an older version that holds
pickled tables is refused (:func:`refuse_pickled_tables`).
"""
from __future__ import annotations

import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterator

import pandas as pd

from secgen_bench.errors import RunError

#: the prepared tables of a dataset, as written by the driver and read by jobs and reports
TABLE_SUFFIX = ".parquet"
DTYPES_KEY = b"secgen_bench.dtypes"
PICKLED_TABLES = ("train.pkl", "holdout.pkl", "table.pkl")   # written by secgen-bench before the Parquet store

def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it; the mode follows the umask.

    mkstemp creates its file 0600, so it gets 0666 minus the umask, like a file ``open`` creates. The umask
    is read from /proc where it can be (``os.umask`` has to set it to read it, racing other threads).
    """
    umask = None
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            umask = next((int(line.split()[1], 8) for line in status if line.startswith("Umask:")), None)
    except (OSError, ValueError, IndexError):
        pass
    if umask is None:
        umask = os.umask(0o022)
        os.umask(umask)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fchmod(fh.fileno(), 0o666 & ~umask)
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def write_json(path: Path, obj: Any, *, strict: bool = False) -> None:
    """``strict``: only JSON values, numpy numbers/arrays and paths (TypeError otherwise); else anything else is
    written as its ``str``."""
    default = _strict_json_default if strict else _json_default
    atomic_write_bytes(Path(path), (json.dumps(obj, indent=1, sort_keys=True, default=default) + "\n").encode())


def read_json(path: Path) -> Any:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def write_csv(path: Path, table: pd.DataFrame) -> None:
    atomic_write_bytes(Path(path), table.to_csv(index=False).encode())


def write_table(path: Path, table: pd.DataFrame) -> None:
    """Parquet (pyarrow) with pandas' metadata, so dtypes (categoricals, datetimes, strings) and the index
    come back exactly. The column dtypes are also kept in the file's metadata and restored on reading
    where Parquet loses them: it has no seconds unit (``datetime64[s]`` is stored in ms) and pyarrow
    reads categoricals of numbers back as plain numbers."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    arrow = pa.Table.from_pandas(table, preserve_index=True)
    dtypes = json.dumps([_dtype_record(t) for t in table.dtypes], default=_strict_json_default).encode()
    arrow = arrow.replace_schema_metadata({**(arrow.schema.metadata or {}), DTYPES_KEY: dtypes})
    buf = io.BytesIO()
    pq.write_table(arrow, buf)
    atomic_write_bytes(Path(path), buf.getvalue())


def read_table(path: Path) -> pd.DataFrame:
    """Read a table written by :func:`write_table`; anything that is not Parquet is a one-line ValueError."""
    path = Path(path)
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head[:1] == b"\x80":
        raise RunError(f"{path}: a pickled table (pickles can run code and are no longer read); "
                       f"rerun the benchmark into a new --out, without --resume")
    if head != b"PAR1":
        raise ValueError(f"{path}: not a Parquet table")
    import pyarrow.parquet as pq

    arrow = pq.read_table(path)
    table = arrow.to_pandas()
    stored = json.loads((arrow.schema.metadata or {}).get(DTYPES_KEY, b"[]"))
    for i, want in enumerate(stored[:table.shape[1]]):
        column = table.iloc[:, i]
        if str(column.dtype) == want["dtype"]:
            continue
        if want["dtype"].startswith(("datetime64", "timedelta64")):
            table.isetitem(i, column.astype(want["dtype"]))
        elif want["dtype"] == "category" and "categories" in want:
            table.isetitem(i, pd.Series(pd.Categorical(column, categories=want["categories"],
                                                        ordered=want["ordered"]), index=table.index, name=column.name))
    return table


def _dtype_record(dtype: Any) -> dict:
    if isinstance(dtype, pd.CategoricalDtype) and dtype.categories.dtype.kind in "iufb":
        return {"dtype": "category", "categories": dtype.categories.tolist(), "ordered": bool(dtype.ordered)}
    return {"dtype": str(dtype)}


def refuse_pickled_tables(data_dir: Path) -> None:
    """A data folder of a run made before the Parquet store holds pickles: RunError saying how to regenerate it."""
    found = [name for name in PICKLED_TABLES if (Path(data_dir) / name).exists()]
    if found:
        raise RunError(f"{Path(data_dir) / found[0]}: this run directory was written by an older secgen-bench "
                       f"(pickled tables can run code and are no longer read); rerun without --resume "
                       f"into a new --out")


def _strict_json_default(obj: Any) -> Any:
    import numpy as np

    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"a {type(obj).__name__} is not plain data (JSON)")


def _json_default(obj: Any) -> Any:
    try:
        return _strict_json_default(obj)
    except TypeError:
        return str(obj)


class RunStore:
    """Paths and readers of one run directory."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    @property
    def plan_path(self) -> Path:
        return self.root / "run.json"

    def data_dir(self, dataset_key: str) -> Path:
        return self.root / "data" / dataset_key

    def job_dir(self, job_key: str) -> Path:
        return self.root / "jobs" / job_key

    def job_record_path(self, job_key: str) -> Path:
        return self.job_dir(job_key) / "job.json"

    def metric_record_path(self, job_key: str, metric: str) -> Path:
        return self.job_dir(job_key) / "metrics" / f"{metric}.json"

    def job_record(self, job_key: str) -> dict | None:
        path = self.job_record_path(job_key)
        return read_json(path) if path.exists() else None

    def metric_record(self, job_key: str, metric: str) -> dict | None:
        path = self.metric_record_path(job_key, metric)
        return read_json(path) if path.exists() else None

    def job_records(self) -> Iterator[dict]:
        for path in sorted((self.root / "jobs").glob("*/job.json")):
            yield read_json(path)

    def metric_records(self) -> Iterator[dict]:
        for path in sorted((self.root / "jobs").glob("*/metrics/*.json")):
            yield read_json(path)

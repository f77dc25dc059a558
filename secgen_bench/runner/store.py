"""The run directory: atomic JSON/CSV/pickle writes and the layout every executor shares.

Layout::

    RUN_DIR/run.json                       the plan (profile, names, seeds, versions, machine)
    RUN_DIR/data/<dataset_key>/            train.pkl, holdout.pkl, schema.json, meta.json
    RUN_DIR/jobs/<job_key>/job.json        one record per job: status, phase, timings, resources
    RUN_DIR/jobs/<job_key>/synthetic.csv   the generator's sample
    RUN_DIR/jobs/<job_key>/metrics/<metric>.json   one record per (job, metric)

Every file is written to a temporary name and renamed, so a run killed at any
moment leaves only complete files; a job counts as finished once its
``job.json`` exists.
"""
from __future__ import annotations

import json
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any, Iterator

import pandas as pd


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


def write_json(path: Path, obj: Any) -> None:
    atomic_write_bytes(Path(path), (json.dumps(obj, indent=1, sort_keys=True, default=_json_default) + "\n").encode())


def read_json(path: Path) -> Any:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def write_csv(path: Path, table: pd.DataFrame) -> None:
    atomic_write_bytes(Path(path), table.to_csv(index=False).encode())


def write_pickle(path: Path, obj: Any) -> None:
    atomic_write_bytes(Path(path), pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))


def read_pickle(path: Path) -> Any:
    with open(path, "rb") as fh:
        return pickle.load(fh)


def _json_default(obj: Any) -> Any:
    import numpy as np

    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
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

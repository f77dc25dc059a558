"""Run the benchmark's jobs as Ray tasks, on one machine or a cluster; the driver still writes every record.

Each job becomes one Ray task that calls :func:`secgen_bench.runner.task.run_task`
on a worker, so the job is isolated in its own process there with the same
timeout and memory limit as under the local executor. The task returns the
:class:`Outcome` (and the synthetic CSV's bytes); the driver collects results
as they arrive (``ray.wait``), writes ``synthetic.csv`` into the run directory and
calls ``on_done``, which writes the records. A worker or node that dies
therefore loses no finished result, and the run directory is the same as the
local executor's, so a run can resume on either executor.

No shared filesystem is assumed: the prepared dataset (``data/<key>/``) and a
cached sample are shipped through Ray's object store and staged in a scratch
folder on the worker, and the sample comes back as bytes.

Retries: Ray retries a task whose worker process or node died (``max_retries``);
a generator that raises or times out is not an infrastructure failure, it comes
back as ``Outcome(status="error"/"timeout")`` from the isolated child and is never
retried. The driver also keeps a safety deadline per task (the job's timeout
for each attempt plus a margin) for a worker that hangs without dying.

Every node needs secgen-bench (and the generators' packages) installed; the
job's process on a node also gets the driver's ``sys.path`` entries that exist
there, so plugins in a checkout shared by the nodes import as they do locally.
A GPU is requested for a task only when the run asks for a device other than
the CPU and the cluster has GPUs.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Callable

from secgen_bench.runner import float_path
from secgen_bench.runner.isolation import Outcome
from secgen_bench.runner.store import atomic_write_bytes
from secgen_bench.runner.task import Task, run_task

DATA_FILES = ("train.parquet", "holdout.parquet", "table.parquet", "schema.json", "meta.json")
JOB_FILES = ("synthetic.csv", "scores.csv")  # what a job writes beside its records


class RayExecutor:
    """Run tasks on a Ray cluster: ``address`` None/"local" starts one here with ``workers`` CPUs,
    "auto" or "HOST:PORT" connects to a running cluster."""

    def __init__(self, address: str | None = None, workers: int | None = 1, max_retries: int = 2,
                 safety_margin_s: float = 60.0):
        import ray  # noqa: F401 - fail early (make_executor turns this into a clear message)

        if workers is not None and workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        if max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {max_retries}")
        self.address = None if address in (None, "", "local") else address
        self.workers = workers
        self.max_retries = max_retries
        self.safety_margin_s = safety_margin_s

    # ---- cluster ---------------------------------------------------------------------------
    def _connect(self) -> bool:
        """Initialise Ray unless it already is; True when this call started it (and must stop it)."""
        import ray

        if ray.is_initialized():
            return False
        if self.address is None:
            ray.init(num_cpus=self.workers or os.cpu_count(), include_dashboard=False, log_to_driver=False,
                     configure_logging=False)
        else:
            ray.init(address=self.address, log_to_driver=False, configure_logging=False)
        return True

    # ---- running ---------------------------------------------------------------------------
    def run(self, tasks: list[Task], on_done: Callable[[Task, Outcome], None]) -> None:
        if not tasks:
            return
        import ray

        started_here = self._connect()
        try:
            self._run(ray, tasks, on_done)
        finally:
            if started_here:
                ray.shutdown()

    def _run(self, ray, tasks: list[Task], on_done: Callable[[Task, Outcome], None]) -> None:
        resources = ray.cluster_resources()
        cpu_slots = max(1, int(resources.get("CPU", 1)))
        gpu_slots = int(resources.get("GPU", 0))
        remote = ray.remote(_remote_run_task)
        env_vars = float_path.pinned_env()   # --portable-float: the workers' job processes take it too
        runtime = {"runtime_env": {"env_vars": env_vars}} if env_vars else {}
        data_refs: dict[str, object] = {}        # data dir -> object ref of its files (put once)
        queue = list(tasks)
        running: dict[object, tuple[Task, float, bool]] = {}   # ref -> (task, deadline, uses a GPU)
        try:
            while queue or running:
                # Submit only what can start now, so a task's deadline counts from its start.
                while queue and len(running) < cpu_slots:
                    task = queue[0]
                    wants_gpu = task.uses_gpu and gpu_slots > 0
                    if wants_gpu and sum(g for _, _, g in running.values()) >= gpu_slots:
                        break
                    queue.pop(0)
                    data_dir = task.spec.data_dir
                    if data_dir not in data_refs:
                        data_refs[data_dir] = ray.put(_read_files(Path(data_dir), DATA_FILES))
                    cached = _read_files(Path(task.workdir), JOB_FILES)
                    ref = remote.options(num_cpus=1, num_gpus=1 if wants_gpu else 0, max_retries=self.max_retries,
                                         retry_exceptions=False, **runtime).remote(task, data_refs[data_dir], cached,
                                                                        list(sys.path))
                    deadline = time.monotonic() + task.timeout_s * (self.max_retries + 1) + self.safety_margin_s
                    running[ref] = (task, deadline, wants_gpu)
                ready, _ = ray.wait(list(running), num_returns=1, timeout=1.0)
                for ref in ready:
                    task, _, _ = running.pop(ref)
                    on_done(task, self._collect(ray, ref, task))
                now = time.monotonic()
                for ref in [r for r, (_, deadline, _) in running.items() if now > deadline]:
                    task, _, _ = running.pop(ref)
                    ray.cancel(ref, force=True)
                    on_done(task, Outcome("timeout", "start", error=(
                        f"no result from the Ray worker within {task.timeout_s:g} s per attempt "
                        f"+ {self.safety_margin_s:g} s (driver-side safety timeout)")))
        except BaseException:
            for ref in running:  # interrupted: finished jobs are written, the rest is redone on --resume
                ray.cancel(ref, force=True)
            raise

    def _collect(self, ray, ref, task: Task) -> Outcome:
        try:
            outcome, produced = ray.get(ref)
        except ray.exceptions.RayError as exc:  # retries exhausted (worker/node died, OOM kill...)
            first = str(exc).strip().splitlines()
            return Outcome("error", "start", error=(f"Ray infrastructure failure after {self.max_retries} "
                                                    f"retries: {type(exc).__name__}: {first[0] if first else ''}"
                                                    ).rstrip(": "))
        for name, blob in produced.items():
            atomic_write_bytes(Path(task.workdir) / name, blob)
        return outcome


def _read_files(folder: Path, names: tuple[str, ...]) -> dict[str, bytes]:
    return {n: (folder / n).read_bytes() for n in names if (folder / n).exists()}


def _remote_run_task(task: Task, data_files: dict[str, bytes], cached: dict[str, bytes],
                     driver_path: list[str]) -> tuple[Outcome, dict[str, bytes]]:
    """Worker side: stage the inputs in a scratch folder, run the isolated job, return the outcome and
    the job files (sample, scores) that are new or changed."""
    for p in driver_path:  # the job's child process inherits sys.path: let it import the driver's plugins
        if p and p not in sys.path and os.path.isdir(p):
            sys.path.append(p)
    # One scratch folder per (run directory, job), a subfolder per attempt: a retry clears what a crashed
    # attempt left, and a job process orphaned by that crash cannot write into the new attempt's files.
    base = Path(tempfile.gettempdir()) / "secgen-bench-ray" / hashlib.sha256(str(task.workdir).encode()).hexdigest()[:16]
    shutil.rmtree(base, ignore_errors=True)
    scratch = base / uuid.uuid4().hex[:8]
    try:
        data_dir, job_dir = scratch / "data", scratch / "job"
        for name, blob in data_files.items():
            atomic_write_bytes(data_dir / name, blob)
        for name, blob in cached.items():
            atomic_write_bytes(job_dir / name, blob)
        job_dir.mkdir(parents=True, exist_ok=True)
        spec = replace(task.spec, data_dir=str(data_dir), job_dir=str(job_dir))
        outcome = run_task(replace(task, spec=spec, workdir=job_dir))
        produced = _read_files(job_dir, JOB_FILES)
        return outcome, {n: b for n, b in produced.items() if b != cached.get(n)}
    finally:
        shutil.rmtree(base, ignore_errors=True)

"""Executors run job specs and hand each outcome back to the driver, which writes it.

The local executor (the default) is a small pool of supervisor threads, each
running one job at a time in its own spawned process (see isolation.py).
Another executor (Ray) only has to provide ``run(tasks, on_done)``.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol

from secgen_bench.runner.isolation import Outcome, run_isolated


@dataclass
class Task:
    key: str
    spec: dict
    workdir: Path
    timeout_s: float
    memory_limit_mb: float | None
    uses_gpu: bool = False


class Executor(Protocol):
    def run(self, tasks: list[Task], on_done: Callable[[Task, Outcome], None]) -> None: ...


class LocalExecutor:
    """Run tasks on this machine, ``workers`` at a time, each isolated in its own process."""

    def __init__(self, workers: int = 1):
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        self.workers = workers

    def run(self, tasks: list[Task], on_done: Callable[[Task, Outcome], None]) -> None:
        if not tasks:
            return
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="secgen-job") as pool:
            futures = {pool.submit(run_task, t): t for t in tasks}
            for fut in as_completed(futures):
                on_done(futures[fut], fut.result())


def run_task(task: Task) -> Outcome:
    return run_isolated("secgen_bench.runner.job:execute_job", (task.spec,), task.workdir, timeout=task.timeout_s,
                        memory_limit_mb=task.memory_limit_mb)


def make_executor(name: str, workers: int = 1, address: str | None = None) -> Executor:
    if name == "local":
        return LocalExecutor(workers)
    if name == "ray":
        try:
            from secgen_bench.runner.ray_executor import RayExecutor
        except ImportError as exc:
            raise ValueError(f"executor 'ray' is unavailable: {exc}") from None
        return RayExecutor(address=address, workers=workers)
    raise ValueError(f"unknown executor {name!r}; use local or ray")

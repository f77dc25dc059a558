"""Executors run tasks and hand each outcome back to the driver, which writes it.

The local executor (the default) is a small pool of supervisor threads, each
running one job at a time in its own spawned process (see isolation.py).
Another executor (Ray) only has to provide ``run(tasks, on_done)``.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Callable, Protocol

from secgen_bench.runner.isolation import Outcome
from secgen_bench.runner.task import Task, run_task


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


def make_executor(name: str, workers: int = 1, address: str | None = None) -> Executor:
    if name == "local":
        return LocalExecutor(workers)
    if name == "ray":
        try:  # imported here: Ray is an optional extra (ray_executor imports task.py, never this module)
            from secgen_bench.runner.ray_executor import RayExecutor
        except ImportError as exc:
            raise ValueError(f"executor 'ray' is unavailable: {exc}") from None
        return RayExecutor(address=address, workers=workers)
    raise ValueError(f"unknown executor {name!r}; use local or ray")

"""Executors run tasks and hand each outcome back to the driver, which writes it.

The local executor (the default) is a small pool of supervisor threads, each
running one job at a time in its own spawned process (see isolation.py).
The inline executor runs the jobs in this process, one after another, so a
generator class typed into a notebook can run (a spawned process cannot import it).
Another executor (Ray) only has to provide ``run(tasks, on_done)``.
"""
from __future__ import annotations

import time
import traceback
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Callable, Protocol

from secgen_bench.runner.isolation import CALL_FILE, OUTCOME_FILE, Outcome, PhaseReporter, error_line
from secgen_bench.runner.store import read_json, write_json
from secgen_bench.runner.task import JOB_TARGET, Task, run_task


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


class InlineExecutor:
    """Run tasks one after another in this process (``executor="inline"``): notebook generators work.

    Nothing is isolated: no timeout and no memory limit are enforced (a hung fit hangs the caller),
    the peak RSS is not measured (recorded as 0), and a crash in native code takes the caller down.
    An exception in a job is caught into the same :class:`Outcome` the isolated path gives (status
    "error", the phase the job was in, one-line error, traceback), ``sys.exit`` included;
    KeyboardInterrupt is not caught, so a notebook can still stop a run (``os._exit`` ends the caller).
    The result goes through the same JSON the isolated path writes, so the records (and numbers) are
    those of the local executor.
    """

    def run(self, tasks: list[Task], on_done: Callable[[Task, Outcome], None]) -> None:
        for task in tasks:
            on_done(task, run_inline(task))


class _LastPhase(PhaseReporter):
    """Writes the phase file (the progress display reads it) and remembers the phase for the outcome."""

    def __init__(self, path: Path):
        super().__init__(path)
        self.phase = "start"

    def __call__(self, phase: str) -> None:
        self.phase = phase
        super().__call__(phase)


def run_inline(task: Task) -> Outcome:
    """The task's job called in this process; its outcome as :func:`run_isolated` would report it."""
    from secgen_bench.registry import import_target

    workdir = Path(task.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    reporter = _LastPhase(workdir / ".phase")
    reporter("start")
    out_path = workdir / OUTCOME_FILE
    t0 = time.monotonic()
    try:
        write_json(workdir / CALL_FILE, {"target": JOB_TARGET, "args": [task.spec.to_dict()]}, strict=True)
        result = import_target(JOB_TARGET)(read_json(workdir / CALL_FILE)["args"][0], reporter)
        try:
            write_json(out_path, {"result": result}, strict=True)   # plain data, numpy numbers made Python ones
            outcome = Outcome("ok", reporter.phase, result=read_json(out_path)["result"])
        except (TypeError, ValueError) as exc:
            outcome = Outcome("error", reporter.phase, error=f"result is not plain data: {exc}".splitlines()[0],
                              traceback=traceback.format_exc())
    except (Exception, SystemExit) as exc:  # the job's failure (sys.exit included), recorded like an isolated job's
        outcome = Outcome("error", reporter.phase, error=error_line(exc), traceback=traceback.format_exc())
    finally:
        for p in (out_path, workdir / ".phase", workdir / CALL_FILE):
            if p.exists():
                p.unlink()
    outcome.wall_s = time.monotonic() - t0
    return outcome


def make_executor(name: str, workers: int = 1, address: str | None = None) -> Executor:
    if name == "local":
        return LocalExecutor(workers)
    if name == "inline":
        return InlineExecutor()
    if name == "ray":
        try:  # imported here: Ray is an optional extra (ray_executor imports task.py, never this module)
            from secgen_bench.runner.ray_executor import RayExecutor
        except ImportError as exc:
            raise ValueError(f"executor 'ray' is unavailable: {exc}") from None
        return RayExecutor(address=address, workers=workers)
    raise ValueError(f"unknown executor {name!r}; use local, inline or ray")

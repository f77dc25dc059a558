"""Run one function in its own spawned process, with a timeout, a memory limit and peak-RSS tracking.

Threads cannot be killed and tracemalloc misses torch's allocations, so each
job gets a fresh process (no inherited torch threads or CUDA context). The parent polls the whole process tree's resident memory (psutil)
to record its peak and to enforce the memory limit, and kills the tree on
timeout. The child is a plain ``python -c`` process in its own session (not
multiprocessing), so it never re-runs the caller's ``__main__``. The child reports the phase it is in through a small file, so a
timeout or crash is attributed to fit, sample or evaluate. The call and its
outcome travel as JSON files (``.call.json``, ``.outcome.json``): a job spec and
its result are plain data, and nothing read back from the work folder can run
code. numpy values become Python numbers on the way, exactly as the records the
driver writes from them.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from secgen_bench.registry import import_target
from secgen_bench.runner.store import read_json, write_json

CALL_FILE, OUTCOME_FILE = ".call.json", ".outcome.json"
PICKLED_FILES = (".call.pkl", ".outcome.pkl")   # left by older versions: deleted unread


@dataclass
class Outcome:
    status: str                      # "ok", "error" or "timeout"
    phase: str                       # last phase the child entered
    result: Any = None               # the function's return value when ok
    error: str | None = None         # one line
    traceback: str | None = None
    wall_s: float = 0.0
    peak_rss_mb: float = 0.0
    extra: dict = field(default_factory=dict)


class PhaseReporter:
    """Child side: write the current phase to a file the parent reads after a kill."""

    def __init__(self, path: Path | None):
        self.path = path

    def __call__(self, phase: str) -> None:
        if self.path is not None:
            self.path.write_text(phase)


def child_main(workdir: str) -> None:
    """Entry of the job process: read the call from ``workdir``, run it, write the outcome there."""
    wd = Path(workdir)
    call = read_json(wd / CALL_FILE)
    reporter = PhaseReporter(wd / ".phase")
    try:
        result = import_target(call["target"])(*call["args"], reporter)
        payload = {"ok": True, "result": result}
    except BaseException as exc:  # report everything, including MemoryError and SystemExit
        payload = {"ok": False, "error": error_line(exc), "traceback": traceback.format_exc()}
    payload["ru_maxrss_mb"] = _ru_maxrss_mb()
    try:
        write_json(wd / OUTCOME_FILE, payload)
    except (TypeError, ValueError) as exc:  # a result that is not plain data is the job's error, not a crash
        write_json(wd / OUTCOME_FILE, {"ok": False, "error": f"result is not plain data: {exc}".splitlines()[0],
                                       "traceback": traceback.format_exc(), "ru_maxrss_mb": payload["ru_maxrss_mb"]})


def error_line(exc: BaseException) -> str:
    """The one line an outcome's ``error`` holds: the exception's type and the first line of its message."""
    msg = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {msg[0] if msg else ''}".rstrip(": ")


def _ru_maxrss_mb() -> float:
    try:
        import resource

        self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        kids_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        return max(self_kb, kids_kb) / 1024.0
    except Exception:  # not on every platform
        return 0.0


def _die_with_parent() -> None:
    """Linux: the job is killed when its supervisor dies (e.g. a lost Ray worker), never orphaned."""
    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the timeout still bounds the job
        pass


def _tree_rss_mb(proc: psutil.Process) -> float:
    total = 0
    try:
        procs = [proc] + proc.children(recursive=True)
    except psutil.Error:
        return 0.0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total / 2**20


def _kill_tree(pid: int) -> None:
    try:
        root = psutil.Process(pid)
        procs = root.children(recursive=True) + [root]
    except psutil.Error:
        return
    for p in procs:
        try:
            p.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(procs, timeout=5)


def run_isolated(target: str, args: tuple, workdir: Path, *, timeout: float | None = None,
                 memory_limit_mb: float | None = None, poll_s: float = 0.05, max_poll_s: float = 1.0,
                 fast_s: float = 30.0) -> Outcome:
    """Call ``target(*args, phase_reporter)`` in a fresh Python process and supervise it.

    ``target`` is a ``"module:function"`` string: the child imports it, so
    plugins must live in importable modules (a class typed into a notebook
    cannot be isolated; put it in a .py file). ``args`` must be plain data
    (it travels as JSON; anything else is a TypeError here). The child inherits
    this process's ``sys.path``.

    The supervisor checks the child's memory every ``poll_s`` for the first ``fast_s`` seconds,
    then backs off to every ``max_poll_s``: polling a process tree 20 times a second cost about
    a twentieth of a core per job for the hours a paper-profile fit runs (0.63 s of parent CPU
    per 10 s job, 0.09 s with the back-off). The exit is still seen at once (``wait`` returns
    when the child ends); the child's own ``ru_maxrss`` completes the peak.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    out_path = workdir / OUTCOME_FILE
    phase_path = workdir / ".phase"
    call_path = workdir / CALL_FILE
    for p in (out_path, phase_path, call_path, *(workdir / name for name in PICKLED_FILES)):
        if p.exists():
            p.unlink()
    write_json(call_path, {"target": target, "args": list(args)}, strict=True)
    phase_path.write_text("start")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([p for p in sys.path if p] + [env.get("PYTHONPATH", "")]).strip(os.pathsep)
    t0 = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-c", "import sys; from secgen_bench.runner.isolation import child_main; "
                             "child_main(sys.argv[1])", str(workdir)], env=env, stdin=subprocess.DEVNULL,
                            start_new_session=True, preexec_fn=_die_with_parent)
    ps = psutil.Process(proc.pid)
    peak = 0.0
    status, error = None, None
    interval = poll_s
    while True:
        try:
            proc.wait(interval)
            break
        except subprocess.TimeoutExpired:
            pass
        peak = max(peak, _tree_rss_mb(ps))
        elapsed = time.monotonic() - t0
        if timeout is not None and elapsed > timeout:
            status, error = "timeout", f"timed out after {timeout:g} s"
            break
        if memory_limit_mb is not None and peak > memory_limit_mb:
            status, error = "error", f"memory limit exceeded: {peak:.0f} MB > {memory_limit_mb:g} MB"
            break
        if elapsed > fast_s:
            interval = min(max_poll_s, interval * 1.25)
    if status is not None:
        _kill_tree(proc.pid)
        proc.wait(5)
    wall = time.monotonic() - t0
    phase = phase_path.read_text().strip() if phase_path.exists() else "start"
    outcome = Outcome(status or "error", phase, wall_s=wall, peak_rss_mb=peak, error=error)
    if status is None:
        if out_path.exists():
            payload = read_json(out_path)
            outcome.peak_rss_mb = max(peak, payload.get("ru_maxrss_mb", 0.0))
            if payload["ok"]:
                outcome.status, outcome.result = "ok", payload["result"]
            else:
                outcome.error, outcome.traceback = payload["error"], payload["traceback"]
        else:
            code = proc.returncode
            how = f"killed by signal {-code}" if code and code < 0 else f"exit code {code}"
            outcome.error = f"process died ({how}) without a result"
    for p in (out_path, phase_path, call_path):
        if p.exists():
            p.unlink()
    return outcome

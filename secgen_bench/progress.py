"""What a run shows while it works: a live line per running job on a terminal, a plain line per finished job otherwise.

Why: one bar tells neither what runs nor how long is left. Each running job's line names the generator,
dataset and seed, the phase its process is in (fit, sample, metrics: read from the ``.phase`` file the
job writes in its folder, see ``runner.isolation``) and how long it has run; the summary line gives
the run's ETA from the jobs done so far. A job that reuses a stored sample is marked cached, with the
fit time of the run that made the sample (its record keeps it). Off a terminal (CI logs, pipes) one
plain line per finished job keeps the log readable and complete. Lines carry no source links.

It listens to the runner's events (``runner.request.RunEvent``: started, planned, skipped, finished).
"""
from __future__ import annotations

import json
import os
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

PHASE_FILE = ".phase"      # written by runner.isolation's child, removed when the job ends
JOB_RECORD = "job.json"    # written by the driver before it reports a job finished
PHASE_NAMES = {"start": "starting", "evaluate": "metrics"}   # the job's phase names, as a user reads them


def duration(seconds: float | None) -> str:
    """0.4s, 12s, 3m05s, 1h02m: short and never elided."""
    if seconds is None:
        return "-"
    if seconds < 9.95:
        return f"{seconds:.1f}s"
    s = int(round(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


@dataclass
class JobState:
    label: str                      # "tvae on simnet seed 0"
    workdir: Path | None            # the job's folder (its phase file and record), when the driver says
    cached: bool                    # reuses a stored sample: no fit, no sample
    running_since: float | None = None


class RunTracker:
    """The run as its events tell it: jobs queued, running (with phase), done; the ETA from the jobs done."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self.opened = time.time()   # a phase file older than this is left by an earlier, killed run
        self.total: int | None = None
        self.done = 0
        self.planned_at: float | None = None
        self.jobs: dict[str, JobState] = {}
        self._lock = threading.RLock()   # events come from the driver, lines() from rich's refresh thread

    # ---- events ---------------------------------------------------------------------------------
    def event(self, e) -> str | None:
        """Take one event; return the line to log for it (None: nothing to log)."""
        with self._lock:
            return self._event(e)

    def _event(self, e) -> str | None:
        if e.kind == "started":
            self.jobs[e.job.key] = JobState(_label(e.job), e.workdir, e.cached)
            return None
        if e.kind == "planned":
            self.total, self.planned_at = e.total, self.clock()
            return f"{e.total} job(s) to run"
        if e.kind == "skipped":
            return f"skip {_label(e.job)} (finished earlier)"
        if e.kind == "finished":
            return self._finished(e)
        return None

    def _finished(self, e) -> str:
        state = self.jobs.pop(e.job.key, None) or JobState(_label(e.job), e.workdir, False)
        counted = self.total is not None   # a job that could not even start is reported before the plan
        if counted:
            self.done += 1
        line = f"{(e.status or '').upper():7s} {state.label}"
        record = _job_record(state.workdir)
        timings = record.get("timings") or {}
        cached = state.cached or bool(record.get("reused_synthetic"))
        if timings.get("wall_s") is not None:
            line += f" in {duration(timings['wall_s'])}"
        elif state.running_since is not None:
            line += f" in {duration(self.clock() - state.running_since)}"
        if cached:
            fit = timings.get("fit_s")
            line += " (cached sample" + (f"; fit {duration(fit)} when made)" if fit is not None else ")")
        elif timings.get("fit_s") is not None:
            line += f" (fit {duration(timings['fit_s'])}, sample {duration(timings.get('sample_s'))})"
        if counted:
            line += f" [{self.done}/{self.total}"
            eta = self.eta_s()
            line += f", ETA {duration(eta)}]" if eta is not None and self.done < self.total else "]"
        if e.message:
            line += f": {e.message}"
        return line

    # ---- state ----------------------------------------------------------------------------------
    def eta_s(self) -> float | None:
        """Seconds left: the time per job so far times the jobs left (None before the first job is done)."""
        if self.total is None or self.planned_at is None or not self.done:
            return None
        return (self.clock() - self.planned_at) / self.done * max(self.total - self.done, 0)

    def phase(self, state: JobState) -> str | None:
        """The phase the job's process is in, or None while it waits (no phase file of this run yet)."""
        if state.workdir is None:
            return None
        path = Path(state.workdir) / PHASE_FILE
        try:
            if os.stat(path).st_mtime < self.opened - 1:
                return None
            raw = path.read_text().strip()
        except OSError:   # not started yet, or just finished
            return None
        return PHASE_NAMES.get(raw, raw) or None

    def running(self) -> list[tuple[JobState, str, float]]:
        """(job, phase, seconds running) of every job whose process is running now."""
        now, out = self.clock(), []
        with self._lock:
            states = list(self.jobs.values())
        for state in states:
            phase = self.phase(state)
            if phase is None:
                continue
            if state.running_since is None:
                state.running_since = now
            out.append((state, phase, now - state.running_since))
        return out

    def lines(self) -> list[str]:
        """The live view: one line per running job, then the summary with the ETA."""
        with self._lock:
            return self._lines()

    def _lines(self) -> list[str]:
        running = self.running()
        out = [f"  {s.label}  {phase}{' (cached sample)' if s.cached else ''}  {duration(t)}" for s, phase, t in running]
        if self.total is None:
            return out + ["planning the run"]
        elapsed = self.clock() - (self.planned_at or self.clock())
        eta = self.eta_s()
        queued = len(self.jobs) - len(running)
        out.append(f"{self.done}/{self.total} jobs done, {len(running)} running, {queued} queued; "
                   f"elapsed {duration(elapsed)}, ETA {duration(eta) if eta is not None else 'after the first job'}")
        return out


def _label(job) -> str:
    return f"{job.generator.name} on {job.dataset.label} seed {job.seed}"


def _job_record(workdir: Path | None) -> dict:
    """The finished job's record (its times), or {} when there is none to read."""
    if workdir is None:
        return {}
    try:
        rec = json.loads((Path(workdir) / JOB_RECORD).read_text())
    except (OSError, ValueError):
        return {}
    return rec if isinstance(rec, dict) else {}


class RunProgress:
    """Live per-job lines on a terminal (``enabled``); otherwise one plain line per event worth logging."""

    def __init__(self, enabled: bool, console=None, clock: Callable[[], float] = time.monotonic):
        self.enabled = enabled
        self.tracker = RunTracker(clock)
        self._console = console
        self._live = None

    def __enter__(self):
        if self.enabled:
            from rich.live import Live

            self._live = Live(self, console=self._console, refresh_per_second=2, transient=True)
            self._live.__enter__()
        return self

    def __exit__(self, *exc):
        if self._live is not None:
            self._live.__exit__(*exc)
            self._live = None

    def __rich__(self):
        """What the live display shows at each refresh (rich calls it)."""
        from rich.text import Text

        return Text("\n".join(self.tracker.lines()))

    def event(self, e) -> None:
        line = self.tracker.event(e)
        if line is None:
            return
        if self._live is not None:
            from rich.text import Text

            self._live.console.print(Text(line))   # above the live lines; Text: no markup, no source link
        else:
            print(line, file=sys.stdout, flush=True)

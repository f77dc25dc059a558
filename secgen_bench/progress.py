"""What a run shows while it works: a rich progress bar on a terminal, one plain line per job otherwise.

Why plain lines off a terminal: CI logs keep every finished job (and why it failed) readable.
It listens to the runner's events (``runner.run.RunEvent``: planned, skipped, finished).
"""
from __future__ import annotations


class RunProgress:
    """rich progress on a terminal; one plain line per finished job otherwise (CI logs)."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self._progress = None
        self._task = None

    def __enter__(self):
        if self.enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                      TimeElapsedColumn())
            self._progress.__enter__()
        return self

    def __exit__(self, *exc):
        if self._progress is not None:
            self._progress.__exit__(*exc)

    def event(self, e) -> None:
        if e.kind == "planned":
            if self._progress is not None:
                self._task = self._progress.add_task("jobs", total=e.total)
            else:
                print(f"{e.total} job(s) to run", flush=True)
        elif e.kind == "skipped":
            msg = f"skip {e.job.generator.name} on {e.job.dataset.label} seed {e.job.seed} (finished earlier)"
            self._log(msg)
        elif e.kind == "finished":
            j = e.job
            msg = f"{e.status.upper():7s} {j.generator.name} on {j.dataset.label} seed {j.seed}"
            if e.message:
                msg += f": {e.message}"
            self._log(msg)
            if self._progress is not None and self._task is not None:
                self._progress.advance(self._task)

    def _log(self, msg: str) -> None:
        if self._progress is not None:
            self._progress.console.log(msg)
        else:
            print(msg, flush=True)

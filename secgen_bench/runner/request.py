"""What a caller asks the driver for (RunRequest), what it hears back (RunEvent), and one run in progress."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from secgen_bench.datasets.loading import DatasetSource
from secgen_bench.runner.plan import Job, Protocol
from secgen_bench.runner.store import RunStore


@dataclass
class RunRequest:
    generators: Sequence[str]
    datasets: Sequence[DatasetSource]
    protocol: Protocol
    out: Path
    profile: str = "default"
    metrics: Sequence[str] | None = None       # None: every metric of the dataset's track
    resume: bool = False
    device: str = "cpu"
    overrides: dict[str, dict] = field(default_factory=dict)   # generator -> {option: value}
    use_cache: bool = True
    track: str | None = None
    extend: bool = False                       # with resume: add the jobs the run's plan does not hold
    config: dict | None = None                 # the options that made it, as ``run --config`` reads them (run.json)


@dataclass
class RunEvent:
    kind: str            # "planned", "skipped", "started", "finished"
    job: Job | None = None
    status: str | None = None
    total: int = 0
    message: str = ""
    workdir: Path | None = None   # started: the job's folder (its .phase file tells the phase it is in)
    cached: bool = False          # started: the job reuses a stored sample (no fit, no sample)


@dataclass(frozen=True)
class RunContext:
    """One run in progress: what every record of it shares."""

    request: RunRequest
    store: RunStore
    run_id: str
    environment: dict

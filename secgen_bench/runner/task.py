"""One unit of work for an executor: a job's spec, its folder and limits, and how it is run isolated."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from secgen_bench.runner.isolation import Outcome, run_isolated
from secgen_bench.runner.spec import JobSpec

JOB_TARGET = "secgen_bench.runner.job:execute_job"


@dataclass
class Task:
    key: str
    spec: JobSpec
    workdir: Path
    timeout_s: float
    memory_limit_mb: float | None
    uses_gpu: bool = False


def run_task(task: Task) -> Outcome:
    """Run the task's job in its own process (the spec travels as plain JSON-friendly data)."""
    return run_isolated(JOB_TARGET, (task.spec.to_dict(),), task.workdir, timeout=task.timeout_s,
                        memory_limit_mb=task.memory_limit_mb)

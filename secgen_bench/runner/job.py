"""The entry of one job's process: seed, then run the job body of the job's track.

Everything the job needs comes in its :class:`JobSpec` (plain data), and the
track imports the generator or detector and the metrics by their
``module:attr`` targets, so the child needs no registry state. It returns
plain data; the driver writes the records (a lost worker loses no finished result).
"""
from __future__ import annotations

import random
from typing import Callable

import numpy as np

from secgen_bench.runner.spec import JobSpec
from secgen_bench.tracks import track_named


def execute_job(spec: dict, report: Callable[[str], None]) -> dict:
    """Run the job described by ``spec`` (a :meth:`JobSpec.to_dict`); return timings and metric outcomes."""
    job = JobSpec.from_dict(spec)
    random.seed(job.seed)
    np.random.seed(job.seed % 2**32)
    return track_named(job.track).run_job(job, report)

"""One CPU thread for the model-based metrics: the same numbers on every machine, no oversubscription.

HistGradientBoosting (OpenMP) and BLAS would otherwise start a thread per core
in every job of a parallel run; torch additionally runs with deterministic
algorithms. The caller's settings are restored on exit.
"""
from __future__ import annotations

from contextlib import contextmanager


@contextmanager
def single_thread(torch_too: bool = False):
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        if not torch_too:
            yield
            return
        import torch

        was_deterministic, threads = torch.are_deterministic_algorithms_enabled(), torch.get_num_threads()
        torch.use_deterministic_algorithms(True)
        torch.set_num_threads(1)
        try:
            yield
        finally:
            torch.use_deterministic_algorithms(was_deterministic)
            torch.set_num_threads(threads)

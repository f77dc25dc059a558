"""Seeding and determinism for the PyTorch generators, without importing torch at load time.

``seeded(seed, device)`` runs a block with torch's global generators forked
and seeded and deterministic algorithms switched on, so a fit is repeatable
and the caller's random state is left as it was. Saving and loading (modules
as CPU arrays, back onto ``self.device`` when it exists) is
``Generator.save``/``load`` (secgen_bench.persistence), the same for every model.
"""
from __future__ import annotations

import contextlib
from typing import Any, Iterator

from secgen_bench.config import check_option_bounds


def check_gpt_options(cfg: Any, at_least_one: tuple[str, ...]) -> None:
    """One-line ValueErrors for the options every GPT-style generator config shares (no torch import)."""
    check_option_bounds(cfg, at_least_one=at_least_one, non_negative=("cpu_threads",))
    if cfg.d_model % cfg.n_head:
        raise ValueError(f"option 'd_model' ({cfg.d_model}) must be a multiple of 'n_head' ({cfg.n_head})")
    if not 0.0 <= cfg.dropout < 1.0:
        raise ValueError(f"option 'dropout' must be in [0, 1), got {cfg.dropout}")
    if cfg.lr <= 0 or cfg.weight_decay < 0:
        raise ValueError(f"options 'lr' must be > 0 and 'weight_decay' >= 0, got {cfg.lr}, {cfg.weight_decay}")
    if cfg.temperature <= 0:
        raise ValueError(f"option 'temperature' must be > 0 (sampling is never greedy), got {cfg.temperature}")


@contextlib.contextmanager
def seeded(seed: int, device: str = "cpu", threads: int = 0) -> Iterator[Any]:
    """Fork torch's RNGs, seed them with ``seed`` and force deterministic kernels inside the block.

    ``threads`` > 0 caps torch's intra-op CPU threads inside the block: the small models here run
    faster on one thread, and far faster when other processes share the cores (OpenMP workers
    spin-wait for each other), and a fixed thread count keeps CPU reductions repeatable.
    """
    import torch

    devices = [torch.device(device).index or 0] if device.startswith("cuda") else []
    previous = torch.are_deterministic_algorithms_enabled()
    previous_warn = torch.is_deterministic_algorithms_warn_only_enabled()
    previous_threads = torch.get_num_threads()
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(int(seed))
        torch.use_deterministic_algorithms(True, warn_only=True)
        if threads > 0:
            torch.set_num_threads(threads)
        try:
            yield torch
        finally:
            torch.use_deterministic_algorithms(previous, warn_only=previous_warn)
            if threads > 0:
                torch.set_num_threads(previous_threads)


def torch_generator(seed: int, device: str = "cpu") -> Any:
    """A torch.Generator on ``device`` seeded with ``seed`` (for sampling without touching global state)."""
    import torch

    gen = torch.Generator(device=device)
    gen.manual_seed(int(seed))
    return gen

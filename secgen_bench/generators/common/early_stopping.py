"""Early stopping for the GANs (E-WGAN-GP, NetShare): patience on a sliced-Wasserstein distance to held-out rows.

A GAN's own losses cannot say when its samples stop improving (the critic's
Wasserstein estimate moves with the critic), so these GANs measure their
samples instead: every ``eval_every`` steps, the sliced Wasserstein distance
(:func:`sliced_wasserstein`) between generated rows and a held-out slice of
the training rows, both in the model's own encoding. :class:`Patience` stops
training, converged, when that distance has not beaten its best by
``MIN_IMPROVEMENT`` (relative) for ``patience`` evaluations in a row (the same
rule the Transformers apply to their validation loss); the generator keeps the
weights of its best evaluation. Evaluations draw from their own seeded
generator, so they never shift the training's random stream.
"""
from __future__ import annotations

import math

import numpy as np

MIN_IMPROVEMENT = 1e-3   # a value must beat the best by this share of it to count as better
SW_PROJECTIONS = 64      # random directions of the sliced Wasserstein distance
EVAL_ROWS = 1000         # generated rows (or series) per evaluation
MIN_HELD_OUT = 20        # fewer held-out rows than this: no early stopping (the distance would be noise)


class Patience:
    """Tracks a value to minimise; ``update`` says whether to stop (``patience`` evaluations without a gain)."""

    def __init__(self, patience: int) -> None:
        self.patience = patience
        self.best, self.stale, self.best_index = math.inf, 0, -1
        self.values: list[float] = []

    def update(self, value: float) -> bool:
        """Record ``value``; True when training should stop now."""
        self.values.append(float(value))
        if value < self.best - MIN_IMPROVEMENT * abs(self.best if math.isfinite(self.best) else value):
            self.best, self.stale, self.best_index = float(value), 0, len(self.values) - 1
            return False
        self.stale += 1
        return self.stale >= self.patience

    @property
    def improved(self) -> bool:
        """Whether the last value recorded is the new best."""
        return self.best_index == len(self.values) - 1


def criterion(patience: int, eval_every: int, unit: str, held_out: str) -> str:
    return (f"early stopping: the sliced Wasserstein distance ({SW_PROJECTIONS} projections) between "
            f"{EVAL_ROWS} generated {unit} and {held_out} did not improve on its best by {MIN_IMPROVEMENT:.1%} "
            f"for {patience} evaluations {eval_every} steps apart; the best evaluation's weights are kept")


def held_out_split(n: int, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(training, held-out) row indices, a seeded random ``fraction`` held out; nothing held out when that
    would be fewer than ``MIN_HELD_OUT`` rows or leave fewer than that to train on."""
    n_val = int(n * fraction)
    if n_val < MIN_HELD_OUT or n - n_val < MIN_HELD_OUT:
        return np.arange(n), np.arange(0)
    held = np.zeros(n, dtype=bool)
    held[np.random.default_rng(seed).choice(n, n_val, replace=False)] = True
    return np.flatnonzero(~held), np.flatnonzero(held)


def sliced_wasserstein(a: np.ndarray, b: np.ndarray, seed: int = 0, projections: int = SW_PROJECTIONS) -> float:
    """Mean over random unit directions of the 1-D Wasserstein-1 distance between the projections of ``a`` and
    ``b`` (rows are points; the sizes may differ: both are compared at the same quantiles)."""
    a, b = np.asarray(a, dtype="float64").reshape(len(a), -1), np.asarray(b, dtype="float64").reshape(len(b), -1)
    directions = np.random.default_rng(seed).standard_normal((a.shape[1], projections))
    directions /= np.linalg.norm(directions, axis=0, keepdims=True)
    m = min(len(a), len(b))
    q = (np.arange(m) + 0.5) / m
    pa = np.quantile(a @ directions, q, axis=0)
    pb = np.quantile(b @ directions, q, axis=0)
    return float(np.abs(pa - pb).mean())

"""Generation from a fitted FlowChronicle model.

Pattern instances are drawn by normalised usage (the empty pattern, i.e. the
uncovered flows, included). Per instance: a start time from a Gaussian kernel
density of that pattern's occurrence start times (bandwidth 1 time unit of
10 ms, scikit-learn's default that the artefact kept; redrawn while outside the
training time range), each row delay from a kernel density of that gap's
training delays; FREE and SET cells by forward sampling the pattern's BN
(parameters with add-one priors on the pattern's final windows); FIXED cells
copied; USE cells copy the value bound by their SET. The empty pattern uses
a BN learnt on the uncovered flows. Departure: a negative delay drawn from
the density is reflected (the artefact could emit flows before their
predecessor or drop them); instances are drawn until exactly n flows exist
(the last instance may be cut).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from secgen_bench.generators.flowchronicle.bn import DiscreteBN
from secgen_bench.generators.flowchronicle.pattern import FIXED, SET, USE, Pattern


@dataclass
class PatternSampler:
    pattern: Pattern | None       # None = the empty pattern (one free flow)
    usage: int
    n_rows: int
    bn: DiscreteBN | None
    var_rows: np.ndarray
    var_cols: np.ndarray
    start_times: np.ndarray       # 10 ms units
    delays: list[np.ndarray]      # per gap, 10 ms units


def kde_draw(data: np.ndarray, n: int, bandwidth: float, rng: np.random.Generator) -> np.ndarray:
    """n draws from a Gaussian KDE of ``data``: a random point plus N(0, bandwidth^2)."""
    if len(data) == 0:
        return np.zeros(n)
    return data[rng.integers(0, len(data), size=n)].astype(np.float64) + rng.normal(0.0, bandwidth, size=n)


def sample_instances(samplers: list[PatternSampler], n: int, n_cols: int, t_range: tuple[float, float],
                     bandwidth: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Codes (n x n_cols) and float times (10 ms units) of exactly n generated flows."""
    usable = [s for s in samplers if s.usage > 0]
    if n == 0 or not usable:
        return np.zeros((0, n_cols), dtype=np.int64), np.zeros(0)
    usage = np.array([s.usage for s in usable], dtype=np.float64)
    lengths = np.array([s.n_rows for s in usable])
    probs = usage / usage.sum()
    choice = np.zeros(0, dtype=np.int64)
    total = 0
    while total < n:
        need = n - total
        m = int(np.ceil(need / float(probs @ lengths))) + 8
        more = rng.choice(len(usable), size=m, p=probs)
        choice = np.concatenate([choice, more])
        total = int(lengths[choice].sum())
    cum = np.cumsum(lengths[choice])
    k = int(np.searchsorted(cum, n)) + 1
    choice = choice[:k]
    offsets = np.concatenate([[0], np.cumsum(lengths[choice])])
    codes = np.zeros((int(offsets[-1]), n_cols), dtype=np.int64)
    times = np.zeros(int(offsets[-1]))
    lo, hi = t_range
    for si, s in enumerate(usable):
        inst = np.flatnonzero(choice == si)
        if len(inst) == 0:
            continue
        m = len(inst)
        block = np.zeros((m, s.n_rows, n_cols), dtype=np.int64)
        if s.pattern is not None:
            for i, row in enumerate(s.pattern.rows):
                for c in row:
                    if c.kind == FIXED:
                        block[:, i, c.col] = c.value
        if s.bn is not None and len(s.var_rows):
            values = s.bn.sample(m, rng)
            block[:, s.var_rows, s.var_cols] = values
        if s.pattern is not None:
            bound = {}
            for i, row in enumerate(s.pattern.rows):
                for c in row:
                    if c.kind == SET:
                        bound[c.value] = block[:, i, c.col].copy()
                for c in row:
                    if c.kind == USE:
                        block[:, i, c.col] = bound[c.value]
        start = kde_draw(s.start_times, m, bandwidth, rng)
        for _ in range(100):
            bad = (start < lo) | (start > hi)
            if not bad.any():
                break
            start[bad] = kde_draw(s.start_times, int(bad.sum()), bandwidth, rng)
        start = np.clip(start, lo, hi)
        t = np.zeros((m, s.n_rows))
        t[:, 0] = start
        for g in range(s.n_rows - 1):
            t[:, g + 1] = t[:, g] + np.abs(kde_draw(s.delays[g], m, bandwidth, rng))
        pos = (offsets[inst][:, None] + np.arange(s.n_rows)[None, :]).reshape(-1)
        codes[pos] = block.reshape(-1, n_cols)
        times[pos] = t.reshape(-1)
    return codes[:n], times[:n]

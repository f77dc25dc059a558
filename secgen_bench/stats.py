"""Statistics behind the leaderboard's verdicts: bootstrap intervals, paired bootstrap tests, Friedman + Nemenyi.

A cell's scores form a grid: one row per seed (a fitted generator), one column
per repetition of the evaluation protocol (a subsample of the real data). Row
``s``, column ``r`` of every generator saw the same real subsample (the
protocol draws it from ``rng([seed, rep])`` before the synthetic one), so grids
of two generators pair up cell by cell on their common seeds.

The bootstrap is two-stage and fixed: each of ``RESAMPLES`` resamples draws the
seeds with replacement, then, within each drawn seed, the repetitions with
replacement; a statistic is the mean over the drawn grid. The random numbers
come from ``numpy.random.default_rng(BOOTSTRAP_SEED)`` and depend only on the
grid's shape, so the same records always give the same intervals and verdicts.
With one seed and one repetition there is no noise to estimate: the interval is
the value itself and any non-zero difference is significant.

Friedman test over blocks with ``scipy.stats.friedmanchisquare``; Nemenyi
critical difference ``CD = q_alpha * sqrt(k (k + 1) / (6 N))`` with q_alpha for
alpha = 0.05 from Demsar (2006), "Statistical comparisons of classifiers over
multiple data sets", JMLR 7, Table 5(a) (k = 2..10; larger k from the
studentized range distribution divided by sqrt 2, which reproduces that table).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Mapping, Sequence

import numpy as np

RESAMPLES = 2000
LEVEL = 0.05            # two-sided: 95 % intervals, differences significant at 5 %
BOOTSTRAP_SEED = 2006

# Demsar (2006), Table 5(a): two-tailed Nemenyi test, alpha = 0.05, by number of classifiers k.
NEMENYI_Q_005 = {2: 1.960, 3: 2.343, 4: 2.569, 5: 2.728, 6: 2.850, 7: 2.949, 8: 3.031, 9: 3.102, 10: 3.164}

Grid = Mapping[int, Sequence[float]]     # seed -> the repetitions' values


def as_matrix(grid: Grid, seeds: Sequence[int] | None = None) -> np.ndarray:
    """Seeds x repetitions array of ``grid`` (only ``seeds``, in that order; repetitions cut to the shortest)."""
    seeds = sorted(grid) if seeds is None else list(seeds)
    rows = [list(grid[s]) for s in seeds]
    width = min(len(r) for r in rows)
    return np.array([r[:width] for r in rows], dtype=float)


@lru_cache(maxsize=16)
def _indices(n_seeds: int, n_reps: int, stream: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng([BOOTSTRAP_SEED, stream])
    seed_idx = rng.integers(0, n_seeds, size=(RESAMPLES, n_seeds))
    rep_idx = rng.integers(0, n_reps, size=(RESAMPLES, n_seeds, n_reps))
    return seed_idx, rep_idx


def resampled_means(matrix: np.ndarray, stream: int = 0) -> np.ndarray:
    """``RESAMPLES`` two-stage bootstrap means of a seeds x repetitions matrix (same draws for same shape)."""
    n_seeds, n_reps = matrix.shape
    seed_idx, rep_idx = _indices(n_seeds, n_reps, stream)
    return matrix[seed_idx[:, :, None], rep_idx].mean(axis=(1, 2))


def interval(draws: np.ndarray, level: float = LEVEL) -> tuple[float, float]:
    """Percentile interval of bootstrap draws at confidence ``1 - level``."""
    lo, hi = np.quantile(draws, [level / 2, 1 - level / 2])
    return float(lo), float(hi)


def mean_interval(grid: Grid) -> tuple[float, float]:
    """95 % two-stage bootstrap interval of the mean of ``grid`` (seeds, then repetitions within seed)."""
    return interval(resampled_means(as_matrix(grid)))


def paired_draws(grids: Sequence[Grid]) -> list[np.ndarray]:
    """Bootstrap means of several grids, resampled together on their common seeds (paired by seed and repetition).

    Grids without a common seed cannot pair: each is then resampled on its own,
    with its own random stream.
    """
    common = sorted(set.intersection(*(set(g) for g in grids)))
    if common:
        width = min(len(g[s]) for g in grids for s in common)
        return [resampled_means(as_matrix(g, common)[:, :width]) for g in grids]
    return [resampled_means(as_matrix(g), stream=i + 1) for i, g in enumerate(grids)]


def significantly_different(grids: Sequence[Grid], contrast: Callable[..., np.ndarray],
                            level: float = LEVEL) -> bool:
    """Paired bootstrap test: does ``contrast(*means)`` exclude 0 from its ``1 - level`` percentile interval?

    ``contrast`` maps the bootstrap means of ``grids`` (arrays, in order) to the
    resampled difference under test, e.g. ``lambda a, b: a - b``.
    """
    diff = np.asarray(contrast(*paired_draws(grids)), dtype=float)
    lo, hi = interval(diff, level)
    return lo > 0 or hi < 0


def nemenyi_q(k: int, alpha: float = 0.05) -> float:
    """Critical value q_alpha of the Nemenyi test for ``k`` classifiers (Demsar 2006, Table 5a)."""
    if k < 2:
        raise ValueError(f"the Nemenyi test needs at least 2 classifiers, got {k}")
    if alpha == 0.05 and k in NEMENYI_Q_005:
        return NEMENYI_Q_005[k]
    from scipy.stats import studentized_range

    return float(studentized_range.ppf(1 - alpha, k, np.inf) / math.sqrt(2))


def critical_difference(k: int, n_blocks: int, alpha: float = 0.05) -> float:
    """Nemenyi critical difference of average ranks for ``k`` classifiers over ``n_blocks`` blocks."""
    return nemenyi_q(k, alpha) * math.sqrt(k * (k + 1) / (6.0 * n_blocks))


@dataclass
class Friedman:
    statistic: float | None     # None when every block ranks all classifiers equal
    p_value: float | None
    mean_ranks: np.ndarray      # per classifier, 1 = best
    cd: float                   # Nemenyi critical difference at ``alpha``
    n_blocks: int
    alpha: float = 0.05

    @property
    def rejects(self) -> bool:
        return self.p_value is not None and self.p_value < self.alpha


def friedman(scores: np.ndarray, alpha: float = 0.05) -> Friedman:
    """Friedman test on a blocks x classifiers array where lower is better; ranks within blocks average ties."""
    from scipy.stats import friedmanchisquare, rankdata

    scores = np.asarray(scores, dtype=float)
    n_blocks, k = scores.shape
    if n_blocks < 2 or k < 3:
        raise ValueError(f"the Friedman test needs >= 2 blocks and >= 3 classifiers, got {n_blocks} and {k}")
    ranks = np.vstack([rankdata(row, method="average") for row in scores])
    stat: float | None = None
    p: float | None = None
    with np.errstate(divide="ignore", invalid="ignore"):
        res = friedmanchisquare(*scores.T)
    if np.isfinite(res.statistic):
        stat, p = float(res.statistic), float(res.pvalue)
    return Friedman(stat, p, ranks.mean(axis=0), critical_difference(k, n_blocks, alpha), n_blocks, alpha)


def nemenyi_groups(mean_ranks: Sequence[float], cd: float) -> list[tuple[int, int]]:
    """Maximal runs ``(first, last)`` of positions in ascending ``mean_ranks`` whose spread is below ``cd``.

    Members of a run are not significantly different (Nemenyi); single positions are left out.
    """
    r = sorted(mean_ranks)
    runs: list[tuple[int, int]] = []
    for i in range(len(r)):
        j = i
        while j + 1 < len(r) and r[j + 1] - r[i] < cd:
            j += 1
        if j > i and not (runs and runs[-1][1] >= j):
            runs.append((i, j))
    return runs


def kendall(ours: pd.Series, paper: pd.Series) -> float | None:
    """Kendall's tau between two orderings on their common, non-missing index (None below 3 items)."""
    from scipy.stats import kendalltau

    common = ours.dropna().index.intersection(paper.dropna().index)
    if len(common) < 3:
        return None
    tau = kendalltau(ours[common].to_numpy(), paper[common].to_numpy()).statistic
    return None if np.isnan(tau) else float(tau)

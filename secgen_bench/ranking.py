"""How generators get ranks on one metric, and how they compare across datasets x seeds.

Two rankings of a metric (the Reference row is never ranked):

- ``strict`` (the paper's): sort by the key and rank with the ``min`` method, so
  only exactly equal keys share a rank;
- ``ties`` (the default): "dense groups". Sort by the key (best first, ties by
  name). The first generator leads group 1 and takes rank 1. Going down the
  list, a generator joins the current group, taking its leader's rank, when the
  difference between it and the leader is not significant; otherwise it leads a
  new group and takes its position as rank (1 + the number of generators above
  it, as ``min`` would); exactly equal keys always share. Groups are contiguous
  and disjoint, so sharing a rank is transitive, and every member is within
  noise of its group's best. A tie rank is never worse than the strict one.

The key is the mean for ``lower`` metrics, minus the mean for ``higher`` ones
and the distance to the Reference row's mean for ``closest`` ones. The
significance test is a paired two-stage bootstrap over matched seeds x
repetitions (``secgen_bench.stats``: 2,000 resamples, seeded, two-sided,
level 0.05) of the difference of the keys, the Reference resampled along for
``closest`` metrics; the difference is significant when its 95 % percentile
interval excludes 0. A generator without a value takes the worst rank (one
below the last that has one) in both rankings.

Across datasets x seeds (``compare_blocks``): each (dataset, seed) is a block;
in a block every metric of the average rank ranks the generators by their
seed's value (ties averaged, failures worst), and a generator's block score is
its mean rank over those metrics. The Friedman test and the Nemenyi critical
difference (Demsar 2006) run on these scores, for the generators present on
every dataset.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from secgen_bench import stats
from secgen_bench.runner.plan import REFERENCE, UNRANKED

STRICT, TIES = "strict", "ties"
RANKINGS = (TIES, STRICT)


def check_ranking(ranking: str) -> str:
    if ranking not in RANKINGS:
        raise ValueError(f"--ranking {ranking!r}: choose {' or '.join(RANKINGS)}")
    return ranking


def _key(direction: str, mean: float, ref_mean: float | None) -> float:
    if direction == "closest":
        return abs(mean - ref_mean)
    return -mean if direction == "higher" else mean


def metric_ranks(direction: str, means: Mapping[str, float | None], ref_mean: float | None = None,
                 ranking: str = TIES, grids: Mapping[str, stats.Grid] | None = None,
                 ref_grid: stats.Grid | None = None) -> dict[str, float] | None:
    """Rank of every generator of ``means`` on one metric; None when nothing can be ranked.

    ``grids`` (generator -> seed -> repetition values) feed the tie test; a
    generator without a grid is compared by its mean alone.
    """
    check_ranking(ranking)
    if direction == "closest" and ref_mean is None:
        return None
    keyed = {g: _key(direction, m, ref_mean) for g, m in means.items() if m is not None}
    if not keyed:
        return None
    worst = float(len(keyed) + 1)
    if ranking == STRICT:
        ranks = pd.Series(keyed, dtype=float).rank(method="min")
        ranked = {g: float(ranks[g]) for g in keyed}
    else:
        ranked = _dense_groups(direction, keyed, grids or {}, ref_grid)
    return {g: ranked.get(g, worst) for g in means}


def _dense_groups(direction: str, keyed: dict[str, float], grids: Mapping[str, stats.Grid],
                  ref_grid: stats.Grid | None) -> dict[str, float]:
    order = sorted(keyed, key=lambda g: (keyed[g], g))
    ranks: dict[str, float] = {}
    leader = previous = None
    for pos, g in enumerate(order, start=1):
        if previous is not None and keyed[g] == keyed[previous]:      # equal keys always share (as strict does)
            ranks[g] = ranks[previous]
        elif leader is not None and not _differ(direction, leader, g, keyed, grids, ref_grid):
            ranks[g] = ranks[leader]
        else:
            leader, ranks[g] = g, float(pos)
        previous = g
    return ranks


def _differ(direction: str, a: str, b: str, keyed: dict[str, float], grids: Mapping[str, stats.Grid],
            ref_grid: stats.Grid | None) -> bool:
    if a not in grids or b not in grids or (direction == "closest" and ref_grid is None):
        return keyed[a] != keyed[b]
    if direction == "closest":
        return stats.significantly_different([grids[a], grids[b], ref_grid],
                                             lambda x, y, r: np.abs(x - r) - np.abs(y - r))
    return stats.significantly_different([grids[a], grids[b]], lambda x, y: x - y)


def average_ranks(per_metric: Mapping[str, Mapping[str, float]], generators: Sequence[str],
                  averaged: Sequence[str] | None = None) -> dict[str, float | None]:
    """Mean rank of each generator over the ranked metrics that count for the average (``averaged``; None: all)."""
    counted = [m for m in per_metric if averaged is None or m in averaged]
    return {g: (float(np.mean([per_metric[m][g] for m in counted])) if counted else None) for g in generators}


# ---- across datasets x seeds ------------------------------------------------------------------
@dataclass
class BlockComparison:
    """Generators compared over (dataset, seed) blocks; ``result`` is None with ``reason`` when it cannot run."""
    generators: list[str]
    blocks: list[tuple[str, int]]
    scores: np.ndarray                  # blocks x generators, mean metric rank in the block (lower is better)
    result: stats.Friedman | None
    reason: str | None = None

    def groups(self) -> list[list[str]]:
        """Generators (best first) joined when Nemenyi finds no significant difference."""
        if self.result is None:
            return []
        order = self.order()
        return [order[i:j + 1] for i, j in stats.nemenyi_groups(self.result.mean_ranks, self.result.cd)]

    def order(self) -> list[str]:
        if self.result is None:
            return list(self.generators)
        return [g for _, g in sorted(zip(self.result.mean_ranks, self.generators))]


def compare_blocks(boards: Sequence) -> BlockComparison:
    """Friedman + Nemenyi over every (dataset, seed) of ``boards`` (leaderboard Boards with their samples)."""
    gens: list[str] | None = None
    for b in boards:
        present = [g for g in b.rows if g not in UNRANKED     # n/a generators could not run: not compared
                   and not all(c.status == "n/a" for c in b.rows[g].values())]
        gens = present if gens is None else [g for g in gens if g in present]
    gens = sorted(gens or [])
    blocks, rows = [], []
    for b in boards:
        seeds = sorted({s for g in gens for grid in b.samples.get(g, {}).values() for s in grid})
        for seed in seeds:
            score = _block_score(b, gens, seed)
            if score is not None:
                blocks.append((b.dataset, seed))
                rows.append(score)
    scores = np.array(rows, dtype=float).reshape(len(rows), len(gens))
    if len(gens) < 3:
        return BlockComparison(gens, blocks, scores, None,
                               f"{len(gens)} generator(s) on every dataset: the Friedman test needs at least 3.")
    if len(blocks) < 2:
        return BlockComparison(gens, blocks, scores, None,
                               f"{len(blocks)} (dataset, seed) block(s) with scores: the Friedman test needs at "
                               "least 2 (run more seeds or datasets).")
    return BlockComparison(gens, blocks, scores, stats.friedman(scores))


def _seed_mean(grid: stats.Grid | None, seed: int) -> float | None:
    if not grid or seed not in grid or not len(grid[seed]):
        return None
    return float(np.mean(grid[seed]))


def _block_score(board, gens: list[str], seed: int) -> list[float] | None:
    per_metric = []
    for m in board.metrics:
        if board.averaged is not None and m not in board.averaged:
            continue
        direction = board.directions[m]
        ref_mean = None
        if direction == "closest":
            ref_grid = board.samples.get(REFERENCE, {}).get(m)
            ref_mean = _seed_mean(ref_grid, seed)
            if ref_mean is None:
                ref_cell = board.rows.get(REFERENCE, {}).get(m)
                ref_mean = ref_cell.mean if ref_cell is not None else None
            if ref_mean is None:
                continue
        keyed = {}
        for g in gens:
            v = _seed_mean(board.samples.get(g, {}).get(m), seed)
            if v is not None:
                keyed[g] = _key(direction, v, ref_mean)
        if not keyed:
            continue
        ranks = pd.Series(keyed, dtype=float).rank(method="average")
        per_metric.append([float(ranks[g]) if g in keyed else float(len(keyed) + 1) for g in gens])
    if not per_metric:
        return None
    return list(np.mean(np.array(per_metric), axis=0))

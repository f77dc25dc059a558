"""Train/holdout split of a loaded table: chronological or random, seeded, sequences kept whole.

Why: the paper scores generators against held-out *real* data (the Reference
row), so every run needs a split that is reproducible (same seed, same rows)
and, for temporal data, chronological so the holdout lies after the training
period. Tables with a SEQUENCE_ID column (packets, logs) are split by
sequence, never inside one.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from secgen_bench.schema import FlowSchema, Role

METHODS = ("time", "random")


def split_holdout(table: pd.DataFrame, schema: FlowSchema, fraction: float, seed: int = 0,
                  method: str = "random") -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train, holdout) with about ``fraction`` of the rows (or sequences) held out.

    ``method="time"`` holds out the latest rows (sequences: those that start
    latest; untimed sequences: the last in table order); ``"random"`` draws
    them with ``numpy.random.default_rng(seed)``. Both parts come back sorted
    by the timestamp (stable, so equal times keep table order) and with a
    fresh index; sequences keep their rows in the original order.
    """
    if not 0.0 < float(fraction) < 1.0:
        raise ValueError(f"holdout fraction must be strictly between 0 and 1, got {fraction!r}")
    if method not in METHODS:
        raise ValueError(f"split method must be one of {', '.join(METHODS)}, not {method!r}")
    ts = schema.timestamp
    seq = schema.by_role(Role.SEQUENCE_ID)
    if seq:
        groups = table[seq[0]].astype(str)
        ids = pd.unique(groups)
        if len(ids) < 2:
            raise ValueError(f"cannot split {len(ids)} sequence(s) into train and holdout")
        if ts is not None:
            first = table.groupby(groups, sort=False)[ts].min().reindex(ids)
            order = np.argsort(first.to_numpy(), kind="stable")
        else:
            order = np.arange(len(ids))
        held_ids = _choose(ids[order], fraction, seed, method)
        held = groups.isin(set(held_ids)).to_numpy()
    else:
        if len(table) < 2:
            raise ValueError(f"cannot split {len(table)} row(s) into train and holdout")
        position = np.arange(len(table))
        if ts is not None:
            position = np.argsort(table[ts].to_numpy(), kind="stable")
        held = np.zeros(len(table), dtype=bool)
        held[_choose(position, fraction, seed, method)] = True
    return _ordered(table[~held], ts, bool(seq)), _ordered(table[held], ts, bool(seq))


def _choose(ordered: np.ndarray, fraction: float, seed: int, method: str) -> np.ndarray:
    """The held-out items from ``ordered`` (oldest first): the tail, or a seeded random subset."""
    n = len(ordered)
    k = min(max(int(round(n * fraction)), 1), n - 1)
    if method == "time":
        return ordered[n - k:]
    rng = np.random.default_rng(seed)
    return ordered[np.sort(rng.choice(n, size=k, replace=False))]


def _ordered(part: pd.DataFrame, ts: str | None, sequences: bool) -> pd.DataFrame:
    if ts is not None and not sequences:
        part = part.sort_values(ts, kind="stable")
    return part.reset_index(drop=True)

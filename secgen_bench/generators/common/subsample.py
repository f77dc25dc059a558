"""Seeded row subsampling for generators that cap their training rows (``max_train_rows`` options).

A cap means part of the data was never seen, and a leaderboard reader must be told: a generator that
subsamples sets ``training_rows_`` (:func:`training_rows`: rows used, rows offered, the cap), which
the flows track writes to ``job.json`` and the leaderboard shows beside the budget when the cap bit.
"""
from __future__ import annotations

import numpy as np
import pandas as pd


def subsample_rows(table: pd.DataFrame, max_rows: int, seed: int) -> pd.DataFrame:
    """At most ``max_rows`` rows (seeded, original order kept); 0 means all."""
    if not max_rows or len(table) <= max_rows:
        return table
    keep = np.sort(np.random.default_rng(seed).choice(len(table), max_rows, replace=False))
    return table.iloc[keep].reset_index(drop=True)


def training_rows(used: int, offered: int, cap: int) -> dict:
    """The ``training_rows_`` record: rows trained on, rows the fit was given, the cap (None: no cap)."""
    return {"used": int(used), "offered": int(offered), "cap": int(cap) or None}

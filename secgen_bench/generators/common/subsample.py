"""Seeded row subsampling for generators that cap their training rows (``max_train_rows`` options)."""
from __future__ import annotations

import numpy as np
import pandas as pd


def subsample_rows(table: pd.DataFrame, max_rows: int, seed: int) -> pd.DataFrame:
    """At most ``max_rows`` rows (seeded, original order kept); 0 means all."""
    if not max_rows or len(table) <= max_rows:
        return table
    keep = np.sort(np.random.default_rng(seed).choice(len(table), max_rows, replace=False))
    return table.iloc[keep].reset_index(drop=True)

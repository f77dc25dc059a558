"""The ``bootstrap`` pseudo-row: training data resampled with replacement, scored like a generator, never ranked.

A perfect generator draws from the same distribution as the training data; the
closest thing we have is the training table itself, resampled. Its scores are
the floor that sampling noise alone sets at this sample size, so a generator at
the floor of a metric cannot do better there. Sequences (packets, logs) are
resampled whole and renumbered, so the sample keeps the generator contract.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from secgen_bench.schema import FlowSchema


def bootstrap_sample(train: pd.DataFrame, schema: FlowSchema, n: int, seed: int, unit: str = "rows") -> pd.DataFrame:
    """``n`` rows (or ``n`` whole sequences) of ``train`` drawn with replacement by ``default_rng(seed)``."""
    rng = np.random.default_rng(seed)
    seq = schema.by_role("sequence_id") if unit == "sequences" else []
    if not seq:
        picked = rng.integers(0, len(train), size=n)
        return train.iloc[picked].reset_index(drop=True)
    col = seq[0]
    groups = train.groupby(col, sort=True).indices        # sequence id -> row positions, in a stable order
    ids = list(groups)
    parts = []
    for i, j in enumerate(rng.integers(0, len(ids), size=n)):
        part = train.iloc[groups[ids[j]]].copy()
        part[col] = f"bootstrap-{i}"                       # a drawn-twice sequence must count twice
        parts.append(part)
    out = pd.concat(parts, ignore_index=True) if parts else train.iloc[:0].copy()
    return out.astype({col: train[col].dtype})

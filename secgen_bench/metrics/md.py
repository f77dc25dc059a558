"""MD: the artefact's membership-disclosure F1 curve (``compute_authenticity``, "Novelty" in the notebook).

Closest to the Reference row's value is best. Draw ``n`` (500) rows, without
replacement and with the run's seed, from the holdout, the real training table
and the synthetic table (fewer when a table is smaller: all three samples take
the smallest size, as the artefact's later version does; a table of exactly
``n`` rows is used whole, in a seeded order that cannot change the result; a
larger one is sorted by its values before the draw, so that the sample, hence
MD, does not depend on the table's row order).
Hamming distance = fraction of the feature columns (all but sequence ids and
labels; timestamp as integer ns) whose values differ, from each of the 2n real
rows to each synthetic row. For each radius r in ``numpy.linspace(0, 1, 15)``
a real row is flagged when some synthetic row lies within r (``<=``);
recall = flagged training rows / n; precision = flagged training rows / all
flagged rows; F1 of the two. MD = sum of the 15 F1 values (0..15).

The spec's two corrections of the artefact are applied: a radius where rows
are flagged but no training row is flagged adds 0 (the artefact's 0/0 gives
NaN and blanks the cell); values are compared column by column as they are
(the artefact's integer codes came from a Python set whose order depends on the
hash seed, so values of one column could collide). The artefact's quirk of
binning continuous columns into 50 quantiles and then comparing the *unbinned*
values is kept by construction: continuous values match only when exactly
equal. ``md-binned`` is the variant the artefact apparently intended: columns
with more than 50 distinct values (other than IP/port/flags) are compared by
their 50-quantile bin (``pandas.qcut(..., 50, duplicates='drop')`` over the
three samples together).

Vectorised: the per-column mismatch counts form one (2n x n) integer matrix.
"""
from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd

from secgen_bench.metrics._columns import feature_columns, joint_codes, raw_values, require
from secgen_bench.metrics.base import Direction, Metric, MetricResult
from secgen_bench.schema import Role

RADII = np.linspace(0.0, 1.0, 15)
BIN_EXEMPT_ROLES = frozenset({Role.IP, Role.PORT, Role.FLAGS})


def f1_curve(mismatches: np.ndarray, n_cols: int, is_train: np.ndarray) -> tuple[float, list[float]]:
    """Sum over RADII of the F1 of flagging training rows (spec's corrections applied)."""
    nearest = mismatches.min(axis=1) / n_cols  # Hamming distance to the closest synthetic row
    n_train = int(is_train.sum())
    per_radius = []
    for r in RADII:
        flagged = nearest <= r
        hits = int(np.count_nonzero(flagged & is_train))
        n_flagged = int(np.count_nonzero(flagged))
        if n_flagged == 0 or hits == 0:
            per_radius.append(0.0)
            continue
        recall, precision = hits / n_train, hits / n_flagged
        per_radius.append(2 * recall * precision / (recall + precision))
    return float(sum(per_radius)), per_radius


def mismatch_matrix(real_codes: np.ndarray, synth_codes: np.ndarray, chunk: int = 256) -> np.ndarray:
    """(rows of real) x (rows of synthetic) number of differing columns, in row chunks."""
    out = np.empty((len(real_codes), len(synth_codes)), dtype=np.int32)
    for a in range(0, len(real_codes), chunk):
        out[a:a + chunk] = (real_codes[a:a + chunk, None, :] != synth_codes[None, :, :]).sum(axis=2)
    return out


def _sample(table: pd.DataFrame, n: int, rng: np.random.Generator, columns: list[str]) -> pd.DataFrame:
    """``n`` seeded rows. A table larger than ``n`` is first sorted by its values (all compared columns,
    rows equal on them are interchangeable), so that the sample depends on its content, not its row order."""
    if len(table) > n:
        table = table.sort_values(columns, kind="mergesort")
    return table.iloc[rng.choice(len(table), size=n, replace=False)].reset_index(drop=True)


def _binned(series: list[pd.Series], bins: int) -> list[pd.Series]:
    """Quantile bins over the samples together, for columns with more than ``bins`` distinct values."""
    joined = pd.Series(np.concatenate([raw_values(s) for s in series]))
    if joined.nunique() <= bins or joined.dtype == object:
        return series
    cut = pd.qcut(joined, bins, labels=False, duplicates="drop").to_numpy()
    out, start = [], 0
    for s in series:
        out.append(pd.Series(cut[start:start + len(s)], name=s.name))
        start += len(s)
    return out


class MD(Metric):
    """Membership-disclosure F1 curve summed over 15 Hamming radii (artefact ``compute_authenticity``)."""

    name = "md"
    version = "1.0"
    description = "Sum over 15 Hamming radii of the F1 of flagging training rows near synthetic rows (500-row samples)"
    direction = Direction.CLOSEST
    copy_side = "higher"   # more training rows flagged than held-out ones: disclosure
    bounds = (0.0, 15.0)
    inputs = frozenset({"real", "synthetic", "holdout"})
    binned: ClassVar[bool] = False
    BINS: ClassVar[int] = 50

    def __init__(self, n: int = 500):
        if int(n) < 1:
            raise ValueError(f"{self.name}: n must be >= 1, got {n}")
        self.n = int(n)

    def compute(self, real, synthetic, schema, *, holdout=None, seed=0):
        if holdout is None:
            raise ValueError(f"{self.name}: needs a holdout (real held-out) table")
        cols = feature_columns(schema)
        require([("real", real), ("synthetic", synthetic), ("holdout", holdout)], cols, self.name)
        n = min(self.n, len(real), len(holdout), len(synthetic))
        rng = np.random.default_rng(seed)
        test, train, synth = (_sample(t, n, rng, cols) for t in (holdout, real, synthetic))
        real_cols, synth_cols = [], []
        for c in cols:
            parts = [test[c], train[c], synth[c]]
            if self.binned and schema.column(c).role not in BIN_EXEMPT_ROLES:
                parts = _binned(parts, self.BINS)
            t, tr, s = joint_codes(*parts)
            real_cols.append(np.concatenate([t, tr]))
            synth_cols.append(s)
        mism = mismatch_matrix(np.column_stack(real_cols), np.column_stack(synth_cols))
        is_train = np.r_[np.zeros(n, bool), np.ones(n, bool)]
        value, per_radius = f1_curve(mism, len(cols), is_train)
        return MetricResult(value, {f"f1@{r:.3f}": f for r, f in zip(RADII, per_radius)})


class MDBinned(MD):
    """MD comparing continuous columns by 50-quantile bin (the artefact's apparent intent; not the paper's number)."""
    in_average_rank = False

    name = "md-binned"
    description = "MD with continuous columns compared by 50-quantile bin instead of exact value"
    binned = True

"""Temporal metrics, scored once on whole tables (protocol "full": subsampling breaks time order).

``acf`` (lower is better), after the paper's section 7.4 and the artefact's
``compare_acf_timerange``, defined precisely here:

1. For each continuous column, sum its values per whole second of the
   timestamp (flows resampled to 1-second sums; empty seconds are 0), for the
   real and for the synthetic table.
2. Align the two series on the seconds both cover (the intersection of their
   spans, as the artefact does). When they share fewer than ``min_overlap``
   seconds (e.g. synthetic timestamps in another period), align each series
   from its own first second instead and cut both to the shorter length.
3. ACF of each series, lags 0..L with L = min(len - 1, ``max_lag``), as
   ``statsmodels.tsa.stattools.acf`` (demeaned, not adjusted); a constant
   series has ACF 0 at every lag >= 1.
4. Significant lags: lags k >= 1 where the real ACF lies outside Bartlett's
   95 % band, |acf_k| >= 1.96 * sqrt((1 + 2 * sum_{j<k} acf_j^2) / N).
5. Column score = mean over the significant lags of |acf_real(k) -
   acf_synth(k)| (0 when no lag is significant); metric = mean over columns.

Departures from the artefact: lag 0 is excluded (always 1 = 1), the lag range
is capped at ``max_lag`` (the artefact used every lag up to the series length),
and the sum is averaged over the significant lags instead of divided by the
series length, so the value is an average ACF error in [0, 2].

``lagcorr`` (lower is better): on the flows in time order (ties in time broken
by the continuous values, so the row order of the table never matters), for each lag
l = 1..``lags``, the matrix C_l[a, b] = Pearson correlation between continuous
column a at flow t and column b at flow t + l (NaN, e.g. a constant column,
-> 0); metric = mean over l of the Frobenius norm of C_l(real) - C_l(synthetic).
It compares how each flow's sizes predict the next flows' sizes.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from secgen_bench.metrics._columns import need_columns, numeric, require
from secgen_bench.metrics.base import Direction, Metric, MetricResult

BARTLETT_Z = 1.959963984540054  # two-sided 95 %


def acf(x: np.ndarray, nlags: int) -> np.ndarray:
    """Autocorrelation at lags 0..nlags (statsmodels' definition, via FFT); zeros past lag 0 if constant."""
    x = np.asarray(x, dtype=np.float64)
    d = x - x.mean()
    n = len(d)
    size = 1 << int(np.ceil(np.log2(2 * n - 1))) if n > 1 else 1
    f = np.fft.rfft(d, size)
    acov = np.fft.irfft(f * np.conj(f), size)[: nlags + 1] / n
    out = np.zeros(nlags + 1)
    out[0] = 1.0
    if acov[0] > 1e-12 * max(1.0, float(np.mean(x * x))):
        out[1:] = acov[1:] / acov[0]
    return out


def bartlett_significant(r: np.ndarray, n: int, z: float = BARTLETT_Z) -> np.ndarray:
    """Lags k >= 1 where |acf_k| >= z * sqrt((1 + 2 sum_{j<k} acf_j^2) / n)."""
    var = np.ones(len(r)) / n
    var[2:] *= 1 + 2 * np.cumsum(r[1:-1] ** 2)
    lags = np.arange(1, len(r))
    return lags[np.abs(r[1:]) >= z * np.sqrt(var[1:])]


MAX_GRID_SECONDS = 31 * 24 * 3600  # a month of 1-second bins (~2.7M per column) at most


def per_second_sums(table: pd.DataFrame, ts: str, cols: list[str], metric: str, which: str) -> pd.DataFrame:
    seconds = table[ts].astype("datetime64[ns]").dt.floor("s")
    frame = pd.DataFrame({c: numeric(table[c], metric, which) for c in cols})
    frame.index = seconds.to_numpy()
    sums = frame.groupby(level=0).sum()
    span = int((sums.index.max() - sums.index.min()) / pd.Timedelta(seconds=1)) + 1
    if span > MAX_GRID_SECONDS:
        # A capture spanning years (e.g. two bursts far apart) would need a dense grid of
        # hundreds of millions of seconds: refuse with a clear error instead of exhausting memory.
        raise ValueError(f"{metric}: the {which} flows span {span:,} s, more than the {MAX_GRID_SECONDS:,} s "
                         f"a 1-second series may cover")
    grid = pd.date_range(sums.index.min(), sums.index.max(), freq="s")
    return sums.reindex(grid, fill_value=0.0)


def _timestamp(metric: Metric, schema) -> str:
    ts = schema.timestamp
    if ts is None:
        raise ValueError(f"{metric.name}: schema {schema.name!r} has no timestamp column (temporal metric)")
    return ts


class ACF(Metric):
    """Mean |ACF difference| of 1-second sums of continuous columns at the real series' Bartlett-significant lags."""
    in_average_rank = False

    name = "acf"
    version = "1.0"
    description = "ACF difference of per-second sums at the real series' Bartlett-95% significant lags"
    direction = Direction.LOWER
    bounds = (0.0, 2.0)
    protocol = "full"

    def __init__(self, max_lag: int = 100, min_overlap: int = 10):
        if int(max_lag) < 1 or int(min_overlap) < 2:
            raise ValueError(f"{self.name}: max_lag must be >= 1 and min_overlap >= 2")
        self.max_lag, self.min_overlap = int(max_lag), int(min_overlap)

    def compute(self, real, synthetic, schema, *, holdout=None, seed=0):
        ts = _timestamp(self, schema)
        cols = schema.continuous
        need_columns(cols, self.name, "continuous", schema)
        require([("real", real), ("synthetic", synthetic)], [ts, *cols], self.name)
        r = per_second_sums(real, ts, cols, self.name, "real")
        s = per_second_sums(synthetic, ts, cols, self.name, "synthetic")
        common = r.index.intersection(s.index)
        if len(common) >= self.min_overlap:
            r, s = r.loc[common], s.loc[common]
            aligned = "overlap"
        else:
            length = min(len(r), len(s))
            r, s = r.iloc[:length], s.iloc[:length]
            aligned = "own start"
        if len(r) < 3:
            raise ValueError(f"{self.name}: need at least 3 seconds of traffic to compare, got {len(r)}")
        nlags = min(len(r) - 1, self.max_lag)
        breakdown: dict[str, float] = {"seconds": float(len(r)), "aligned_on_overlap": float(aligned == "overlap")}
        scores = []
        for c in cols:
            ra, sa = acf(r[c].to_numpy(), nlags), acf(s[c].to_numpy(), nlags)
            lags = bartlett_significant(ra, len(r))
            score = float(np.mean(np.abs(ra[lags] - sa[lags]))) if len(lags) else 0.0
            scores.append(score)
            breakdown[c] = score
            breakdown[f"{c}/significant_lags"] = float(len(lags))
        return MetricResult(float(np.mean(scores)), breakdown)


def lagged_correlation(x: np.ndarray, lag: int) -> np.ndarray:
    """C[a, b] = corr(x[t, a], x[t + lag, b]); NaN -> 0."""
    p = x.shape[1]
    with np.errstate(invalid="ignore", divide="ignore"):
        c = np.corrcoef(x[:-lag].T, x[lag:].T)[:p, p:]
    return np.nan_to_num(np.atleast_2d(c), nan=0.0)


class LagCorr(Metric):
    """Mean Frobenius distance of lagged cross-correlation matrices of the continuous columns (flows in time order)."""
    in_average_rank = False

    name = "lagcorr"
    version = "1.0"
    description = "Lagged cross-correlation difference (lags 1..5 flows) of continuous columns"
    direction = Direction.LOWER
    bounds = (0.0, float("inf"))
    protocol = "full"

    def __init__(self, lags: int = 5):
        if int(lags) < 1:
            raise ValueError(f"{self.name}: lags must be >= 1, got {lags}")
        self.lags = int(lags)

    def compute(self, real, synthetic, schema, *, holdout=None, seed=0):
        ts = _timestamp(self, schema)
        cols = schema.continuous
        need_columns(cols, self.name, "continuous", schema)
        require([("real", real), ("synthetic", synthetic)], [ts, *cols], self.name)
        mats = []
        for which, t in (("real", real), ("synthetic", synthetic)):
            if len(t) <= self.lags + 2:
                raise ValueError(f"{self.name}: {which} table needs more than {self.lags + 2} flows, got {len(t)}")
            x = np.column_stack([numeric(t[c], self.name, which) for c in cols])
            # time order; flows at the same instant ordered by their values, so that the table's row order
            # cannot change the result (rows equal in time and values are interchangeable here)
            order = np.lexsort((*x.T[::-1], t[ts].astype("datetime64[ns]").astype("int64").to_numpy()))
            mats.append(x[order])
        per_lag = {f"lag{l}": float(np.linalg.norm(lagged_correlation(mats[0], l) - lagged_correlation(mats[1], l)))
                   for l in range(1, self.lags + 1)}
        return MetricResult(float(np.mean(list(per_lag.values()))), per_lag)

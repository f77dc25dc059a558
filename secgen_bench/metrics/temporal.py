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
   series has ACF 0 at every lag >= 1. Series longer than a month are never laid out on a
   dense grid: their ACF comes from the busy seconds alone (:func:`sparse_acf`, exact), so
   memory grows with the flows, not with the span of the trace.
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
from secgen_bench.metrics.base import Direction, Metric, MetricResult, NotApplicable

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


MAX_GRID_SECONDS = 31 * 24 * 3600  # up to a month, a dense 1-second grid (~2.7M bins); beyond it, sparse


def second_sums(table: pd.DataFrame, ts: str, cols: list[str], metric: str, which: str) -> pd.DataFrame:
    """Sums of ``cols`` per whole second, for the seconds that have traffic only (sorted datetime index)."""
    seconds = table[ts].astype("datetime64[ns]").dt.floor("s")
    frame = pd.DataFrame({c: numeric(table[c], metric, which) for c in cols})
    frame.index = seconds.to_numpy()
    return frame.groupby(level=0).sum()


def _span_seconds(first, last) -> int:
    return int((last - first) / pd.Timedelta(seconds=1)) + 1


def sparse_acf(offsets: np.ndarray, values: np.ndarray, n: int, nlags: int) -> np.ndarray:
    """:func:`acf` of a length-``n`` series that is 0 except ``values`` at the sorted ``offsets``.

    The same quantity without the dense grid, so a trace spanning months needs memory for its
    busy seconds only: with mean mu, sum_t (x_t - mu)(x_{t+k} - mu) over t < n - k equals
    S_k - mu (A_k + B_k) + (n - k) mu^2, where S_k = sum_t x_t x_{t+k} (pairs of busy seconds k
    apart, found by binary search), A_k the sum over t < n - k and B_k over t >= k.
    """
    offsets = np.asarray(offsets, dtype=np.int64)
    values = np.asarray(values, dtype=np.float64)
    total = float(values.sum())
    mu = total / n
    prefix = np.concatenate([[0.0], np.cumsum(values)])
    acov = np.empty(nlags + 1)
    for k in range(nlags + 1):
        j = np.searchsorted(offsets, offsets + k)
        hit = j < len(offsets)
        hit[hit] = offsets[j[hit]] == offsets[hit] + k
        s_k = float(np.dot(values[hit], values[j[hit]]))
        a_k = prefix[np.searchsorted(offsets, n - k)]
        b_k = total - prefix[np.searchsorted(offsets, k)]
        acov[k] = (s_k - mu * (a_k + b_k) + (n - k) * mu * mu) / n
    out = np.zeros(nlags + 1)
    out[0] = 1.0
    if acov[0] > 1e-12 * max(1.0, float(np.dot(values, values)) / n):
        out[1:] = acov[1:] / acov[0]
    return out


def series_acf(sums: pd.DataFrame, column: str, start, length: int, nlags: int) -> np.ndarray:
    """ACF of ``column``'s 1-second series of ``length`` seconds from ``start`` (empty seconds are 0).

    Dense (FFT) up to :data:`MAX_GRID_SECONDS`, sparse beyond: the two agree to rounding."""
    if length <= MAX_GRID_SECONDS:
        grid = pd.date_range(start, periods=length, freq="s")
        return acf(sums[column].reindex(grid, fill_value=0.0).to_numpy(), nlags)
    offsets = ((sums.index - start) / pd.Timedelta(seconds=1)).to_numpy().astype(np.int64)
    return sparse_acf(offsets, sums[column].to_numpy(dtype=np.float64), length, nlags)


def _timestamp(metric: Metric, schema) -> str:
    ts = schema.timestamp
    if ts is None:
        raise NotApplicable(f"{metric.name}: schema {schema.name!r} has no timestamp column (temporal metric)")
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
        r = second_sums(real, ts, cols, self.name, "real")
        s = second_sums(synthetic, ts, cols, self.name, "synthetic")
        lo, hi = max(r.index[0], s.index[0]), min(r.index[-1], s.index[-1])
        common = _span_seconds(lo, hi) if hi >= lo else 0
        if common >= self.min_overlap:
            starts, length = (lo, lo), common
            r, s = r.loc[lo:hi], s.loc[lo:hi]
            aligned = "overlap"
        else:
            length = min(_span_seconds(r.index[0], r.index[-1]), _span_seconds(s.index[0], s.index[-1]))
            starts = (r.index[0], s.index[0])
            r = r.loc[:starts[0] + pd.Timedelta(seconds=length - 1)]
            s = s.loc[:starts[1] + pd.Timedelta(seconds=length - 1)]
            aligned = "own start"
        if length < 3:
            raise NotApplicable(f"{self.name}: need at least 3 seconds of traffic to compare, got {length}")
        nlags = min(length - 1, self.max_lag)
        breakdown: dict[str, float] = {"seconds": float(length), "aligned_on_overlap": float(aligned == "overlap")}
        scores = []
        for c in cols:
            ra = series_acf(r, c, starts[0], length, nlags)
            sa = series_acf(s, c, starts[1], length, nlags)
            lags = bartlett_significant(ra, length)
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
                raise NotApplicable(f"{self.name}: {which} table needs more than {self.lags + 2} flows, got {len(t)}")
            x = np.column_stack([numeric(t[c], self.name, which) for c in cols])
            # time order; flows at the same instant ordered by their values, so that the table's row order
            # cannot change the result (rows equal in time and values are interchangeable here)
            order = np.lexsort((*x.T[::-1], t[ts].astype("datetime64[ns]").astype("int64").to_numpy()))
            mats.append(x[order])
        per_lag = {f"lag{l}": float(np.linalg.norm(lagged_correlation(mats[0], l) - lagged_correlation(mats[1], l)))
                   for l in range(1, self.lags + 1)}
        return MetricResult(float(np.mean(list(per_lag.values()))), per_lag)

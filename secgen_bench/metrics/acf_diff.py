"""``acf-diff``: the FlowChronicle paper's section 7.4 numerical temporal-dependency metric (its Fig. 4).

A faithful port of the artefact's ``compare_acf_timerange`` / ``compare_acf_timestep``
(``../shared/specs/temporal_dependency.md``, Metric 1), per column:

1. values cast to int (truncated: a 0.9 s duration counts 0);
2. summed per 1-second bin [s, s+1), every second from the first flow to the last (empty = 0);
3. real and synthetic series cut to the seconds both cover (length n; fewer than 2: an error);
4. biased sample ACF (demeaned, divisor n, FFT) at every lag 0..n-1; a constant series gives NaN;
5. significant lags K of the *real* series by Bartlett's 95 % band (lag 0 included, h_0 = 0);
6. NaN -> 0, score = sum_{k in K} |acf_real(k) - acf_synth(k)| / n (divisor n, not |K|).

The metric value is the mean over the columns In Byte, Out Byte, In Packet, Out Packet and
Duration (found by role and direction); the per-column scores are in the breakdown under those
names. Values are about 1e-5 on a week of traffic, since n is the overlap in seconds. Unlike the
project's ``acf`` metric it keeps every quirk of the artefact (lag 0, all lags, divisor n), so
its numbers are comparable with the paper's. Only the overlap is laid out per second, so tables
may span years; an overlap over 2^25 s (388 days) is ``n/a`` (its FFT would pass ~1.6 GB).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from secgen_bench.metrics._columns import numeric, require
from secgen_bench.metrics.base import Direction, Metric, MetricResult, NotApplicable
from secgen_bench.metrics.temporal import BARTLETT_Z
from secgen_bench.schema import FlowSchema, Role, SchemaError

# Every lag 0..n-1 of the overlap is an FFT of size 2^ceil(log2(2n - 1)): 2^25 s (388 days) keeps
# one column's transform near 1.6 GB. Only the overlap counts: tables may span years around it.
MAX_OVERLAP_SECONDS = 1 << 25

# paper label -> (role, direction) of the column it names
PAPER_COLUMNS = {
    "In Byte": (Role.BYTES, "in"), "Out Byte": (Role.BYTES, "out"),
    "In Packet": (Role.PACKETS, "in"), "Out Packet": (Role.PACKETS, "out"),
    "Duration": (Role.DURATION, None),
}


def paper_numerical_columns(schema: FlowSchema, metric: str = "acf-diff") -> dict[str, str]:
    """Paper label -> our column name, for the five columns the schema has (at least one)."""
    out = {}
    for label, (role, direction) in PAPER_COLUMNS.items():
        names = schema.by_role(role) if role is Role.DURATION else schema.by_role_and_direction(role, direction)
        if names:
            out[label] = names[0]
    if not out:
        raise SchemaError(f"{metric}: schema {schema.name!r} has none of the columns "
                          f"{', '.join(PAPER_COLUMNS)} (bytes/packets in/out, duration)")
    return out


def per_second_int_sums(seconds: np.ndarray, values: np.ndarray, start: int, stop: int) -> np.ndarray:
    """Sum of the int-truncated values per whole second, for the seconds start..stop (inclusive)."""
    keep = (seconds >= start) & (seconds <= stop)
    ints = np.trunc(values[keep]).astype(np.int64)
    return np.bincount(seconds[keep] - start, weights=ints, minlength=stop - start + 1).astype(np.float64)


def biased_acf(x: np.ndarray) -> np.ndarray:
    """ACF at lags 0..n-1 (demeaned, divisor n, FFT) as statsmodels computes it; all NaN if x is constant."""
    x = np.asarray(x, dtype=np.float64)
    n = len(x)
    if n == 0 or np.ptp(x) == 0:
        return np.full(n, np.nan)
    d = x - x.mean()
    size = 1 << int(np.ceil(np.log2(2 * n - 1))) if n > 1 else 1
    f = np.fft.rfft(d, size)
    acov = np.fft.irfft(f * np.conj(f), size)[:n]
    return acov / acov[0]


def bartlett_lags(r: np.ndarray, n: int, z: float = BARTLETT_Z) -> np.ndarray:
    """Lags whose 95 % band rho +- h excludes 0 (lower * upper >= 0, the artefact's test); lag 0 has h = 0."""
    var = np.ones(len(r)) / n
    var[0] = 0.0
    if len(r) > 2:
        var[2:] *= 1 + 2 * np.cumsum(r[1:-1] ** 2)
    h = z * np.sqrt(var)
    with np.errstate(invalid="ignore"):
        significant = (r - h) * (r + h) >= 0
    return np.flatnonzero(significant)  # NaN compares False: a constant real series has no lag


def acf_difference(real: np.ndarray, synthetic: np.ndarray) -> tuple[float, int]:
    """(score, number of significant lags) of two aligned per-second series of length n."""
    n = len(real)
    r, s = biased_acf(real), biased_acf(synthetic)
    lags = bartlett_lags(r, n)
    diff = np.abs(np.nan_to_num(r[lags], nan=0.0) - np.nan_to_num(s[lags], nan=0.0))
    return float(diff.sum() / n), int(len(lags))


def whole_seconds(table: pd.DataFrame, ts: str) -> np.ndarray:
    """floor(t) in integer seconds (bins [s, s+1) labelled by their start)."""
    ns = table[ts].astype("datetime64[ns]").astype("int64").to_numpy()
    return np.floor_divide(ns, 1_000_000_000)


class ACFDiff(Metric):
    """Sum over the real series' Bartlett-significant lags of |ACF difference| of 1-second sums, over n."""
    in_average_rank = False
    default = False  # opt-in: not in the metric set a run scores when none is named

    name = "acf-diff"
    version = "1.0"
    description = "FlowChronicle sec. 7.4 numerical ACF difference (artefact-faithful: lag 0, all lags, divisor n)"
    direction = Direction.LOWER
    bounds = (0.0, 2.0)
    protocol = "full"

    def compute(self, real, synthetic, schema, *, holdout=None, seed=0):
        ts = schema.timestamp
        if ts is None:
            raise ValueError(f"{self.name}: schema {schema.name!r} has no timestamp column (temporal metric)")
        columns = paper_numerical_columns(schema, self.name)
        require([("real", real), ("synthetic", synthetic)], [ts, *columns.values()], self.name)
        secs = {which: whole_seconds(table, ts) for which, table in (("real", real), ("synthetic", synthetic))}
        start = int(max(secs["real"].min(), secs["synthetic"].min()))
        stop = int(min(secs["real"].max(), secs["synthetic"].max()))
        n = stop - start + 1
        if n < 2:
            raise NotApplicable(f"{self.name}: the real and synthetic flows share {max(n, 0)} second(s) of time; "
                                "the ACF difference needs more than 1 second of overlap")
        if n > MAX_OVERLAP_SECONDS:
            raise NotApplicable(f"{self.name}: the real and synthetic flows overlap for {n:,} s; every lag's ACF "
                                f"needs an FFT of the whole overlap, capped at {MAX_OVERLAP_SECONDS:,} s (~1.6 GB)")
        breakdown: dict[str, float] = {"seconds": float(n)}
        scores = []
        for label, col in columns.items():
            r = per_second_int_sums(secs["real"], numeric(real[col], self.name, "real"), start, stop)
            s = per_second_int_sums(secs["synthetic"], numeric(synthetic[col], self.name, "synthetic"), start, stop)
            score, n_lags = acf_difference(r, s)
            scores.append(score)
            breakdown[label] = score
            breakdown[f"{label}/significant_lags"] = float(n_lags)
        return MetricResult(float(np.mean(scores)), breakdown)

"""Temporal metrics: ACF matches statsmodels' definition and Bartlett band; both metrics see time structure."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from secgen_bench.metrics.temporal import ACF, LagCorr, acf, bartlett_significant
from secgen_bench.schema import Column, FlowSchema, Role

S = FlowSchema("t", (Column("ts", Role.TIMESTAMP), Column("bytes", Role.BYTES), Column("dur", Role.DURATION)))


def test_acf_and_bartlett_match_statsmodels():
    st = pytest.importorskip("statsmodels.tsa.stattools")
    rng = np.random.default_rng(0)
    x = np.cumsum(rng.normal(size=400)) + 5 * np.sin(np.arange(400) / 7)
    ours = acf(x, 60)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref, ci = st.acf(x, nlags=60, alpha=0.05, bartlett_confint=True)
    assert ours == pytest.approx(ref, abs=1e-12)
    expected = np.arange(61)[(ci[:, 0] * ci[:, 1] >= 0)]
    assert list(bartlett_significant(ours, 400)) == [k for k in expected if k >= 1]


def _flows(seconds: np.ndarray, values: np.ndarray, rng) -> pd.DataFrame:
    start = pd.Timestamp("2024-01-01")
    return S.validate(pd.DataFrame({
        "ts": start + pd.to_timedelta(seconds + rng.random(len(seconds)) * 0.9, unit="s"),
        "bytes": np.round(values).astype(int), "dur": values / 100.0}))


def test_acf_zero_on_identical_and_larger_when_time_structure_is_destroyed():
    rng = np.random.default_rng(1)
    secs = np.arange(600)
    periodic = 1000 + 800 * np.sin(2 * np.pi * secs / 30)
    real = _flows(secs, periodic, rng)
    assert ACF()(real, real, S).value == 0.0
    shuffled = real.copy()
    shuffled[["bytes", "dur"]] = real[["bytes", "dur"]].sample(frac=1, random_state=0).to_numpy()
    res = ACF()(real, shuffled, S)
    assert res.value > 0.3
    assert res.breakdown["bytes/significant_lags"] > 10


def test_acf_aligns_on_own_start_when_periods_do_not_overlap():
    rng = np.random.default_rng(2)
    secs = np.arange(300)
    vals = 500 + 400 * np.sin(2 * np.pi * secs / 20)
    real = _flows(secs, vals, rng)
    later = real.copy()
    later["ts"] = later["ts"] + pd.Timedelta(days=3)
    res = ACF()(real, later, S)
    assert res.breakdown["aligned_on_overlap"] == 0.0
    assert res.value == pytest.approx(0.0, abs=1e-12)


def test_lagcorr_zero_on_identical_and_positive_on_shuffled():
    rng = np.random.default_rng(3)
    n = 2000
    ar = np.zeros(n)
    for t in range(1, n):
        ar[t] = 0.8 * ar[t - 1] + rng.normal()
    real = _flows(np.arange(n), 1000 + 100 * ar, rng)
    assert LagCorr()(real, real, S).value == pytest.approx(0.0, abs=1e-12)
    shuffled = real.copy()
    shuffled[["bytes", "dur"]] = real[["bytes", "dur"]].sample(frac=1, random_state=0).to_numpy()
    assert LagCorr()(real, shuffled, S).value > 0.5
    assert LagCorr()(real, real.sample(frac=1, random_state=1).reset_index(drop=True), S).value == pytest.approx(0.0, abs=1e-12)


def test_temporal_metrics_are_full_protocol_and_need_a_timestamp():
    assert ACF.protocol == "full" and LagCorr.protocol == "full"
    no_ts = FlowSchema("nots", (Column("bytes", Role.BYTES),))
    table = no_ts.validate(pd.DataFrame({"bytes": [1, 2, 3]}))
    for metric in (ACF(), LagCorr()):
        with pytest.raises(ValueError, match="timestamp"):
            metric(table, table, no_ts)


def test_sparse_acf_is_the_dense_acf_without_the_grid():
    from secgen_bench.metrics.temporal import sparse_acf

    rng = np.random.default_rng(5)
    n = 20_000
    busy = np.sort(rng.choice(n, size=1_500, replace=False))
    values = rng.gamma(2.0, 300.0, size=len(busy)) * (1 + np.sin(busy / 50.0))
    dense = np.zeros(n)
    dense[busy] = values
    for nlags in (1, 7, 100):
        assert sparse_acf(busy, values, n, nlags) == pytest.approx(acf(dense, nlags), abs=1e-10)
    assert list(sparse_acf(np.array([3]), np.array([5.0]), 10, 3)) == pytest.approx(list(acf(np.eye(10)[3] * 5, 3)))
    assert list(sparse_acf(np.array([], dtype=np.int64), np.array([]), 10, 3)) == [1.0, 0.0, 0.0, 0.0]


def test_acf_scores_a_trace_spanning_months_and_agrees_with_the_dense_grid(monkeypatch):
    import secgen_bench.metrics.temporal as temporal

    rng = np.random.default_rng(6)
    # a burst per day for 60 days: twice the month a dense grid may cover
    secs = np.concatenate([d * 86_400 + np.arange(0, 600, 3) for d in range(60)])
    vals = 500 + 400 * np.sin(2 * np.pi * secs / 90)
    real = _flows(secs, vals, rng)
    synth = _flows(secs, rng.permutation(vals), rng)
    long_trace = ACF()(real, synth, S)
    assert long_trace.breakdown["seconds"] > temporal.MAX_GRID_SECONDS
    assert 0 < long_trace.value < 2
    monkeypatch.setattr(temporal, "MAX_GRID_SECONDS", 10**9)  # the dense path on the same 60 days
    dense = ACF()(real, synth, S)
    assert long_trace.value == pytest.approx(dense.value, abs=1e-9)
    assert long_trace.breakdown == pytest.approx(dense.breakdown, abs=1e-9)


def test_acf_on_too_little_traffic_is_not_applicable_not_an_error():
    from secgen_bench.metrics.base import NotApplicable

    t = _flows(np.array([0, 1]), np.array([10.0, 20.0]), np.random.default_rng(0))
    with pytest.raises(NotApplicable, match="at least 3 seconds"):
        ACF()(t, t, S)

"""The eight paper metrics reproduce the FlowChronicle artefact's own values on the shared fixtures.

md is scored on the 500-row files (real_500 = training, holdout_500 = holdout);
every other metric on the 2,000-row files, once, without subsampling. MD samples
500 of 500 rows, a seeded permutation that cannot change its value, so it is
compared exactly too. Hand-computed cases of JSD, CMD, PCD and EMD follow.
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from secgen_bench.datasets.schemas import CIDDS_BI
from secgen_bench.schema import Column, FlowSchema, Role

SETS = ("holdout", "synth_indep", "synth_noisy")
METRICS = ("density", "coverage", "cmd", "pcd", "emd", "jsd", "dkc", "md")


def _metric(name):
    from secgen_bench import registry

    return registry.metrics.get(name)()


def _load(specs, stem):
    path = specs / "metric-fixtures" / f"{stem}.csv"
    return CIDDS_BI.validate(pd.read_csv(path), str(path), ranges=False)


@pytest.mark.parametrize("synthetic", SETS)
@pytest.mark.parametrize("metric", METRICS)
def test_artefact_value(shared_specs, metric, synthetic):
    expected = json.loads((shared_specs / "metric-fixtures" / "expected_artefact_values.json").read_text())
    m = _metric(metric)
    if metric == "md":
        got = m(_load(shared_specs, "real_500"), _load(shared_specs, f"{synthetic}_500"), CIDDS_BI,
                holdout=_load(shared_specs, "holdout_500"), seed=7).value
    else:
        got = m(_load(shared_specs, "real_2000"), _load(shared_specs, f"{synthetic}_2000"), CIDDS_BI).value
    assert got == pytest.approx(expected[synthetic][metric], rel=1e-9, abs=1e-12)


# ---- hand-computed cases ----------------------------------------------------------
SMALL = FlowSchema("small", (Column("a", Role.CATEGORICAL), Column("b", Role.CATEGORICAL),
                             Column("x", Role.CONTINUOUS), Column("y", Role.CONTINUOUS)))


def _small(a, b, x, y):
    return SMALL.validate(pd.DataFrame({"a": a, "b": b, "x": x, "y": y}))


def test_jsd_by_hand():
    real = _small(["p", "p", "q", "q"], ["u"] * 4, [1.0, 2, 3, 4], [1.0, 2, 3, 4])
    synth = _small(["p", "p", "p", "p"], ["u"] * 4, [1.0, 2, 3, 4], [1.0, 2, 3, 4])
    # column a: P = (1/2, 1/2), Q = (1, 0): JSD^2 = 1/2 [1/2 ln(2/3) + 1/2 ln(2)] + 1/2 [ln(4/3)]
    js2 = 0.5 * (0.5 * np.log(0.5 / 0.75) + 0.5 * np.log(0.5 / 0.25)) + 0.5 * np.log(1 / 0.75)
    res = _metric("jsd")(real, synth, SMALL)
    assert res.breakdown["a"] == pytest.approx(np.sqrt(js2))
    assert res.value == pytest.approx(np.sqrt(js2) / 2)  # column b identical -> 0
    assert _metric("jsd")(real, real, SMALL).value == 0


def test_cmd_by_hand_and_union_of_categories():
    real = _small(["p", "q"], ["u", "v"], [1.0, 2], [1.0, 2])
    synth = _small(["p", "r"], ["u", "u"], [1.0, 2], [1.0, 2])
    # real cells (p,u)=.5,(q,v)=.5; synth (p,u)=.5,(r,u)=.5 -> diff on (q,v) and (r,u): sqrt(.25+.25)
    assert _metric("cmd")(real, synth, SMALL).value == pytest.approx(np.sqrt(0.5))
    assert _metric("cmd")(real, real.iloc[::-1].reset_index(drop=True), SMALL).value == 0


def test_pcd_by_hand_constant_column_gives_zero_correlation():
    real = _small(["p"] * 4, ["u"] * 4, [1.0, 2, 3, 4], [2.0, 4, 6, 8])     # corr +1
    synth = _small(["p"] * 4, ["u"] * 4, [1.0, 2, 3, 4], [8.0, 6, 4, 2])    # corr -1
    assert _metric("pcd")(real, synth, SMALL).value == pytest.approx(np.sqrt(8))
    const = _small(["p"] * 4, ["u"] * 4, [1.0, 2, 3, 4], [5.0] * 4)         # NaN -> 0: off-diag 0, diag (1, 0)
    assert _metric("pcd")(real, const, SMALL).value == pytest.approx(np.sqrt(1 + 1 + 1))


def test_emd_is_mean_ecdf_gap_over_real_fd_bins_quirk():
    from scipy import stats

    rng = np.random.default_rng(1)
    for _ in range(50):
        r = np.round(rng.lognormal(4, 2, size=int(rng.integers(3, 400))), int(rng.integers(0, 3)))
        s = np.round(rng.lognormal(4, 2.5, size=int(rng.integers(3, 400))))
        counts, edges = np.histogram(r, bins="fd")
        e1 = np.cumsum(counts) / len(r)
        e2 = np.cumsum(np.histogram(s, bins=edges)[0]) / len(s)
        table_r = _small(["p"] * len(r), ["u"] * len(r), r, r)
        table_s = _small(["p"] * len(s), ["u"] * len(s), s, s)
        got = _metric("emd")(table_r, table_s, SMALL).value
        assert got == pytest.approx(stats.wasserstein_distance(e1, e2), rel=1e-10, abs=1e-15)


def test_emd_handles_huge_bin_counts_without_materialising():
    r = np.concatenate([np.full(999, 100.0), [1e12]])  # IQR 0 -> 1 bin; add spread for many bins
    r[:500] += np.arange(500) * 1e-3
    t = _small(["p"] * len(r), ["u"] * len(r), r, r)
    v = _metric("emd")(t, t, SMALL).value
    assert v == 0.0


def test_emd_w1_is_true_wasserstein_on_scaled_values():
    real = _small(["p"] * 2, ["u"] * 2, [0.0, 10.0], [0.0, 10.0])
    synth = _small(["p"] * 2, ["u"] * 2, [10.0, 10.0], [0.0, 10.0])
    # x: scaled real {0, 1}, synth {1, 1} -> W1 = 0.5; y identical -> 0
    assert _metric("emd-w1")(real, synth, SMALL).value == pytest.approx(0.25)


def test_missing_values_raise_clear_error():
    real = _small(["p", "q"], ["u", "v"], [1.0, 2], [1.0, 2])
    bad = real.copy()
    bad.loc[0, "x"] = np.nan
    with pytest.raises(ValueError, match="'x'"):
        _metric("pcd")(real, bad, SMALL)

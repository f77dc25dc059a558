"""dcr, alpha-precision, beta-recall, authenticity on constructed flows; the shared flow encoding."""
from __future__ import annotations

import numpy as np
import pytest

from secgen_bench import registry
from secgen_bench.metrics.density_coverage import encode
from secgen_bench.metrics.flow_encoding import FlowEncoding
from secgen_bench.metrics.privacy import DCR, AlphaPrecision, Authenticity, BetaRecall
from tests.ids_tables import SCHEMA, benign, noise_like

N = 600


@pytest.fixture(scope="module")
def tables():
    real, hold = benign(N, 0), benign(N, 1)
    return real, hold, noise_like(real, N, 3)


def test_dcr_of_a_copier_is_one_and_its_closest_records_are_zero(tables):
    real, hold, _ = tables
    res = DCR()(real, real.copy(), SCHEMA, holdout=hold, seed=0)
    assert res.value > 0.95
    assert res.breakdown["dcr_p5"] == 0.0 and res.breakdown["exact_copies"] == 1.0


def test_dcr_of_the_reference_row_sits_near_one_half(tables):
    real, hold, _ = tables
    res = DCR()(real, hold, SCHEMA, holdout=hold, seed=0)  # the Reference row: synthetic is the holdout
    assert res.breakdown["reference_split"] is True
    assert 0.35 < res.value < 0.65
    fresh = DCR()(real, benign(N, 7), SCHEMA, holdout=hold, seed=0)  # an honest generator of new flows
    assert 0.35 < fresh.value < 0.65 and fresh.breakdown["exact_copies"] < 0.5


def test_dcr_needs_a_holdout(tables):
    real, _, noise = tables
    with pytest.raises(ValueError, match="holdout"):
        DCR()(real, noise, SCHEMA, seed=0)


def test_dcr_is_deterministic_for_a_seed(tables):
    real, hold, _ = tables
    bigger = benign(N + 100, 4)  # forces a seeded draw of the training rows
    a = DCR()(bigger, benign(N, 5), SCHEMA, holdout=hold, seed=3)
    b = DCR()(bigger, benign(N, 5), SCHEMA, holdout=hold, seed=3)
    assert a.value == b.value and a.breakdown == b.breakdown


def test_authenticity_is_zero_for_copies_and_high_for_noise(tables):
    real, hold, noise = tables
    assert Authenticity()(real, real.copy(), SCHEMA).value < 0.05
    assert Authenticity()(real, noise, SCHEMA).value > 0.9
    assert 0.05 < Authenticity()(real, hold, SCHEMA).value < 0.95


def test_alpha_precision_and_beta_recall_separate_real_from_noise(tables):
    real, hold, noise = tables
    for metric in (AlphaPrecision(), BetaRecall()):
        good, bad = metric(real, hold, SCHEMA).value, metric(real, noise, SCHEMA).value
        assert good > 0.85 and bad < 0.5, metric.name
        assert 0.0 <= bad <= good <= 1.0


def test_knn_view_on_real_and_synthetic_is_the_density_coverage_input(tables):
    real, _, noise = tables
    (r_num, r_codes), (s_num, s_codes) = FlowEncoding(SCHEMA, [("real", real), ("synthetic", noise)], "t").knn(
        ("real", real), ("synthetic", noise))
    e_r_num, e_s_num, e_r_codes, e_s_codes, _, _ = encode(real, noise, SCHEMA)
    np.testing.assert_array_equal(r_num, e_r_num)
    np.testing.assert_array_equal(s_num, e_s_num)
    got, want = np.vstack([r_codes, s_codes]), np.vstack([e_r_codes, e_s_codes])
    for j in range(got.shape[1]):  # numbered differently, equal exactly where Density/Coverage's are equal
        np.testing.assert_array_equal(got[:, j][:, None] == got[:, j][None, :], want[:, j][:, None] == want[:, j][None, :])


def test_dense_view_caps_levels_and_keeps_other(tables):
    real, _, noise = tables
    enc = FlowEncoding(SCHEMA, [("real", real)], "t")
    x = enc.dense(noise, "synthetic")
    width = len(enc.numeric_columns) + sum(len(enc.levels[c]) + 1 for c in enc.categorical_columns)
    assert x.shape == (N, width)
    # every categorical column contributes exactly one 1 per row (its level or "other")
    assert np.all(x[:, len(enc.numeric_columns):].sum(axis=1) == len(enc.categorical_columns))


@pytest.mark.parametrize("name, family", [("dcr", "privacy"), ("alpha-precision", "privacy"),
                                          ("beta-recall", "privacy"), ("authenticity", "privacy"),
                                          ("c2st", "detectability"), ("ids-utility", "utility"),
                                          ("ids-tstr", "utility")])
def test_registered_opt_in_outside_the_average_rank(name, family):
    cls = registry.metrics.get(name)
    assert cls.family == family and cls.default is False and cls.in_average_rank is False
    assert cls.track == "flows"
    assert registry.metrics.get("density").family == "fidelity" and registry.metrics.get("density").default


@pytest.mark.parametrize("metric", [DCR(), AlphaPrecision(), BetaRecall(), Authenticity()], ids=lambda m: m.name)
def test_row_order_cannot_change_a_value(tables, metric):
    real, hold, _ = tables
    real = benign(N + 50, 4)  # larger than the holdout: dcr draws training rows
    # few distinct rows: many ties, which must not be broken by position
    synth = benign(40, 8).sample(N, replace=True, random_state=0).reset_index(drop=True)
    shuffle = np.random.default_rng(1).permutation
    a = metric(real, synth, SCHEMA, holdout=hold, seed=2)
    b = metric(real.iloc[shuffle(len(real))].reset_index(drop=True), synth.iloc[shuffle(N)].reset_index(drop=True),
               SCHEMA, holdout=hold.iloc[shuffle(N)].reset_index(drop=True), seed=2)
    assert a.value == b.value and a.breakdown == b.breakdown

"""MD: hand-computed F1 curve, the spec's two corrections, vectorised == naive, seeded sampling.

The fixture values (tests/test_metrics_fixtures.py) match the artefact exactly:
the fixture MD was computed on 500-row files and MD draws 500 of 500 rows, a
permutation that cannot change the value. With larger tables the artefact's
unseeded ``DataFrame.sample`` cannot be reproduced; ours is seeded, so only
determinism and order invariance are tested there.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from secgen_bench.metrics.md import MD, RADII, f1_curve, mismatch_matrix
from secgen_bench.schema import Column, FlowSchema, Role

S = FlowSchema("md", (Column("a", Role.CATEGORICAL), Column("b", Role.CATEGORICAL), Column("x", Role.CONTINUOUS),
                      Column("label", Role.LABEL)))


def _t(a, b, x):
    return S.validate(pd.DataFrame({"a": a, "b": b, "x": x, "label": ["n"] * len(a)}))


def test_hand_computed_curve():
    train = _t(["p", "q"], ["u", "v"], [1.0, 2.0])
    holdout = _t(["r", "s"], ["w", "z"], [3.0, 4.0])
    synth = _t(["p", "s"], ["u", "z"], [1.0, 9.0])
    # train row 0 equals synth row 0 (distance 0); holdout row 1 is 1/3 away from synth row 1;
    # train row 1 and holdout row 0 are 1 away from everything. Labels are ignored.
    # r < 1/3: flagged {train0}: recall 1/2, precision 1 -> F1 2/3
    # 1/3 <= r < 1: flagged {train0, hold1}: recall 1/2, precision 1/2 -> 1/2
    # r = 1: all flagged: recall 1, precision 1/2 -> 2/3
    expected = sum(2 / 3 if r < 1 / 3 else (0.5 if r < 1 else 2 / 3) for r in RADII)
    res = MD()(train, synth, S, holdout=holdout, seed=0)
    assert res.value == pytest.approx(expected)
    assert len(res.breakdown) == 15


def test_radius_with_only_holdout_flagged_adds_zero():
    train = _t(["p"], ["u"], [1.0])
    holdout = _t(["q"], ["v"], [2.0])
    synth = _t(["q"], ["v"], [2.0])  # a copy of the holdout row only
    # r < 1: flagged = {holdout}: no training row -> 0 (the artefact's NaN); r = 1: F1 = 2/3
    assert MD()(train, synth, S, holdout=holdout).value == pytest.approx(2 / 3)


def test_continuous_values_match_only_when_equal():
    train = _t(["p"], ["u"], [1.0])
    synth = _t(["p"], ["u"], [1.0 + 1e-9])
    holdout = _t(["z"], ["z"], [5.0])
    # distance 1/3 to train, 1 to holdout
    expected = sum((2 / 3 if r >= 1 else 1.0) if r >= 1 / 3 else 0.0 for r in RADII)
    assert MD()(train, synth, S, holdout=holdout).value == pytest.approx(expected)


def test_vectorised_equals_naive_loop():
    from scipy.spatial import distance

    rng = np.random.default_rng(0)
    real, synth = rng.integers(0, 3, (60, 4)), rng.integers(0, 3, (30, 4))
    m = mismatch_matrix(real, synth, chunk=7)
    for i in range(60):
        for j in range(30):
            assert m[i, j] / 4 == distance.hamming(real[i], synth[j])
    is_train = np.r_[np.zeros(30, bool), np.ones(30, bool)]
    naive = 0.0
    ham = m / 4
    for r in RADII:
        res = (ham <= r).any(axis=1)
        tp = (res & is_train).sum()
        if res.sum() and tp:
            pr, rr = tp / 30, tp / res.sum()
            naive += 2 * pr * rr / (pr + rr)
    assert f1_curve(m, 4, is_train)[0] == pytest.approx(naive)


def _random(rng, n):
    return _t(rng.choice(list("abcd"), n), rng.choice(list("uvw"), n), rng.integers(0, 5, n).astype(float))


def test_seeded_sampling_is_deterministic_and_needs_holdout():
    rng = np.random.default_rng(1)
    train, holdout, synth = _random(rng, 900), _random(rng, 800), _random(rng, 700)
    md = MD()
    a = md(train, synth, S, holdout=holdout, seed=3).value
    assert a == md(train, synth, S, holdout=holdout, seed=3).value
    assert 0 <= a <= 15
    small = MD(n=50)
    assert small(train, synth, S, holdout=holdout, seed=1).value != small(train, synth, S, holdout=holdout, seed=2).value
    with pytest.raises(ValueError, match="holdout"):
        md(train, synth, S)


def test_row_order_is_irrelevant_when_tables_are_sampled_whole():
    rng = np.random.default_rng(2)
    train, holdout, synth = _random(rng, 120), _random(rng, 120), _random(rng, 120)
    md = MD(n=120)
    a = md(train, synth, S, holdout=holdout, seed=0).value
    b = md(train.iloc[::-1].reset_index(drop=True), synth, S, holdout=holdout, seed=5).value
    assert a == pytest.approx(b)

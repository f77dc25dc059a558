"""Density/Coverage: equal to the prdc package on the same encoded inputs, block-size invariant, prdc's duplicate rule."""
from __future__ import annotations

import contextlib
import io

import numpy as np
import pandas as pd
import pytest

from secgen_bench.metrics._prdc_torch import density_coverage
from secgen_bench.schema import Column, FlowSchema, Role

prdc = pytest.importorskip("prdc")


def _prdc(real, fake, k=5):
    with contextlib.redirect_stdout(io.StringIO()):  # prdc prints the sizes
        out = prdc.compute_prdc(real, fake, k)
    return out["density"], out["coverage"]


@pytest.mark.parametrize("mode", ["exact", "fast"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_equals_prdc_on_random_inputs(mode, seed):
    rng = np.random.default_rng(seed)
    real = rng.random((300, 7))
    fake = rng.random((250, 7)) * 1.2
    res = density_coverage(real, fake, k=5, mode=mode, device="cpu")
    assert (res.density, res.coverage) == pytest.approx(_prdc(real, fake), abs=1e-12)


def test_categorical_codes_equal_prdc_on_one_hot():
    rng = np.random.default_rng(3)
    n, m = 200, 180
    real_num, fake_num = rng.random((n, 2)), rng.random((m, 2))
    real_codes, fake_codes = rng.integers(0, 4, (n, 3)), rng.integers(0, 4, (m, 3))

    def dense(num, codes):
        return np.hstack([num] + [np.eye(4)[codes[:, j]] for j in range(codes.shape[1])])

    expected = _prdc(dense(real_num, real_codes), dense(fake_num, fake_codes))
    got = density_coverage(real_num, fake_num, real_codes, fake_codes, mode="exact", device="cpu")
    assert (got.density, got.coverage) == pytest.approx(expected, abs=1e-12)


def test_duplicates_make_radius_zero_as_prdc():
    # 0/1 data: every product and norm is an exact integer, so prdc's distances are exact too
    rng = np.random.default_rng(4)
    base = rng.integers(0, 2, (40, 6)).astype(float)
    real = np.vstack([base, np.repeat(base[:3], 5, axis=0)])       # rows 0-2 have 5 duplicates: r = 0
    fake = np.vstack([base[:3], rng.integers(0, 2, (30, 6)).astype(float)])
    expected = _prdc(real, fake)
    got = density_coverage(real, fake, mode="exact", device="cpu")
    assert (got.density, got.coverage) == pytest.approx(expected, abs=1e-12)
    # only the duplicated points: each has r_i = 0 and nothing is strictly closer than 0
    dup = np.repeat(base[:1], 6, axis=0)
    res = density_coverage(dup, dup, mode="exact", device="cpu")
    assert res.density == 0 and res.coverage == 0


@pytest.mark.parametrize("block", [1, 7, 64, 1000])
def test_block_size_does_not_change_the_result(block):
    rng = np.random.default_rng(5)
    real, fake = rng.random((150, 4)), rng.random((120, 4))
    codes_r, codes_f = rng.integers(0, 3, (150, 2)), rng.integers(0, 3, (120, 2))
    ref = density_coverage(real, fake, codes_r, codes_f, mode="exact", device="cpu", block=150)
    got = density_coverage(real, fake, codes_r, codes_f, mode="exact", device="cpu", block=block)
    assert (got.density, got.coverage) == (ref.density, ref.coverage)


SCHEMA = FlowSchema("dc", (Column("ts", Role.TIMESTAMP), Column("ip", Role.IP), Column("port", Role.PORT),
                          Column("bytes", Role.BYTES), Column("dur", Role.DURATION)))


def _table(rng, n):
    return SCHEMA.validate(pd.DataFrame({
        "ts": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 10**12, n), unit="ns"),
        "ip": rng.choice([f"10.0.0.{i}" for i in range(60)], n),
        "port": rng.choice([22, 53, 80, 443], n),
        "bytes": rng.integers(40, 10**6, n),
        "dur": rng.exponential(2.0, n),
    }))


def test_metric_encoding_matches_dense_artefact_encoding_with_prdc():
    from secgen_bench import registry
    from secgen_bench.metrics.density_coverage import encode

    rng = np.random.default_rng(6)
    real, synth = _table(rng, 300), _table(rng, 200)
    r_num, s_num, r_codes, s_codes, hot, num = encode(real, synth, SCHEMA)
    assert hot == ["ip", "port"] and num == ["ts", "bytes", "dur"]
    both = pd.concat([real, synth], ignore_index=True)
    both["ts"] = both["ts"].astype("int64")
    dense = pd.get_dummies(both, columns=hot).astype(float).to_numpy()
    lo, hi = dense.min(0), dense.max(0)
    dense = (dense - lo) / np.where(hi > lo, hi - lo, 1)
    expected = _prdc(dense[:300], dense[300:])
    d = registry.metrics.get("density")()(real, synth, SCHEMA).value
    c = registry.metrics.get("coverage")()(real, synth, SCHEMA).value
    assert (d, c) == pytest.approx(expected, abs=1e-12)


def test_identical_tables_cover_fully_and_row_order_is_irrelevant():
    from secgen_bench import registry

    rng = np.random.default_rng(7)
    real = _table(rng, 200)
    shuffled = real.sample(frac=1.0, random_state=1).reset_index(drop=True)
    cov = registry.metrics.get("coverage")()
    dens = registry.metrics.get("density")()
    assert cov(real, shuffled, SCHEMA).value == 1.0
    assert dens(real, shuffled, SCHEMA).value == pytest.approx(1.0, abs=0.05)
    synth = _table(rng, 150)
    assert dens(real, synth, SCHEMA).value == dens(shuffled, synth.iloc[::-1].reset_index(drop=True), SCHEMA).value


def test_bad_mode_and_tiny_input_raise():
    with pytest.raises(ValueError, match="mode"):
        density_coverage(np.zeros((10, 2)), np.zeros((3, 2)), mode="approx", device="cpu")
    with pytest.raises(ValueError, match="more than k"):
        density_coverage(np.zeros((5, 2)), np.zeros((3, 2)), device="cpu")

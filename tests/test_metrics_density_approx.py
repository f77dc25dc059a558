"""The approximate (FAISS) Density/Coverage engine: close to the exact one, deterministic, chosen only at scale."""
from __future__ import annotations

import numpy as np
import pytest

from secgen_bench.metrics import density_coverage as dc

faiss = pytest.importorskip("faiss")


@pytest.fixture(scope="module")
def two_captures():
    from secgen_bench.datasets.simnet import SimNet

    real = SimNet().load(profile="quick", seed=0, n_flows=6000)
    synth = SimNet().load(profile="quick", seed=1, n_flows=6000).table
    return real.table, synth, real.schema


def test_approx_is_close_to_exact_on_flow_tables(two_captures):
    real, synth, schema = two_captures
    exact = dc.density_coverage_result(real, synth, schema, mode="exact")
    approx = dc.density_coverage_result(real, synth, schema, mode="approx")
    assert approx["mode"] == "approx" and exact["mode"] == "exact"
    assert approx["density"] == pytest.approx(exact["density"], abs=0.02)
    assert approx["coverage"] == pytest.approx(exact["coverage"], abs=0.02)
    assert approx["extra"]["approximate"] == 1.0 and 0.0 <= approx["extra"]["saturated_share"] <= 1.0
    assert exact["extra"] == {}


def test_approx_sees_a_different_distribution(two_captures):
    real, synth, schema = two_captures
    shifted = synth.copy()
    for c in schema.continuous:
        shifted[c] = shifted[c] * 7 + 1000  # every numeric column far from the real one
    same = dc.density_coverage_result(real, synth, schema, mode="approx")
    far = dc.density_coverage_result(real, shifted, schema, mode="approx")
    assert far["coverage"] < same["coverage"] / 2 and far["density"] < same["density"] / 2


def test_approx_is_deterministic_for_a_seed():
    from secgen_bench.metrics._prdc_approx import density_coverage

    rng = np.random.default_rng(3)
    real, synth = rng.random((3000, 4)), rng.random((2500, 4)) ** 1.2
    codes_r, codes_s = rng.integers(0, 300, (3000, 2)), rng.integers(0, 300, (2500, 2))
    a = density_coverage(real, synth, codes_r, codes_s, seed=4)
    b = density_coverage(real, synth, codes_r, codes_s, seed=4)
    assert (a.density, a.coverage, a.saturated) == (b.density, b.coverage, b.saturated)


def test_identical_tables_are_fully_covered_by_the_approximate_engine():
    from secgen_bench.metrics._prdc_approx import density_coverage

    rng = np.random.default_rng(5)
    real = rng.random((4000, 3))
    res = density_coverage(real, real.copy(), seed=0)
    assert res.coverage == 1.0  # every row's own copy is at distance 0 < r_i


def test_auto_takes_the_approximate_engine_only_above_the_threshold(monkeypatch):
    assert not dc.use_approx("auto", 1000, 1000, "cpu")
    assert dc.use_approx("auto", dc.APPROX_MIN_ROWS + 1, 10, "cpu")
    assert not dc.use_approx("exact", dc.APPROX_MIN_ROWS * 10, 10, "cpu")
    assert not dc.use_approx("auto", dc.APPROX_MIN_ROWS * 10, 10, "cuda")  # a GPU runs the exact kernel
    assert dc.use_approx("approx", 10, 10, "cpu")


def test_the_metric_breakdown_says_when_it_was_approximate(two_captures, monkeypatch):
    real, synth, schema = two_captures
    monkeypatch.setattr(dc, "APPROX_MIN_ROWS", 1000)
    monkeypatch.setattr(dc, "_CACHE", type(dc._CACHE)())
    res = dc.Density(device="cpu")(real, synth, schema)
    assert res.breakdown["approximate"] == 1.0
    monkeypatch.setattr(dc, "APPROX_MIN_ROWS", 10**9)
    assert "approximate" not in dc.Density(device="cpu")(real, synth, schema).breakdown

"""The numpy kNN engine (used without torch) gives the torch engine's exact results on the CPU."""
from __future__ import annotations

import numpy as np
import pytest

from secgen_bench.metrics import _prdc_numpy

torch_engine = pytest.importorskip("secgen_bench.metrics._prdc_torch")
knn_torch = pytest.importorskip("secgen_bench.metrics._knn_torch")


@pytest.fixture(autouse=True)
def _torch_summation_order(monkeypatch):
    """torch's DEFAULT (no FMA) kernel sums without the fused last term; its AVX2/AVX512 kernels fuse it."""
    import torch

    monkeypatch.setattr(_prdc_numpy, "FUSED_LAST_TERM", torch.backends.cpu.get_cpu_capability() != "DEFAULT")


@pytest.mark.parametrize("p", [1, 2, 3, 5, 8, 11, 30, 33])
def test_exact_squared_distances_are_bit_identical(p):
    import torch

    rng = np.random.default_rng(p)
    x, y = rng.random((60, p)) * 3, rng.random((70, p))
    want = torch.cdist(torch.from_numpy(x), torch.from_numpy(y), compute_mode="donot_use_mm_for_euclid_dist")
    want = (want * want).numpy()
    got, _ = _prdc_numpy._Distances("exact", y, None, np.float64).block(x, None)
    np.testing.assert_array_equal(got, want)


def test_fused_multiply_add_rounds_once():
    from fractions import Fraction

    rng = np.random.default_rng(11)
    a, c = rng.random(3000) * 7, rng.random(3000) * rng.choice([1e-6, 1.0, 1e4], 3000)
    want = np.array([float(Fraction(v) * Fraction(v) + Fraction(w)) for v, w in zip(a, c)])
    np.testing.assert_array_equal(_prdc_numpy._fused_multiply_add(a, a, c), want)
    assert (want != a * a + c).any()  # the plain sum differs somewhere, so the test can fail


def _points(seed, n, m, p, q, duplicates=True):
    """Random numeric + categorical points with exact duplicates inside the real set and across sets."""
    rng = np.random.default_rng(seed)
    real_num = np.round(rng.random((n, p)), 2)  # coarse grid: many equal coordinate differences
    synth_num = np.round(rng.random((m, p)) * 1.1, 2)
    real_codes = rng.integers(0, 3, (n, q)) if q else None
    synth_codes = rng.integers(0, 3, (m, q)) if q else None
    if duplicates:
        real_num[: n // 5] = real_num[n // 5: 2 * (n // 5)]
        synth_num[: m // 4] = real_num[: m // 4]
        if q:
            real_codes[: n // 5] = real_codes[n // 5: 2 * (n // 5)]
            synth_codes[: m // 4] = real_codes[: m // 4]
    return real_num, synth_num, real_codes, synth_codes


@pytest.mark.parametrize("p,q", [(1, 0), (2, 0), (4, 3), (8, 0), (0, 4), (3, 2)])
@pytest.mark.parametrize("seed", [0, 1])
def test_exact_density_coverage_equals_torch(seed, p, q):
    real_num, synth_num, real_codes, synth_codes = _points(seed, 240, 200, p, q)
    for block in (None, 7):
        want = torch_engine.density_coverage(real_num, synth_num, real_codes, synth_codes, k=5, mode="exact",
                                             device="cpu", block=block)
        got = _prdc_numpy.density_coverage(real_num, synth_num, real_codes, synth_codes, k=5, mode="exact",
                                           device="cpu", block=block)
        assert (got.density, got.coverage, got.mode, got.device) == (want.density, want.coverage, "exact", "cpu")


def test_duplicates_give_zero_radius_like_torch():
    real = np.repeat(np.random.default_rng(4).random((20, 3)), 6, axis=0)  # every row has 5 exact copies
    synth = real[:50].copy()
    got = _prdc_numpy.density_coverage(real, synth, k=5, mode="exact")
    want = torch_engine.density_coverage(real, synth, k=5, mode="exact", device="cpu")
    assert (got.density, got.coverage) == (want.density, want.coverage) == (0.0, 0.0)


def test_fast_mode_matches_torch_on_continuous_data():
    rng = np.random.default_rng(5)
    real, synth = rng.random((300, 6)), rng.random((250, 6)) * 1.2
    got = _prdc_numpy.density_coverage(real, synth, k=5, mode="fast")
    want = torch_engine.density_coverage(real, synth, k=5, mode="fast", device="cpu")
    assert (got.density, got.coverage, got.mode) == (want.density, want.coverage, "fast")


def test_auto_picks_exact_and_cuda_needs_torch():
    real, synth = np.random.default_rng(6).random((30, 2)), np.random.default_rng(7).random((30, 2))
    assert _prdc_numpy.density_coverage(real, synth).mode == "exact"
    with pytest.raises(ValueError, match="needs torch"):
        _prdc_numpy.density_coverage(real, synth, device="cuda")


@pytest.mark.parametrize("exclude_self", [False, True])
def test_knn_equals_torch(exclude_self):
    real_num, _, real_codes, _ = _points(8, 150, 10, 3, 2, duplicates=False)
    query = (real_num, real_codes)
    for q, ref in ((query, query), ((real_num[:40] + 0.003, real_codes[:40]), query)):
        d_np, i_np = _prdc_numpy.knn(q, ref, 4, exclude_self=exclude_self, block_elements=500)
        d_t, i_t = knn_torch.knn(q, ref, 4, exclude_self=exclude_self)
        np.testing.assert_array_equal(d_np, d_t)
        unique = np.array([len(set(row)) == len(row) for row in d_t])  # where no tie can reorder indices
        np.testing.assert_array_equal(i_np[unique], i_t[unique])


@pytest.mark.parametrize("reduce", ["max", "min"])
def test_nearest_tied_equals_torch(reduce):
    real_num, synth_num, real_codes, synth_codes = _points(9, 120, 90, 2, 1)
    values = np.random.default_rng(10).random(120)
    got = _prdc_numpy.nearest_tied((synth_num, synth_codes), (real_num, real_codes), values, reduce, 300)
    want = knn_torch.nearest_tied((synth_num, synth_codes), (real_num, real_codes), values, reduce)
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])

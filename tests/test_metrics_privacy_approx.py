"""The privacy metrics' approximate kNN path (FAISS candidates, exact re-ranking): the exact neighbours
where its candidates are complete, never nearer than them, close on flow tables, copiers still caught,
chosen only past the threshold, and exact (saying so) without faiss."""
from __future__ import annotations

import importlib.util
import sys

import numpy as np
import pytest

from secgen_bench.metrics import _knn_torch
from secgen_bench.metrics.privacy import DCR, AlphaPrecision, Authenticity, BetaRecall

needs_faiss = pytest.mark.skipif(importlib.util.find_spec("faiss") is None, reason="faiss-cpu not installed")
METRICS = (DCR, AlphaPrecision, BetaRecall, Authenticity)


def _tables(rng, sizes, codes):
    """Encoded tables (numeric part, codes): numbers rounded to one decimal so that many distances tie."""
    return [(rng.random((n, 3)).round(1), rng.integers(0, codes, (n, 2))) for n in sizes]


@needs_faiss
def test_complete_candidates_give_the_exact_neighbours_to_the_bit():
    from secgen_bench.metrics._knn_approx import ApproxNeighbours

    views = _tables(np.random.default_rng(0), (400, 300), 50)
    approx, exact = ApproxNeighbours(views, seed=0, candidates=400), _knn_torch.ExactNeighbours(views)
    for q, r, k, own in ((0, 0, 5, True), (0, 0, 5, False), (0, 1, 3, False), (1, 0, 1, False)):
        np.testing.assert_array_equal(approx.knn(q, r, k, exclude_self=own)[0], exact.knn(q, r, k, exclude_self=own)[0])
    values = np.random.default_rng(1).integers(0, 5, 300).astype(float)
    for reduce in ("max", "min"):
        for got, want in zip(approx.nearest_tied(0, 1, values, reduce), exact.nearest_tied(0, 1, values, reduce)):
            np.testing.assert_array_equal(got, want)


@needs_faiss
def test_a_missed_neighbour_can_only_make_a_distance_larger():
    from secgen_bench.metrics._knn_approx import ApproxNeighbours

    rng = np.random.default_rng(2)
    # 300 codes a column: most are hashed together in the search vectors, so the search misses some
    views = [(rng.random((n, 4)), rng.integers(0, 300, (n, 3))) for n in (5000, 4000)]
    approx, exact = ApproxNeighbours(views, seed=0), _knn_torch.ExactNeighbours(views)
    got, want = approx.knn(0, 1, 5)[0], exact.knn(0, 1, 5)[0]
    assert (got >= want).all() and (got > want).any()
    values = np.zeros(4000)
    near, near_exact = approx.nearest_tied(0, 1, values, "max")[0], exact.nearest_tied(0, 1, values, "max")[0]
    assert (near >= near_exact).all()  # found, or too large; never smaller


@pytest.fixture(scope="module")
def flows():
    from secgen_bench.datasets.simnet import SimNet

    real = SimNet().load(profile="quick", seed=0, n_flows=3000)
    synth = SimNet().load(profile="quick", seed=1, n_flows=3000).table
    hold = SimNet().load(profile="quick", seed=2, n_flows=3000).table
    return real.table, synth, hold, real.schema


@needs_faiss
@pytest.mark.parametrize("metric", METRICS, ids=lambda m: m.name)
def test_approximate_values_are_close_to_the_exact_ones_on_flow_tables(flows, metric):
    real, synth, hold, schema = flows
    exact = metric(mode="exact")(real, synth, schema, holdout=hold, seed=0)
    approx = metric(approx_min_rows=1000)(real, synth, schema, holdout=hold, seed=0)  # 3,000 rows: past it
    assert approx.breakdown["approximate"] == 1.0 and "approximate" not in exact.breakdown
    assert approx.value == pytest.approx(exact.value, abs=0.02)
    if metric is AlphaPrecision:  # no neighbours in it
        assert approx.value == exact.value
    again = metric(approx_min_rows=1000)(real, synth, schema, holdout=hold, seed=0)
    assert again.value == approx.value and again.breakdown == approx.breakdown


@needs_faiss
def test_a_copier_still_scores_as_a_copier(flows):
    real, _, hold, schema = flows
    dcr = DCR(approx_min_rows=1000)(real, real.copy(), schema, holdout=hold, seed=0)
    assert dcr.breakdown["approximate"] == 1.0
    assert dcr.value > 0.95 and dcr.breakdown["exact_copies"] == 1.0 and dcr.breakdown["dcr_p5"] == 0.0
    assert Authenticity(approx_min_rows=1000)(real, real.copy(), schema).value < 0.05


@pytest.mark.parametrize("metric", METRICS, ids=lambda m: m.name)
def test_below_the_threshold_auto_is_the_exact_path(flows, metric):
    real, synth, hold, schema = flows
    auto = metric()(real, synth, schema, holdout=hold, seed=0)
    exact = metric(mode="exact", approx_min_rows=0)(real, synth, schema, holdout=hold, seed=0)
    assert auto.value == exact.value and auto.breakdown == exact.breakdown and "approximate" not in auto.breakdown


def test_without_faiss_past_the_threshold_it_is_exact_and_says_so(flows, monkeypatch):
    real, synth, hold, schema = flows
    monkeypatch.setitem(sys.modules, "faiss", None)  # import faiss now raises ImportError
    for metric in (DCR, BetaRecall):
        res = metric(approx_min_rows=1000)(real, synth, schema, holdout=hold, seed=0)
        exact = metric(mode="exact")(real, synth, schema, holdout=hold, seed=0)
        assert res.breakdown["approximate"] == 0.0 and res.value == exact.value


def test_mode_is_checked():
    with pytest.raises(ValueError, match="mode"):
        DCR(mode="fast")

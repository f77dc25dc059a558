"""FlowChronicle's large-table fast paths compute exactly what the plain paths compute.

Two paths exist for speed at large n (issue 19): the cover finishes a propagation in key order
(``Cover._sweep``) when vectorised rounds would decide a few windows each (chains of overlapping
windows, which grow with the density of the table), and BN hill climbing counts over the distinct
rows weighted by multiplicity. Each is forced here and compared with the plain path and with the
reference greedy pass.
"""
from __future__ import annotations

import numpy as np
import pytest

from secgen_bench.generators.flowchronicle import bn
from secgen_bench.generators.flowchronicle.cover import Cover, greedy_cover_reference
from secgen_bench.generators.flowchronicle.model import MDLModel
from secgen_bench.generators.flowchronicle.search import GreedySearch, SearchLimits

from tests.test_flowchronicle_equivalence import IP_COLS, exercise_cover, planted_codes


@pytest.fixture
def always_sweep(monkeypatch):
    """Switch to the key-order sweep after the first vectorised round of every propagation."""
    monkeypatch.setattr(Cover, "SWEEP_AFTER", 0)
    monkeypatch.setattr(Cover, "SWEEP_MIN", 0)
    monkeypatch.setattr(Cover, "SWEEP_RATIO", 10 ** 9)


@pytest.mark.parametrize("seed", range(6))
def test_swept_cover_equals_full_greedy_pass_after_every_operation(seed, always_sweep):
    cover = exercise_cover(np.random.default_rng(900 + seed))
    assert cover.n_rounds > 0


def chain_then_rollback(n: int = 3000) -> Cover:
    """Windows (i, i+1): every window waits on the previous one; the greedy keeps every other one.
    A competing older pattern then takes some flows, which re-decides the rest of the chain. Checks
    the cover against the full greedy pass, rolls the chain back and checks the older pattern is
    whole again; returns the cover (for checks on the path it took)."""
    cover = Cover(n)
    other = np.arange(100, n - 1, 97)[:, None]
    chain = np.stack([np.arange(n - 1), np.arange(1, n)], axis=1)
    cover.begin()
    cover.insert(0, other, 1, 0)
    cover.commit()
    cover.begin()
    cover.insert(1, chain, 2, 1)
    ref = greedy_cover_reference([(other, 1, 0), (chain, 2, 1)], n)
    assert {tuple(r) for r in cover.accepted_windows(1).tolist()} == ref[1]
    assert {tuple(r) for r in cover.accepted_windows(0).tolist()} == ref[0]
    cover.rollback()
    assert cover.usage(0) == len(other) and (cover.owner >= 0).sum() == len(other)
    assert cover.usage(1) == 0
    return cover


def test_chain_of_overlapping_windows_is_swept_and_exact():
    cover = chain_then_rollback()
    assert cover.n_sweeps == 1               # the sweep finished the chain, not ~n/2 rounds of all of it


def test_bic_from_distinct_rows_equals_bic_from_all_rows():
    rng = np.random.default_rng(7)
    for _ in range(20):
        m, v = int(rng.integers(1, 2000)), int(rng.integers(1, 7))
        data = rng.integers(0, rng.integers(1, 6, size=v), size=(m, v)) * 3
        local, card, _ = bn.compress(data)
        rows, weight = bn.distinct_rows(local, card)
        assert weight.sum() == m and len(np.unique(rows, axis=0)) == len(rows)
        for child in range(v):
            others = [j for j in range(v) if j != child]
            for parents in ((), tuple(others[:1]), tuple(others[:3])):
                assert bn.bic_local(rows, card, child, parents, weight) == bn.bic_local(local, card, child, parents)


def _search_fingerprint():
    codes, times = planted_codes(seed=3, n=600)
    model = MDLModel(codes, times)
    search = GreedySearch(model, list(IP_COLS), SearchLimits())
    search.run()
    pats = [(repr(e.pattern), model.cover.usage(e.pid)) for e in model.entries.values()]
    return pats, model.total_bits(), [e.bn.parents for e in model.entries.values() if e.bn is not None]


def test_whole_search_is_identical_with_the_fast_paths_forced_or_disabled(monkeypatch):
    fast = _search_fingerprint()
    monkeypatch.setattr(Cover, "SWEEP_MIN", 10 ** 12)          # never sweep
    monkeypatch.setattr(bn, "distinct_rows", lambda local, card: (local, np.ones(len(local), dtype=np.int64)))
    plain = _search_fingerprint()
    monkeypatch.setattr(Cover, "SWEEP_AFTER", 0)
    monkeypatch.setattr(Cover, "SWEEP_MIN", 0)
    monkeypatch.setattr(Cover, "SWEEP_RATIO", 10 ** 9)        # always sweep
    swept = _search_fingerprint()
    assert fast == plain == swept
    assert len(fast[2]) > 0


def test_presence_table_unique_equals_numpy_unique():
    rng = np.random.default_rng(11)
    for size, lo, hi in ((1, 0, 1), (50, 0, 3), (500, -20, 40), (300, 0, 10 ** 7), (2000, 5, 9000)):
        a = rng.integers(lo, hi, size=size).astype(np.int64)
        uniq, inv = bn.unique_inverse(a)
        ref_u, ref_inv = np.unique(a, return_inverse=True)
        assert np.array_equal(uniq, ref_u) and np.array_equal(inv, ref_inv.reshape(-1))
        uc, counts = bn.unique_counts(a)
        ref_uc, ref_counts = np.unique(a, return_counts=True)
        assert np.array_equal(uc, ref_uc) and np.array_equal(counts, ref_counts)


def test_code_of_a_subset_equals_the_full_code_on_that_subset_bit_for_bit():
    from secgen_bench.generators.flowchronicle.model import FamilyCode

    rng = np.random.default_rng(5)
    for _ in range(60):
        m, v = int(rng.integers(2, 400)), int(rng.integers(1, 6))
        data = rng.integers(0, rng.integers(1, 5, size=v), size=(m, v)) * 5 + 1
        parents = [tuple(sorted(rng.choice([j for j in range(v) if j != i], size=min(i, v - 1, 2), replace=False)))
                   if v > 1 else () for i in range(v)]
        parents = [tuple(p for p in pa if p < i) for i, pa in enumerate(parents)]     # acyclic
        full = FamilyCode(data, parents)
        idx = np.sort(rng.choice(m, size=int(rng.integers(1, m + 1)), replace=False))
        coded = data.min(axis=0) != data.max(axis=0)
        sub = FamilyCode(data[idx], parents, coded)
        assert sub.bits(np.ones(len(idx), dtype=bool)) == full.bits(idx)

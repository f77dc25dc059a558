"""FlowChronicle's compiled loops (numba, the [fast] extra) compute exactly what the numpy paths compute.

Each kernel is forced on (``SECGEN_BENCH_FC_KERNELS=on``) and compared with the slow reference of
``test_flowchronicle_equivalence`` and with the numpy path, on random small tables; then a whole
search is run both ways. Skipped where numba is not installed (the numpy paths then run everywhere).
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

pytest.importorskip("numba")

from secgen_bench.generators.flowchronicle import kernels
from secgen_bench.generators.flowchronicle.bn import _family_counts, hill_climb
from secgen_bench.generators.flowchronicle.cover import Cover
from secgen_bench.generators.flowchronicle.model import MDLModel
from secgen_bench.generators.flowchronicle.occurrences import _dense_keys, column_major, find_windows, greedy_disjoint
from secgen_bench.generators.flowchronicle.pattern import USE, Cell
from secgen_bench.generators.flowchronicle.search import GreedySearch, SearchLimits

from tests.test_flowchronicle_equivalence import (IP_COLS, _check_cover, exercise_cover, planted_codes, random_codes,
                                                  random_pattern, reference_greedy_disjoint, reference_windows)
from tests.test_flowchronicle_speed import chain_then_rollback


@pytest.fixture
def compiled(monkeypatch):
    monkeypatch.setenv("SECGEN_BENCH_FC_KERNELS", "on")


def test_switch_follows_size_and_environment(monkeypatch):
    monkeypatch.delenv("SECGEN_BENCH_FC_KERNELS", raising=False)
    assert not kernels.enabled(kernels.MIN_FLOWS - 1) and kernels.enabled(kernels.MIN_FLOWS)
    monkeypatch.setenv("SECGEN_BENCH_FC_KERNELS", "off")
    assert not kernels.enabled(10 ** 9) and not Cover(kernels.MIN_FLOWS).compiled
    monkeypatch.setenv("SECGEN_BENCH_FC_KERNELS", "on")
    assert kernels.enabled(1) and Cover(10).compiled
    monkeypatch.setenv("SECGEN_BENCH_FC_KERNELS", "fast")
    with pytest.raises(ValueError, match="SECGEN_BENCH_FC_KERNELS"):
        kernels.enabled(1)


def test_next_by_key_is_the_first_later_candidate_with_the_key():
    rng = np.random.default_rng(1)
    for _ in range(200):
        n = int(rng.integers(1, 60))
        cand = np.flatnonzero(rng.random(n) < rng.random())
        keys = rng.integers(0, 4, size=len(cand))
        q_pos = rng.integers(0, n, size=int(rng.integers(0, 40)))
        q_key = rng.integers(-1, 4, size=len(q_pos))
        got = kernels.next_by_key(cand, keys, q_pos, q_key, 4, n)
        for p, k, a in zip(q_pos.tolist(), q_key.tolist(), got.tolist()):
            later = [int(c) for c, kc in zip(cand, keys) if c > p and kc == k and k >= 0]
            assert a == (later[0] if later else -1)


@pytest.mark.parametrize("m", (20, 900))
def test_next_by_key_sorts_few_and_many_queries_alike(m):
    """Few queries (16 m < n) are ordered by a merge sort, many by a counting sort: same answers."""
    rng = np.random.default_rng(m)
    n = 4000
    cand = np.flatnonzero(rng.random(n) < 0.3)
    keys = rng.integers(0, 7, size=len(cand))
    q_pos = rng.integers(0, n, size=m)
    q_key = rng.integers(-1, 7, size=m)
    got = kernels.next_by_key(cand, keys, q_pos, q_key, 7, n)
    for p, k, a in zip(q_pos.tolist(), q_key.tolist(), got.tolist()):
        later = cand[(cand > p) & (keys == k)] if k >= 0 else cand[:0]
        assert a == (int(later[0]) if len(later) else -1)


@pytest.mark.parametrize("scale", (3, 10 ** 6))
def test_dense_keys_are_equal_exactly_when_the_bound_values_are(scale):
    """Two USE cells: small mixed-radix keys are used as they are, large ones are relabelled."""
    rng = np.random.default_rng(scale)
    n = 500
    cols = rng.integers(0, 3, size=(2, n)) * scale
    cand = np.flatnonzero(rng.random(n) < 0.5)
    bound = {0: rng.integers(0, 3, size=40) * scale, 1: rng.integers(0, 3, size=40) * scale}
    uses = [Cell(0, USE, 0), Cell(1, USE, 1)]
    ck, qk, n_keys = _dense_keys(uses, cols, cand, bound, 40)
    assert ck.min() >= 0 and qk.min() >= 0 and max(ck.max(), qk.max()) < n_keys
    values_c = list(zip(cols[0][cand].tolist(), cols[1][cand].tolist()))
    values_q = list(zip(bound[0].tolist(), bound[1].tolist()))
    for i in range(0, len(cand), 7):
        for j in range(40):
            assert (ck[i] == qk[j]) == (values_c[i] == values_q[j])


def test_compiled_family_counts_are_the_numpy_counts_in_order():
    """Both branches (a count table over a small key range, a sort over a large one), with and without
    row weights, zero to three parents."""
    rng = np.random.default_rng(8)
    for trial in range(60):
        m = int(rng.integers(1, 300))
        card = rng.integers(1, 6 if trial % 2 else 400, size=5)
        local = np.stack([rng.integers(0, c, size=m) for c in card], axis=1)
        weight = rng.integers(1, 9, size=m) if trial % 3 == 0 else None
        child = int(rng.integers(0, 5))
        others = [v for v in range(5) if v != child]
        parents = tuple(int(v) for v in rng.choice(others, size=int(rng.integers(0, 4)), replace=False))
        expect = _family_counts(local, card, child, parents, weight)
        got = kernels.family_counts(local, card, child, parents, weight)
        assert [a.tolist() for a in got] == [a.tolist() for a in expect], (trial, parents)


def test_compiled_hill_climb_learns_the_same_structure():
    codes, _ = planted_codes(seed=2, n=800)
    assert hill_climb(codes, compiled=True) == hill_climb(codes)
    assert any(hill_climb(codes))


def test_merge_by_flow_equals_insert_after_equal_flows():
    rng = np.random.default_rng(5)
    for _ in range(50):
        a = np.sort(rng.integers(0, 30, size=int(rng.integers(0, 80))))
        b = np.sort(rng.integers(0, 30, size=int(rng.integers(0, 40))))
        ga, gb = rng.permutation(len(a)), 1000 + rng.permutation(len(b))
        pos = np.searchsorted(a, b, side="right")
        flow, gid = kernels.merge_by_flow(a, ga, b, gb)
        assert flow.tolist() == np.insert(a, pos, b).tolist() and gid.tolist() == np.insert(ga, pos, gb).tolist()


def test_varying_cells_are_those_not_constant_over_all_windows():
    """A cell constant in the first 1,024 windows and different only in a later one is still coded."""
    rng = np.random.default_rng(2)
    codes = rng.integers(0, 4, size=(3000, 3))
    codes[:, 1] = 2
    codes[2500, 1] = 3                                 # column 1 differs once, late
    codes[:, 2] = 1                                    # column 2 is constant
    windows = np.stack([np.arange(0, 2998), np.arange(1, 2999)], axis=1)
    entry = SimpleNamespace(windows=windows, var_rows=np.array([0, 0, 1, 1, 0]), var_cols=np.array([0, 1, 1, 2, 2]))
    host = SimpleNamespace(codes=codes, codes_by_column=column_major(codes))
    host.free_data = lambda e, w: MDLModel.free_data(host, e, w)
    got = MDLModel._varying(host, entry)
    data = MDLModel.free_data(host, entry, windows)
    assert got.tolist() == (data.min(axis=0) != data.max(axis=0)).tolist() == [True, True, True, False, False]


@pytest.mark.parametrize("seed", range(6))
def test_compiled_find_windows_equals_reference_and_numpy(seed, monkeypatch):
    rng = np.random.default_rng(seed)
    codes = random_codes(rng, int(rng.integers(20, 90)))
    cols = column_major(codes)
    patterns = [random_pattern(rng) for _ in range(40)]
    multi = [q for q in (random_pattern(rng) for _ in range(2000)) if _n_multi_use(q)][:5]
    patterns += multi                           # rows with two USE cells take the composite-key path
    monkeypatch.setenv("SECGEN_BENCH_FC_KERNELS", "off")
    plain = [find_windows(p, codes, cols) for p in patterns]
    monkeypatch.setenv("SECGEN_BENCH_FC_KERNELS", "on")
    for p, expect in zip(patterns, plain):
        got = find_windows(p, codes, cols)
        assert got.dtype == expect.dtype and got.tolist() == expect.tolist() == reference_windows(p, codes), p
    assert len(multi) == 5


def _n_multi_use(p) -> int:
    return sum(sum(c.kind == "use" for c in r) > 1 for r in p.rows)


@pytest.mark.parametrize("seed", range(6))
def test_compiled_greedy_disjoint_equals_reference(seed, compiled):
    rng = np.random.default_rng(100 + seed)
    codes = random_codes(rng, 120)
    for _ in range(40):
        w = find_windows(random_pattern(rng), codes)
        assert greedy_disjoint(w).tolist() == reference_greedy_disjoint(w.tolist())


@pytest.mark.parametrize("seed", range(8))
def test_compiled_cover_equals_full_greedy_pass_after_every_operation(seed, compiled):
    cover = exercise_cover(np.random.default_rng(300 + seed))
    assert cover.compiled and cover.n_rounds > 0


def test_compiled_cover_decides_a_chain_and_rolls_it_back(compiled):
    assert chain_then_rollback().compiled


@pytest.mark.parametrize("seed", range(3))
def test_compiled_cover_hands_a_flow_in_hundreds_of_windows_on(seed, compiled):
    """A hub flow lies in 600 windows of one pattern (more than the sweep's per-flow scratch holds):
    whenever its owner is evicted or removed the sweep must find the next window that can take it."""
    rng = np.random.default_rng(500 + seed)
    n, hub = 1500, 1000
    cover = Cover(n)
    assert cover.compiled
    live = {}
    spokes = np.stack([np.arange(400, hub), np.full(hub - 400, hub)], axis=1)
    steps = [(0, spokes, 2), (1, np.stack([np.arange(n - 1), np.arange(1, n)], axis=1)[::3], 2),
             (2, np.sort(rng.choice(np.arange(400, hub), size=40, replace=False))[:, None], 3),
             (3, np.array([[hub - 1, hub + 1], [hub - 5, hub + 2]]), 3)]
    for pid, windows, cells in steps:
        for commit in (False, True):
            cover.begin()
            cover.insert(pid, windows, cells, pid)
            if commit:
                cover.commit()
                live[pid] = (windows, cells)
            else:
                cover.rollback()
            _check_cover(cover, live, n)
    for pid in rng.permutation(sorted(live)).tolist():
        cover.begin()
        cover.remove(pid)
        _check_cover(cover, {p: v for p, v in live.items() if p != pid}, n)
        cover.rollback()
        _check_cover(cover, live, n)
    assert cover.usage(0) >= 1           # the hub went to a spoke window after all


def _search(seed: int):
    codes, times = planted_codes(seed=seed, n=600)
    model = MDLModel(codes, times)
    search = GreedySearch(model, list(IP_COLS), SearchLimits())
    search.run()
    return ([(repr(e.pattern), model.cover.usage(e.pid)) for e in model.entries.values()], model.total_bits(),
            [e.bn.parents for e in model.entries.values() if e.bn is not None], search.tests)


@pytest.mark.parametrize("seed", (3, 4))
def test_whole_search_is_identical_with_the_compiled_loops(seed, monkeypatch):
    monkeypatch.setenv("SECGEN_BENCH_FC_KERNELS", "off")
    plain = _search(seed)
    monkeypatch.setenv("SECGEN_BENCH_FC_KERNELS", "on")
    assert _search(seed) == plain
    assert len(plain[0]) > 0

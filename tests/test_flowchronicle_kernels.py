"""FlowChronicle's compiled loops (numba, the [fast] extra) compute exactly what the numpy paths compute.

Each kernel is forced on (``SECGEN_BENCH_FC_KERNELS=on``) and compared with the slow reference of
``test_flowchronicle_equivalence`` and with the numpy path, on random small tables; then a whole
search is run both ways. Skipped where numba is not installed (the numpy paths then run everywhere).
"""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("numba")

from secgen_bench.generators.flowchronicle import kernels
from secgen_bench.generators.flowchronicle.cover import Cover
from secgen_bench.generators.flowchronicle.model import MDLModel
from secgen_bench.generators.flowchronicle.occurrences import column_major, find_windows, greedy_disjoint
from secgen_bench.generators.flowchronicle.search import GreedySearch, SearchLimits

from tests.test_flowchronicle_equivalence import (IP_COLS, exercise_cover, planted_codes, random_codes,
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

"""FlowChronicle building blocks: MDL codes on hand-computed values, occurrences, cover, BN."""
from __future__ import annotations

import math

import numpy as np
import pytest

from secgen_bench.generators.flowchronicle.bn import DiscreteBN, hill_climb, kt_bits
from secgen_bench.generators.flowchronicle.cover import Cover, greedy_cover_reference
from secgen_bench.generators.flowchronicle.mdl import (bn_structure_bits, kt_bits_from_counts, kt_bits_sequence,
                                                       log2_binom, row_model_bits, universal_integer_bits)
from secgen_bench.generators.flowchronicle.model import FamilyCode
from secgen_bench.generators.flowchronicle.occurrences import find_windows, greedy_disjoint
from secgen_bench.generators.flowchronicle.pattern import FIXED, SET, USE, Cell, Pattern

LOG2_C0 = math.log2(2.865064)


# -- MDL pieces ------------------------------------------------------------------------------
def test_universal_integer_code_hand_values():
    assert universal_integer_bits(1) == pytest.approx(LOG2_C0)                  # 1.5186
    assert universal_integer_bits(2) == pytest.approx(LOG2_C0 + 1.0)
    assert universal_integer_bits(16) == pytest.approx(LOG2_C0 + 4 + 2 + 1)     # log2 16, log2 4, log2 2
    l3 = math.log2(3)
    assert universal_integer_bits(3) == pytest.approx(LOG2_C0 + l3 + math.log2(l3))
    assert universal_integer_bits(65536) == pytest.approx(LOG2_C0 + 16 + 4 + 2 + 1)
    with pytest.raises(ValueError):
        universal_integer_bits(0)


def test_kt_prequential_code_of_short_sequence():
    # "aab" with K=2, eps=1/2: P(a)=1/2, P(a|a)=(1.5)/2, P(b|aa)=0.5/3  ->  bits = 1 + log2(4/3) + log2 6
    expected = 1 + math.log2(4 / 3) + math.log2(6)
    assert kt_bits_sequence("aab") == pytest.approx(expected)
    assert kt_bits_from_counts(np.array([3]), np.array([2, 1]), 2) == pytest.approx(expected)
    # a constant sequence costs nothing when its alphabet is the observed one (K = 1)
    assert kt_bits_from_counts(np.array([5]), np.array([5]), 1) == pytest.approx(0.0)


def test_kt_code_under_bn_structure_is_sum_of_conditional_codes():
    x = np.array([0, 0, 1, 1, 0, 1])
    y = np.array([0, 0, 1, 1, 0, 0])
    data = np.stack([x, y], axis=1)
    # y | x: for x=0 sequence (0,0,0) -> K=2 over the coded data: code of "000"
    expect = kt_bits_sequence(list(x)) + kt_bits_from_counts(np.array([3, 3]), np.array([3, 2, 1]), 2)
    assert kt_bits(data, [(), (0,)]) == pytest.approx(expect)
    code = FamilyCode(data, [(), (0,)])
    assert code.bits(np.arange(6)) == pytest.approx(expect)
    sub = np.array([0, 2, 3, 5])
    assert code.bits(sub) == pytest.approx(kt_bits(data[sub], [(), (0,)]))


def test_pattern_model_cost_hand_computed():
    n_cols = 4
    domains = [3, 5, 7, 2]
    # one row: FIXED col 0, SET col 2 -> L_N(1) + [log2 4 + log2 C(4,1) + log2 3] + [log2 3 + log2 C(3,1)]
    p = Pattern(((Cell(0, FIXED, 1), Cell(2, SET, 0)),))
    expect = LOG2_C0 + (2 + 2 + math.log2(3)) + (math.log2(3) + math.log2(3))
    assert p.model_bits(n_cols, domains) == pytest.approx(expect)
    # second row USEs the placeholder in col 3 and fixes col 1
    q = Pattern(((Cell(0, FIXED, 1), Cell(2, SET, 0)), (Cell(1, FIXED, 4), Cell(3, USE, 0))))
    row2 = (2 + 2 + math.log2(5)) + (math.log2(3) + math.log2(3) + 0.0) + math.log2(2) + 0.0
    expect2 = universal_integer_bits(2) + (2 + 2 + math.log2(3)) + (math.log2(3) + math.log2(3)) + row2
    assert q.model_bits(n_cols, domains) == pytest.approx(expect2)
    assert row_model_bits(4, 0, 0, 0, [], True, 0) == pytest.approx(2 + 0 + 2)
    assert log2_binom(5, 2) == pytest.approx(math.log2(10))
    # BN structure: 3 nodes, in-degrees 0,1,2 -> 3 log2 3 + log2 C(2,1) + log2 C(2,2)
    assert bn_structure_bits([0, 1, 2], 3) == pytest.approx(3 * math.log2(3) + 1)


# -- patterns and occurrences ------------------------------------------------------------------------
def test_pattern_canonical_placeholders_and_validation():
    a = Pattern(((Cell(0, SET, 7),), (Cell(1, USE, 7),)))
    b = Pattern(((Cell(0, SET, 0),), (Cell(1, USE, 0),)))
    assert a == b and hash(a) == hash(b)
    with pytest.raises(ValueError):
        Pattern(((Cell(0, USE, 0),),))
    with pytest.raises(ValueError):
        Pattern(((Cell(0, SET, 0), Cell(1, USE, 0)),))
    assert b.covered_cells == 1 and b.free_variables(2) == [(0, 0), (0, 1), (1, 0)]


def test_occurrences_first_later_match_with_placeholders():
    # columns: src, dst, port ; flows in time order
    codes = np.array([
        [1, 9, 53],   # 0 host 1 asks DNS
        [2, 9, 53],   # 1 host 2 asks DNS
        [2, 5, 443],  # 2 host 2 -> 5:443
        [3, 6, 443],  # 3 host 3 -> 6:443 (no DNS before)
        [1, 7, 443],  # 4 host 1 -> 7:443
        [1, 9, 53],   # 5 host 1 asks again, nothing follows
    ])
    dns_then_https = Pattern(((Cell(0, SET, 0), Cell(2, FIXED, 53)), (Cell(0, USE, 0), Cell(2, FIXED, 443))))
    w = find_windows(dns_then_https, codes)
    assert w.tolist() == [[0, 4], [1, 2]]
    # without the placeholder the next 443 flow after each start is taken, whoever sends it
    loose = Pattern(((Cell(2, FIXED, 53),), (Cell(2, FIXED, 443),)))
    assert find_windows(loose, codes).tolist() == [[0, 2], [1, 2]]
    assert greedy_disjoint(find_windows(loose, codes)).tolist() == [1]          # [1,2] has no gap
    # SET on src, USE on dst: shared IP vocabulary across columns
    cross = Pattern(((Cell(1, SET, 0),), (Cell(0, USE, 0),)))
    codes2 = np.array([[1, 2, 0], [3, 4, 0], [2, 1, 0]])
    assert find_windows(cross, codes2).tolist() == [[0, 2]]


# -- cover -----------------------------------------------------------------------------------------
def _random_windows(rng, n, count, length):
    starts = np.sort(rng.choice(n - length * 3, size=count, replace=False))
    steps = rng.integers(1, 4, size=(count, length - 1))
    return np.concatenate([starts[:, None], starts[:, None] + np.cumsum(steps, axis=1)], axis=1) if length > 1 \
        else starts[:, None]


def _accepted(cover, pid):
    return {tuple(r) for r in cover.accepted_windows(pid).tolist()} if cover.usage(pid) else set()


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_incremental_cover_equals_full_greedy_pass(seed):
    rng = np.random.default_rng(seed)
    n = 120
    sets = [(_random_windows(rng, n, int(rng.integers(5, 30)), int(rng.integers(1, 4))), int(rng.integers(1, 6)), i)
            for i in range(6)]
    cover = Cover(n)
    for pid, (w, cells, rank) in enumerate(sets[:3]):
        cover.insert(pid, w, cells, rank)
    # a rejected candidate leaves no trace
    before = {pid: _accepted(cover, pid) for pid in range(3)}
    cover.begin()
    cover.insert(3, sets[3][0], sets[3][1], 3)
    cover.rollback()
    assert {pid: _accepted(cover, pid) for pid in range(3)} == before
    # accepted inserts and a removal match the full pass
    for pid in (3, 4, 5):
        cover.begin()
        cover.insert(pid, *sets[pid][:2], sets[pid][2])
        cover.commit()
    ref = greedy_cover_reference(sets, n)
    for pid in range(6):
        assert _accepted(cover, pid) == ref[pid]
    cover.begin()
    cover.remove(2)
    cover.commit()
    ref = greedy_cover_reference([s if i != 2 else (s[0][:0], s[1], s[2]) for i, s in enumerate(sets)], n)
    for pid in range(6):
        assert _accepted(cover, pid) == (ref[pid] if pid != 2 else set())
    owned = cover.owner >= 0
    assert owned.sum() == sum(len(x) for i in range(6) for x in ref[i])


# -- Bayesian networks -------------------------------------------------------------------------------
def test_hill_climb_finds_dependency_and_respects_indegree():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 3, 400)
    b = (a + (rng.random(400) < 0.1)) % 3
    c = rng.integers(0, 2, 400)
    parents = hill_climb(np.stack([a, b, c], axis=1))
    assert (0 in parents[1]) or (1 in parents[0])
    assert parents[2] == () and 2 not in parents[0] + parents[1]
    many = rng.integers(0, 2, (300, 6))
    many[:, 5] = many[:, :5].sum(axis=1) % 2
    assert max(len(p) for p in hill_climb(many, max_indegree=2)) <= 2


def test_bn_sampling_is_seeded_and_uses_training_values():
    rng = np.random.default_rng(0)
    data = np.stack([rng.choice([3, 7], 200), rng.choice([10, 11, 12], 200)], axis=1)
    bn = DiscreteBN.learn(["x", "y"], data).fit_params(data)
    s1 = bn.sample(50, np.random.default_rng(5))
    s2 = bn.sample(50, np.random.default_rng(5))
    assert np.array_equal(s1, s2)
    assert set(s1[:, 0]) <= {3, 7} and set(s1[:, 1]) <= {10, 11, 12}

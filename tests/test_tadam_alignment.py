"""The alignment DP on small hand cases: each of the five noise operations, with its exact cost."""
import math

import numpy as np
import pytest

from secgen_bench.generators.tadam.automaton import NOISE_OPS, SINK, Edge, TimedAutomaton
from secgen_bench.generators.tadam.noise import AlignmentModel, estimate_rates, inject_noise

RATE = 0.01
C_OP = -math.log2(RATE)
C_MATCH = -math.log2(1 - 5 * RATE)


def chain():
    """0 -a-> 1 -b-> 2 -c-> 3 -$-> sink, every probability 1, alphabet {a, b, c, d}, untimed."""
    z = np.zeros(0)
    edges = [Edge(0, 1, 1, 1.0, z, z), Edge(1, 2, 2, 1.0, z, z), Edge(2, 3, 3, 1.0, z, z), Edge(3, SINK, 0, 1.0, z, z)]
    return TimedAutomaton(["$", "a", "b", "c", "d"], 0, 4, edges)


def align(word):
    model = AlignmentModel.build(chain(), {op: RATE for op in NOISE_OPS}, rate_floor=1e-6)
    ids = np.array(["$abcd".index(ch) for ch in word], dtype=np.int64)
    return model.align(ids, np.zeros((len(ids), 0)), want_ops=True)


def noise_only(ops):
    return {k: v for k, v in ops.items() if k != "match" and v}


def test_exact_word_costs_only_matches():
    bits, ops = align("abc")
    assert bits == pytest.approx(3 * C_MATCH)
    assert ops["match"] == 3 and noise_only(ops) == {}


def test_deletion():
    bits, ops = align("ac")
    assert bits == pytest.approx(2 * C_MATCH + C_OP)
    assert noise_only(ops) == {"deletion": 1}


def test_addition():
    bits, ops = align("adbc")            # d is spurious: coded as a uniform symbol among 4
    assert bits == pytest.approx(3 * C_MATCH + C_OP + 2.0)
    assert noise_only(ops) == {"addition": 1}


def test_reemission():
    bits, ops = align("abbc")            # b re-emitted; value change 0 costs L_N(1) per dimension (none here)
    assert bits == pytest.approx(3 * C_MATCH + C_OP)
    assert noise_only(ops) == {"reemission": 1}


def test_transposition():
    bits, ops = align("acb")
    assert bits == pytest.approx(C_MATCH + C_OP)
    assert noise_only(ops) == {"transposition": 1}


def test_substitution():
    bits, ops = align("adc")             # d seen where b was emitted: which of the 3 other symbols
    assert bits == pytest.approx(2 * C_MATCH + C_OP + math.log2(3))
    assert noise_only(ops) == {"substitution": 1}


def test_unrepairable_and_masked_edges():
    bits, ops = align("")                # three deletions needed, only two allowed per position
    assert math.isinf(bits) and ops is None
    model = AlignmentModel.build(chain(), {op: RATE for op in NOISE_OPS}, rate_floor=1e-6,
                                 edge_mask=np.array([True, False, True, True]))
    bits, _ = model.align(np.array([1, 2, 3]), np.zeros((3, 0)))
    assert math.isinf(bits)              # without edge b no path reaches the sink: no repair exists


def test_values_enter_the_match_cost():
    z = np.array([10.0]), np.array([1.0])
    aut = TimedAutomaton(["$", "a"], 1, 2, [Edge(0, 1, 1, 1.0, *z), Edge(1, SINK, 0, 1.0, np.zeros(1), np.zeros(1))])
    model = AlignmentModel.build(aut, {op: 0.0 for op in NOISE_OPS}, rate_floor=1e-6)
    near, _ = model.align(np.array([1]), np.array([[10.0]]))
    far, _ = model.align(np.array([1]), np.array([[14.0]]))
    assert far > near + 5


def test_em_rates_are_shares_and_capped():
    rates = estimate_rates({"match": 90, "deletion": 5, "addition": 5})
    assert rates["deletion"] == pytest.approx(0.05) and rates["substitution"] == 0.0
    capped = estimate_rates({"match": 10, "deletion": 45, "addition": 45}, cap=0.25)
    assert sum(capped.values()) == pytest.approx(0.25)


def test_noise_injection_is_seeded_and_changes_words():
    syms = [1, 2, 3] * 20
    vals = np.arange(60, dtype=float)[:, None]
    rates = {"deletion": 0.1, "addition": 0.0, "reemission": 0.1, "transposition": 0.1, "substitution": 0.0}
    a = inject_noise(syms, vals, rates, np.random.default_rng(3), 4)
    b = inject_noise(syms, vals, rates, np.random.default_rng(3), 4)
    assert a[0] == b[0] and np.array_equal(a[1], b[1])
    assert a[0] != syms and a[1].shape == (len(a[0]), 1)

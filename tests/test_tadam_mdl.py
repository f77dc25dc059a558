"""TADAM's code lengths on hand-computed values."""
import math

import numpy as np
import pytest

from secgen_bench.generators.tadam.automaton import SINK, Edge, TimedAutomaton
from secgen_bench.generators.tadam.evaluation import explicit_bits, model_bits
from secgen_bench.generators.tadam.mdl import (PROB_PRECISION_BITS, edge_cost, gaussian_bin_cost, guard_cost,
                                               multinomial_cost, universal_int, universal_int_array)

C0 = math.log2(2.865064)


def test_universal_integer_code():
    assert universal_int(1) == pytest.approx(C0)
    assert universal_int(2) == pytest.approx(C0 + 1)                     # log2 2 = 1, log2 1 = 0 stops
    assert universal_int(16) == pytest.approx(C0 + 4 + 2 + 1)            # 16 -> 4 -> 2 -> 1
    assert universal_int(65536) == pytest.approx(C0 + 16 + 4 + 2 + 1)
    np.testing.assert_allclose(universal_int_array(np.array([1.0, 2.0, 16.0])), [C0, C0 + 1, C0 + 7])
    with pytest.raises(ValueError):
        universal_int(0)


def test_gaussian_bin_mass():
    # unit variance, value at the mean: mass of [-1/2, 1/2] = 0.382925
    assert gaussian_bin_cost(np.array([5.0]), np.array([5.0]), np.array([1.0])) == pytest.approx(
        -math.log2(0.38292492254802624))
    # two independent dimensions add
    two = gaussian_bin_cost(np.array([5.0, 5.0]), np.array([5.0, 5.0]), np.array([1.0, 1.0]))
    assert two == pytest.approx(-2 * math.log2(0.38292492254802624))
    # a constant guard: variance floored at 1/12, so mass = 2 Phi(sqrt(3)) - 1 = 0.916735
    assert gaussian_bin_cost(np.array([3.0]), np.array([3.0]), np.array([0.0])) == pytest.approx(
        -math.log2(0.9167354833364496), rel=1e-6)
    # far from the mean costs a lot
    assert gaussian_bin_cost(np.array([30.0]), np.array([3.0]), np.array([1.0])) > 100


def test_multinomial_and_edge_costs():
    assert multinomial_cost([1, 1]) == pytest.approx(2.0)
    assert multinomial_cost([2, 2]) == pytest.approx(4.0)
    assert multinomial_cost([3, 1]) == pytest.approx(3 * math.log2(4 / 3) + 2.0)
    assert multinomial_cost([5]) == 0.0
    assert edge_cost(4, 8) == pytest.approx(2 * 2 + 3 + PROB_PRECISION_BITS)
    # guard: sign bit + L_N(|round mean| + 1) + L_N(round var + 1) per dimension
    assert guard_cost(np.array([1.0]), np.array([3.0])) == pytest.approx(1 + (C0 + 1) + (C0 + 2 + 1))


def test_model_bits_by_hand():
    # 0 -a-> 1 -$-> sink : 2 states, 1 real symbol, 2 edges, one guard N(1, 3)
    aut = TimedAutomaton(["$", "a"], 1, 2, [Edge(0, 1, 1, 4.0, np.array([1.0]), np.array([3.0])),
                                            Edge(1, SINK, 0, 4.0, np.zeros(1), np.zeros(1))])
    expected = (universal_int(2) + 1.0 + 5 * PROB_PRECISION_BITS + 2 * edge_cost(2, 1)
                + guard_cost(np.array([1.0]), np.array([3.0])))
    assert model_bits(aut) == pytest.approx(expected)


def test_explicit_word_code():
    syms = np.array([1, 2, 1])
    vals = np.array([[0.0], [1.0], [15.0]])
    # L_N(4) + 3 log2 |Sigma| + L_N(1) + L_N(2) + L_N(16)
    expected = universal_int(4) + 3 * math.log2(4) + C0 + (C0 + 1) + (C0 + 7)
    assert explicit_bits(syms, vals, 4) == pytest.approx(expected)

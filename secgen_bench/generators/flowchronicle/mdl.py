"""MDL code lengths (bits) used by FlowChronicle's score.

* :func:`universal_integer_bits` is Rissanen's universal code for positive
  integers, L_N(n) = log2(c0) + log2 n + log2 log2 n + ... (positive terms
  only), c0 = 2.865064: it codes counts (patterns, rows, usages) and delays
  without an upper bound.
* :func:`kt_bits_from_counts` is the prequential (sequential, adaptive) code of
  a categorical sequence under the Krichevsky-Trofimov estimator (eps = 1/2):
  it equals the sum, over the sequence, of -log2 of the predictive
  probability (count(x) + eps) / (seen + K eps) and depends only on counts.
* :func:`row_model_bits` / :func:`pattern_model_bits` are the model costs of a
  pattern's rows (which columns are fixed and to which value, which are SET
  and USE placeholders) as the published FlowChronicle artefact defines them.
"""
from __future__ import annotations

import math

import numpy as np
from scipy.special import gammaln

C0 = 2.865064
LOG2_C0 = math.log2(C0)
_LN2 = math.log(2.0)
_LGAMMA_HALF = float(gammaln(0.5))


def universal_integer_bits(n: int) -> float:
    """L_N(n) for an integer n >= 1."""
    if n < 1:
        raise ValueError(f"universal integer code needs n >= 1, got {n}")
    bits = LOG2_C0
    x = float(n)
    while x > 1.0:
        x = math.log2(x)
        bits += x
    return bits


def universal_integer_bits_array(values: np.ndarray) -> np.ndarray:
    """Vectorised L_N for an array of integers >= 1."""
    x = np.asarray(values, dtype=np.float64)
    if x.size and x.min() < 1:
        raise ValueError("universal integer code needs values >= 1")
    bits = np.full(x.shape, LOG2_C0)
    x = x.copy()
    active = x > 1.0
    while active.any():
        x[active] = np.log2(x[active])
        bits[active] += x[active]
        active = x > 1.0
    return bits


def log2_binom(n: int, k: int) -> float:
    """log2 of the binomial coefficient C(n, k) (0 when k is 0 or n)."""
    if k < 0 or k > n:
        raise ValueError(f"log2_binom: k={k} outside 0..{n}")
    return (math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)) / _LN2


def kt_bits_from_counts(config_counts: np.ndarray, joint_counts: np.ndarray, cardinality: int,
                        eps: float = 0.5) -> float:
    """Prequential KT code length of one conditional distribution family.

    ``config_counts`` are the totals N_j per (observed) parent configuration,
    ``joint_counts`` the counts n_jk per observed (configuration, value) pair,
    ``cardinality`` K the number of values the variable takes in the coded
    data. Bits = sum_j log2 G(N_j + K eps)/G(K eps) - sum_jk log2 G(n_jk + eps)/G(eps).
    """
    if cardinality <= 0 or len(joint_counts) == 0:
        return 0.0
    ke = cardinality * eps
    lg_eps = _LGAMMA_HALF if eps == 0.5 else math.lgamma(eps)
    nats = float(np.sum(gammaln(np.asarray(config_counts, dtype=np.float64) + ke)) - len(config_counts) * math.lgamma(ke))
    nats -= float(np.sum(gammaln(np.asarray(joint_counts, dtype=np.float64) + eps)) - len(joint_counts) * lg_eps)
    return nats / _LN2


def kt_bits_sequence(sequence, eps: float = 0.5) -> float:
    """KT code of a plain sequence, symbol by symbol (reference used by the tests)."""
    seen: dict = {}
    k = len(set(sequence))
    bits = 0.0
    for i, s in enumerate(sequence):
        bits -= math.log2((seen.get(s, 0) + eps) / (i + k * eps))
        seen[s] = seen.get(s, 0) + 1
    return bits


def row_model_bits(n_columns: int, n_fixed: int, n_set: int, n_use: int, fixed_domain_sizes,
                   first: bool, n_set_before: int) -> float:
    """Model cost of one row of a pattern.

    Which and how many columns are FIXED (log2 C + log2 binom(C, #fixed)), the
    value of each (log2 of its column's domain size); for a later row that may
    use earlier placeholders: how many and which columns are USE and which
    placeholder each refers to; then how many and which columns SET a new
    placeholder. Mirrors the published artefact's row cost.
    """
    c = n_columns
    bits = math.log2(c) + log2_binom(c, n_fixed)
    bits += sum(math.log2(max(int(d), 1)) for d in fixed_domain_sizes)
    if not first and n_set_before > 0 and (c - n_fixed - n_set) > 0:
        bits += math.log2(c - n_fixed - n_set)
        bits += log2_binom(c - n_fixed, n_use)
        bits += n_use * math.log2(n_set_before)
    remaining = c - n_fixed - n_use
    if remaining > 0:
        bits += math.log2(remaining)
    bits += log2_binom(c - n_fixed - n_use, n_set)
    return bits


def bn_structure_bits(in_degrees, max_indegree: int) -> float:
    """Cost of a BN structure: per node, its number of parents (log2 max in-degree)
    and which of the other m-1 nodes they are (log2 binom(m-1, k))."""
    in_degrees = list(in_degrees)
    m = len(in_degrees)
    if m == 0:
        return 0.0
    per_node = math.log2(max_indegree) if max_indegree > 1 else 0.0
    return sum(per_node + log2_binom(m - 1, k) for k in in_degrees)

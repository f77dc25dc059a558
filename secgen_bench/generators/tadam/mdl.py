"""Code lengths (bits) used by TADAM's MDL score: universal integers, Gaussian guards, probabilities.

All lengths are in bits. ``gaussian_bin_cost`` is the exact per-value data cost of
a guard: -log2 of the Gaussian mass of [v - 1/2, v + 1/2] in every dimension
(diagonal covariance: dimensions are independent given the edge).
"""
from __future__ import annotations

import math

import numpy as np
from scipy.special import ndtr

LOG2_C0 = math.log2(2.865064)
PROB_PRECISION_BITS = math.log2(101)   # one probability written at 1e-2 precision
MIN_VAR = 1.0 / 12.0                   # variance floor: a value spread uniformly over its unit bin
MASS_FLOOR = 1e-300


def universal_int(n: int | float) -> float:
    """Rissanen's L_N(n) for n >= 1: log2 c0 + log2 n + log2 log2 n + ... (positive terms only)."""
    n = float(n)
    if n < 1:
        raise ValueError(f"universal_int needs n >= 1, got {n}")
    bits = LOG2_C0
    term = math.log2(n)
    while term > 0:
        bits += term
        term = math.log2(term)
    return bits


def universal_int_array(values: np.ndarray) -> np.ndarray:
    """Vectorised L_N(values) for values >= 1 (float array)."""
    values = np.asarray(values, dtype=float)
    out = np.full(values.shape, LOG2_C0)
    term = np.log2(np.maximum(values, 1.0))
    for _ in range(6):      # log* of any float64 is below 6
        pos = term > 0
        if not pos.any():
            break
        out = out + np.where(pos, term, 0.0)
        term = np.where(pos, np.log2(np.where(pos, term, 1.0)), 0.0)
    return out


def universal_value_cost(values: np.ndarray) -> np.ndarray:
    """Cost of values with no guard (noise additions, explicit words): L_N(round(v) + 1) per dimension."""
    values = np.asarray(values, dtype=float)
    if values.ndim == 1:
        values = values[:, None]
    if values.shape[1] == 0:
        return np.zeros(values.shape[0])
    return universal_int_array(np.round(np.abs(values)) + 1.0).sum(axis=1)


def gaussian_bin_cost(values: np.ndarray, mean: np.ndarray, var: np.ndarray) -> np.ndarray:
    """-log2 P(value | guard) summed over dimensions; broadcasts values (..., d) with mean/var (..., d)."""
    values = np.asarray(values, dtype=float)
    if values.shape[-1] == 0:
        return np.zeros(np.broadcast_shapes(values.shape, np.shape(mean))[:-1])
    sd = np.sqrt(np.maximum(var, MIN_VAR))
    hi = ndtr((values + 0.5 - mean) / sd)
    lo = ndtr((values - 0.5 - mean) / sd)
    mass = np.maximum(hi - lo, MASS_FLOOR)
    return -np.log2(mass).sum(axis=-1)


def approx_value_cost(n: np.ndarray | float, var: np.ndarray) -> np.ndarray | float:
    """Closed-form stand-in for a guard's total data cost from sufficient statistics (screening only).

    n * sum_d 0.5 log2(1 + 2 pi e var_d): the differential entropy for wide guards, 0 for
    near-constant ones, like the exact bin mass.
    """
    var = np.asarray(var, dtype=float)
    if var.shape[-1] == 0:
        return np.asarray(n, dtype=float) * 0.0
    return np.asarray(n, dtype=float) * (0.5 * np.log2(1.0 + 2.0 * math.pi * math.e * np.maximum(var, 0.0))).sum(axis=-1)


def guard_cost(mean: np.ndarray, var: np.ndarray) -> float:
    """Model bits of one Gaussian guard: per dimension a sign bit, L_N(|round mean| + 1), L_N(round var + 1)."""
    mean = np.asarray(mean, dtype=float)
    if mean.size == 0:
        return 0.0
    return float(mean.size + universal_int_array(np.round(np.abs(mean)) + 1.0).sum()
                 + universal_int_array(np.round(np.asarray(var, dtype=float)) + 1.0).sum())


def edge_cost(n_states: int, n_symbols: int) -> float:
    """Structure bits of one edge: source and target (2 log2 |Q|), symbol (log2 |Sigma|), probability."""
    return 2.0 * math.log2(max(n_states, 2)) + math.log2(max(n_symbols, 2)) + PROB_PRECISION_BITS


def multinomial_cost(counts: np.ndarray) -> float:
    """sum_k c_k log2(C / c_k): the data bits of choosing among outcomes with ML probabilities."""
    counts = np.asarray(counts, dtype=float)
    counts = counts[counts > 0]
    if counts.size == 0:
        return 0.0
    total = counts.sum()
    return float((counts * np.log2(total / counts)).sum())

"""Approximate Density and Coverage for tables of hundreds of thousands to millions of flows (FAISS).

The exact engines (``_prdc_torch``, ``_prdc_numpy``) compare every real row with every real and
every synthetic row: O(n m) distances, about 2 hours for 1M x 1M flows on two CPU cores. Here
FAISS (``faiss-cpu``) proposes a bounded candidate set per real row and the prdc quantities are
computed on it with the *exact* distance of the other engines:

1. Embedding for the candidate search: the numeric part as it is (already min-max scaled); each
   categorical column one-hot, so two differing codes are ``sqrt(2)`` apart as in the exact
   distance. A column with more than ``HOT_VALUES + HASHED`` codes (IPs, ports) keeps one-hot
   dimensions for its ``HOT_VALUES`` most frequent codes and hashes the rest into ``HASHED``
   dimensions: two rare codes that share a hash look equal *to the search only*.
2. Candidates: an inverted-file index (``IndexIVFFlat``, ``nlist`` ~ sqrt(n) cells, 10 k-means
   iterations on a seeded sample of 64 points per cell, ``nprobe`` cells searched) over the
   real rows, and one over the synthetic rows; each real row gets its ``candidates`` nearest real
   and synthetic rows (the row itself is always added to its real candidates).
3. Exact re-ranking: the squared distances to the candidates are recomputed as
   ``||x_num - y_num||^2 + 2 * #{differing codes}`` in float64 by the exact engines' own kernel
   (``_prdc_numpy.exact_squared``), so a candidate is at the exact engines' distance to the bit.
   r_i is the (k+1)-th smallest distance among the real candidates (self included, prdc's rule),
   Density counts candidates strictly inside r_i, Coverage asks whether the nearest synthetic
   candidate is inside.

What it departs from: r_i can only be too large (a true neighbour missed by the search), a ball
holding more than ``candidates`` synthetic rows is counted as holding ``candidates`` (the
``saturated`` share in the result says how often), and a covering synthetic row outside the
candidate set is missed. ``benchmarks/density_coverage_scale.py --approx`` measures the error
against the exact engine at 20k-100k rows. Deterministic for a seed: FAISS's k-means and the
training sample are seeded with ``seed``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from secgen_bench.metrics._prdc_numpy import exact_squared

HOT_VALUES = 24          # one-hot dimensions kept for the most frequent codes of a wide column
HASHED = 8               # dimensions the remaining codes are hashed into
DEFAULT_CANDIDATES = 64  # candidate rows per real row and per set (32 measured too few at 100k flows)
DEFAULT_NPROBE = 8
TRAIN_PER_CELL = 64      # k-means training points per cell (FAISS warns below 39)
KMEANS_ITERATIONS = 10
BLOCK_ROWS = 65_536      # real rows re-ranked at a time


@dataclass
class ApproxDensityCoverage:
    density: float
    coverage: float
    mode: str
    device: str
    saturated: float     # share of real rows whose every synthetic candidate lay inside r_i


def _column_embedding(cols: list[np.ndarray]) -> tuple[list[np.ndarray], int]:
    """For each code of one categorical column (in each table), the dimension its one-hot 1 goes to."""
    both = np.concatenate(cols).astype(np.int64)
    values, counts = np.unique(both, return_counts=True)
    if len(values) <= HOT_VALUES + HASHED:
        slot = np.arange(len(values))
    else:
        order = np.argsort(-counts, kind="stable")
        slot = np.empty(len(values), dtype=np.int64)
        slot[order[:HOT_VALUES]] = np.arange(HOT_VALUES)
        rest = values[order[HOT_VALUES:]]
        # a fixed multiplicative hash (Knuth), so the embedding depends on the codes only
        slot[order[HOT_VALUES:]] = HOT_VALUES + (rest * 2654435761 % (1 << 32)) % HASHED
    width = int(slot.max()) + 1
    return [slot[np.searchsorted(values, col)] for col in cols], width


def embed(num: list[np.ndarray], codes: list[np.ndarray | None]) -> tuple[np.ndarray, ...]:
    """float32 search vectors of each table's rows (numeric part, then one-hot blocks); the
    categorical slots are shared by the tables (Density/Coverage: real and synthetic)."""
    blocks = []
    if codes[0] is not None:
        for c in range(codes[0].shape[1]):
            blocks.append(_column_embedding([t[:, c] for t in codes]))
    dim = num[0].shape[1] + sum(w for _, w in blocks)
    out = []
    for which, numeric in enumerate(num):
        rows = len(numeric)
        x = np.zeros((rows, max(dim, 1)), dtype=np.float32)
        x[:, :numeric.shape[1]] = numeric
        offset = numeric.shape[1]
        for slots, width in blocks:
            x[np.arange(rows), offset + slots[which]] = 1.0
            offset += width
        out.append(x)
    return tuple(out)


def ivf_index(faiss, x: np.ndarray, seed: int, nprobe: int):
    n, d = x.shape
    nlist = int(max(1, min(n // TRAIN_PER_CELL, round(np.sqrt(n)))))
    quantizer = faiss.IndexFlatL2(d)
    index = faiss.IndexIVFFlat(quantizer, d, nlist)
    index.cp.niter = KMEANS_ITERATIONS
    index.cp.seed = seed
    train = x
    if n > TRAIN_PER_CELL * nlist:
        train = x[np.sort(np.random.default_rng(seed).choice(n, TRAIN_PER_CELL * nlist, replace=False))]
    index.train(np.ascontiguousarray(train))
    index.add(x)
    index.nprobe = min(nprobe, nlist)
    return index


def candidate_squared(q_num, q_codes, ids: np.ndarray, num, codes) -> np.ndarray:
    """Exact squared distances (the exact engines' kernel, to the bit) from each query row to its
    candidate rows ``ids`` (rows, K) of (num, codes); inf where FAISS padded with -1 (a cell ran dry)."""
    missing = ids < 0
    safe = np.where(missing, 0, ids)
    d = exact_squared(None if q_num is None else q_num[:, None, :], None if num is None else num[safe],
                      None if q_codes is None else q_codes[:, None, :], None if codes is None else codes[safe])
    if d is None:
        d = np.zeros(ids.shape)
    d[missing] = np.inf
    return d


def density_coverage(real_num, synth_num, real_codes=None, synth_codes=None, *, k: int = 5,
                     candidates: int = DEFAULT_CANDIDATES, nprobe: int = DEFAULT_NPROBE,
                     seed: int = 0) -> ApproxDensityCoverage:
    """Approximate prdc Density and Coverage (see the module docstring); same inputs as the exact engines."""
    import faiss

    real_num = np.asarray(real_num, dtype=np.float64)
    synth_num = np.asarray(synth_num, dtype=np.float64)
    n, m = len(real_num), len(synth_num)
    if n <= k:
        raise ValueError(f"density/coverage: need more than k={k} real rows, got {n}")
    if m < 1:
        raise ValueError("density/coverage: the synthetic table is empty")
    if candidates <= k:
        raise ValueError(f"density/coverage: candidates must exceed k={k}, got {candidates}")
    r_vec, s_vec = embed([real_num, synth_num], [real_codes, synth_codes])
    k_real = min(n, candidates)
    k_syn = min(m, candidates)
    real_index = ivf_index(faiss, r_vec, seed, nprobe)
    synth_index = ivf_index(faiss, s_vec, seed + 1, nprobe)
    inside = covered = saturated = 0
    for a in range(0, n, BLOCK_ROWS):
        b = min(n, a + BLOCK_ROWS)
        q = r_vec[a:b]
        _, real_ids = real_index.search(q, k_real)
        _, syn_ids = synth_index.search(q, k_syn)
        own = np.arange(a, b)[:, None]
        real_ids = np.where(real_ids == own, -1, real_ids)      # self is added once, below
        real_ids = np.concatenate([own, real_ids], axis=1)
        qn = real_num[a:b]
        qc = None if real_codes is None else real_codes[a:b]
        d_real = candidate_squared(qn, qc, real_ids, real_num, real_codes)
        radii = np.partition(d_real, k, axis=1)[:, k]           # (k+1)-th smallest, self's zero included
        d_syn = candidate_squared(qn, qc, syn_ids, synth_num, synth_codes)
        hits = d_syn < radii[:, None]
        counts = hits.sum(axis=1)
        inside += int(counts.sum())
        covered += int(hits.any(axis=1).sum())
        saturated += int((counts == k_syn).sum())
    return ApproxDensityCoverage(inside / (k * m), covered / n, "approx", "cpu", saturated / n)

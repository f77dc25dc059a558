"""A small discrete Bayesian network engine in numpy: BIC hill climbing, prequential KT code, sampling.

Why not pgmpy (or the project's pgmpy adapter): FlowChronicle fits one network
per *candidate* pattern and scores every candidate with the exact prequential
code of the data under the learnt structure, thousands of times per fit. pgmpy
spends milliseconds per score call in pandas; this engine works on integer
arrays and caches local scores. It computes the same things as the published
artefact's pgmpy setup:

* structure: hill climbing from the empty graph over edge additions,
  removals and reversals, each step taking the best BIC improvement
  (pgmpy's ``BicScore``/``bic-d`` local score: log-likelihood minus
  ``0.5 log(N) * q * (r - 1)`` with r, q the numbers of observed states of the
  variable and of its parents' joint states), in-degree at most 3, a tabu
  list of the last 100 reversed moves, stop when no move gains more than 1e-4;
* code length: for each variable and each parent configuration, the KT
  (eps = 1/2) prequential code of the variable's values, with the alphabet
  being the values observed in the coded data (as the artefact's count-only
  CPT "fit" does);
* sampling: forward sampling with parameters ``(count + a) / (row count + a k)``;
  a = 1 (K2, the artefact's ``BayesianEstimator(prior_type="K2")``) unless
  the caller chooses another pseudo-count (0.5 = the KT estimator the MDL
  code uses; 0 = maximum likelihood).

Moves are tried in a fixed order (additions, removals, reversals; by
variable index), so ties are broken deterministically; an exact bound skips
the likelihood computation of additions whose extra BIC penalty already
exceeds the largest possible likelihood gain.
"""
from __future__ import annotations

import math
from collections import deque

import numpy as np

from secgen_bench.generators.flowchronicle import kernels
from secgen_bench.generators.flowchronicle.mdl import bn_structure_bits, kt_bits_from_counts


def unique_inverse(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(a, return_inverse=True)`` for 1-D integer ``a``, by a presence table (no sort)
    when the values span a range not much larger than ``a``: codes, parent configurations and
    family ids here do, and sorting them was a large part of each candidate's test."""
    if len(a) and a.dtype.kind in "iu":
        lo, hi = int(a.min()), int(a.max())
        if hi - lo <= 4 * len(a) + 4096:
            shifted = a - lo
            present = np.zeros(hi - lo + 1, dtype=bool)
            present[shifted] = True
            rank = np.cumsum(present, dtype=np.int64) - 1
            return (np.flatnonzero(present) + lo).astype(a.dtype), rank[shifted]
    uniq, inv = np.unique(a, return_inverse=True)
    return uniq, inv.reshape(-1)


def unique_counts(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(a, return_counts=True)`` for 1-D integer ``a``, by ``bincount`` when the range allows."""
    if len(a) and a.dtype.kind in "iu":
        lo, hi = int(a.min()), int(a.max())
        if hi - lo <= 4 * len(a) + 4096:
            counts = np.bincount(a - lo, minlength=hi - lo + 1)
            nz = np.flatnonzero(counts)
            return (nz + lo).astype(a.dtype), counts[nz]
    return np.unique(a, return_counts=True)


def compress(data: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Local state indices (m x V), the number of observed states per column, and the state values."""
    m, v = data.shape
    local = np.zeros((m, v), dtype=np.int64)
    card = np.zeros(v, dtype=np.int64)
    states = []
    for j in range(v):
        uniq, inv = unique_inverse(data[:, j])
        local[:, j] = inv
        card[j] = len(uniq)
        states.append(uniq)
    return local, card, states


def distinct_rows(local: np.ndarray, card: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of ``local`` (sorted) and how often each occurs.

    Why: hill climbing scores a few hundred families per fit, and every family count over m rows
    equals the same count over the distinct rows weighted by their multiplicity; on large tables
    there are far fewer distinct rows than rows. Rows are keyed by a mixed-radix int64, re-densified
    (np.unique) whenever the next column would overflow it."""
    m, v = local.shape
    key = np.zeros(m, dtype=np.int64)
    span = 1
    for j in range(v):
        c = max(int(card[j]), 1)
        if span * c >= 1 << 62:
            _, key = np.unique(key, return_inverse=True)
            key = key.reshape(-1).astype(np.int64)
            span = int(key.max()) + 1 if m else 1
        key = key * c + local[:, j]
        span *= c
    _, first, counts = np.unique(key, return_index=True, return_counts=True)
    return local[first], counts.astype(np.int64)


def _family_counts(local: np.ndarray, card: np.ndarray, child: int, parents,
                   weight: np.ndarray | None = None, compiled: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(counts per observed parent configuration, counts per observed (configuration, value)).
    ``weight``: multiplicity of each row of ``local`` (its rows are then distinct rows, see
    :func:`distinct_rows`); the counts are the same integers, in the same order, as on the full rows.
    ``compiled``: count in one compiled pass (:func:`.kernels.family_counts`, the same integers)."""
    if compiled:
        return kernels.family_counts(local, card, child, parents, weight)
    x = local[:, child]
    k = int(card[child])
    if not parents:
        if weight is None:
            joint = np.bincount(x, minlength=k)
            total = len(x)
        else:
            joint = np.bincount(x, weights=weight, minlength=k).astype(np.int64)
            total = int(weight.sum())
        joint = joint[joint > 0]
        return np.array([total], dtype=np.int64), joint
    cfg = np.zeros(len(x), dtype=np.int64)
    for p in parents:
        cfg = cfg * int(card[p]) + local[:, p]
    if weight is None:
        uj, cj = unique_counts(cfg * k + x)
    else:
        uj, inv = unique_inverse(cfg * k + x)
        cj = np.bincount(inv, weights=weight, minlength=len(uj)).astype(np.int64)
    cfg_of = uj // k
    starts = np.flatnonzero(np.r_[True, cfg_of[1:] != cfg_of[:-1]])
    nj = np.add.reduceat(cj, starts)
    return nj, cj


def bic_local(local: np.ndarray, card: np.ndarray, child: int, parents,
              weight: np.ndarray | None = None, compiled: bool = False) -> float:
    m = local.shape[0] if weight is None else int(weight.sum())
    nj, cj = _family_counts(local, card, child, parents, weight, compiled)
    ll = float(np.sum(cj * np.log(cj)) - np.sum(nj * np.log(nj)))
    q = 1.0
    for p in parents:
        q *= float(card[p])
    return ll - 0.5 * math.log(m) * q * (float(card[child]) - 1.0)


def hill_climb(data: np.ndarray, max_indegree: int = 3, epsilon: float = 1e-4, tabu_length: int = 100,
               max_iter: int = 1_000_000, compiled: bool = False) -> list[tuple[int, ...]]:
    """Parents of each column of ``data`` (m x V integer codes) by BIC hill climbing (``compiled``: family
    counts by :mod:`.kernels`; the same structure)."""
    m, nv = data.shape
    parents: list[set[int]] = [set() for _ in range(nv)]
    if m == 0 or nv < 2:
        return [tuple() for _ in range(nv)]
    local, card, _ = compress(data)
    logm = math.log(m)
    weight = None
    rows, counts = distinct_rows(local, card)
    if 2 * len(rows) <= m:          # the same scores from fewer rows (see distinct_rows)
        local, weight = rows, counts
    cache: dict[tuple[int, tuple[int, ...]], float] = {}
    ll_cache: dict[tuple[int, tuple[int, ...]], float] = {}

    def score(v: int, pa) -> float:
        key = (v, tuple(sorted(pa)))
        s = cache.get(key)
        if s is None:
            s = bic_local(local, card, v, key[1], weight, compiled)
            cache[key] = s
            q = 1.0
            for p in key[1]:
                q *= float(card[p])
            ll_cache[key] = s + 0.5 * logm * q * (float(card[v]) - 1.0)
        return s

    def reaches(src: int, dst: int, skip_edge: tuple[int, int] | None = None) -> bool:
        """Is there a directed path src -> ... -> dst (ignoring ``skip_edge``)?"""
        stack, seen = [src], {src}
        while stack:
            a = stack.pop()
            for b in children[a]:
                if skip_edge is not None and (a, b) == skip_edge:
                    continue
                if b == dst:
                    return True
                if b not in seen:
                    seen.add(b)
                    stack.append(b)
        return False

    children: list[set[int]] = [set() for _ in range(nv)]
    tabu: deque = deque(maxlen=tabu_length)
    useful = [card[v] > 1 for v in range(nv)]
    for _ in range(max_iter):
        best_delta, best_op = epsilon, None
        # additions u -> v
        for v in range(nv):
            pa = parents[v]
            if len(pa) >= max_indegree or not useful[v]:
                continue
            base = score(v, pa)
            ll_v = ll_cache[(v, tuple(sorted(pa)))]
            q = 1.0
            for p in pa:
                q *= float(card[p])
            for u in range(nv):
                if u == v or u in pa or not useful[u] or ("+", u, v) in tabu:
                    continue
                extra_pen = 0.5 * logm * q * (float(card[v]) - 1.0) * (float(card[u]) - 1.0)
                if -ll_v - extra_pen <= best_delta:   # even a perfect fit cannot beat the best move
                    continue
                if reaches(v, u):
                    continue
                d = score(v, pa | {u}) - base
                if d > best_delta:
                    best_delta, best_op = d, ("+", u, v)
        # removals u -> v
        for v in range(nv):
            for u in sorted(parents[v]):
                if ("-", u, v) in tabu:
                    continue
                d = score(v, parents[v] - {u}) - score(v, parents[v])
                if d > best_delta:
                    best_delta, best_op = d, ("-", u, v)
        # reversals u -> v  =>  v -> u
        for v in range(nv):
            for u in sorted(parents[v]):
                if ("flip", u, v) in tabu or len(parents[u]) >= max_indegree:
                    continue
                if reaches(u, v, skip_edge=(u, v)):
                    continue
                d = (score(v, parents[v] - {u}) - score(v, parents[v])
                     + score(u, parents[u] | {v}) - score(u, parents[u]))
                if d > best_delta:
                    best_delta, best_op = d, ("flip", u, v)
        if best_op is None:
            break
        kind, u, v = best_op
        if kind == "+":
            parents[v].add(u); children[u].add(v)
            tabu.append(("-", u, v))
        elif kind == "-":
            parents[v].discard(u); children[u].discard(v)
            tabu.append(("+", u, v))
        else:
            parents[v].discard(u); children[u].discard(v)
            parents[u].add(v); children[v].add(u)
            tabu.append(("flip", v, u))
    return [tuple(sorted(p)) for p in parents]


def kt_bits(data: np.ndarray, parents: list[tuple[int, ...]], eps: float = 0.5) -> float:
    """Prequential KT code length (bits) of ``data`` under the structure ``parents``."""
    if data.shape[0] == 0 or data.shape[1] == 0:
        return 0.0
    local, card, _ = compress(data)
    bits = 0.0
    for v, pa in enumerate(parents):
        if card[v] <= 1:
            continue
        nj, cj = _family_counts(local, card, v, pa)
        bits += kt_bits_from_counts(nj, cj, int(card[v]), eps)
    return bits


class DiscreteBN:
    """A learnt structure over named variables, its costs, and (after :meth:`fit_params`) a sampler."""

    def __init__(self, variables: list, parents: list[tuple[int, ...]], max_indegree: int = 3):
        self.variables = list(variables)
        self.parents = [tuple(p) for p in parents]
        self.max_indegree = max_indegree
        self.states: list[np.ndarray] | None = None
        self.cpts: list | None = None

    @classmethod
    def learn(cls, variables: list, data: np.ndarray, max_indegree: int = 3, compiled: bool = False) -> "DiscreteBN":
        return cls(variables, hill_climb(data, max_indegree=max_indegree, compiled=compiled), max_indegree)

    @property
    def n_edges(self) -> int:
        return sum(len(p) for p in self.parents)

    def structure_bits(self) -> float:
        return bn_structure_bits([len(p) for p in self.parents], self.max_indegree)

    def data_bits(self, data: np.ndarray) -> float:
        return kt_bits(data, self.parents)

    def topological_order(self) -> list[int]:
        order, done = [], set()
        remaining = list(range(len(self.variables)))
        while remaining:
            progressed = False
            for v in list(remaining):
                if all(p in done for p in self.parents[v]):
                    order.append(v); done.add(v); remaining.remove(v); progressed = True
            if not progressed:
                raise ValueError("Bayesian network structure has a cycle")
        return order

    def fit_params(self, data: np.ndarray, pseudocount: float = 1.0) -> "DiscreteBN":
        """Conditional tables on the observed parent configurations, ``pseudocount`` added to every cell
        (1 = K2); an unobserved parent configuration samples uniformly."""
        if pseudocount < 0:
            raise ValueError(f"pseudocount must be >= 0, got {pseudocount}")
        local, card, states = compress(data)
        self.states = states
        self.card = card
        self.cpts = []
        for v, pa in enumerate(self.parents):
            k = int(card[v])
            cfg = np.zeros(len(local), dtype=np.int64)
            for p in pa:
                cfg = cfg * int(card[p]) + local[:, p]
            keys, inv = np.unique(cfg, return_inverse=True)
            counts = np.zeros((len(keys), k), dtype=np.float64)
            np.add.at(counts, (inv.reshape(-1), local[:, v]), 1.0)
            probs = (counts + pseudocount) / (counts.sum(axis=1, keepdims=True) + pseudocount * k)
            self.cpts.append((keys, np.cumsum(probs, axis=1)))
        return self

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """n x V array of codes (the training values of each variable), by forward sampling."""
        if self.cpts is None:
            raise RuntimeError("fit_params() before sample()")
        nv = len(self.variables)
        local = np.zeros((n, nv), dtype=np.int64)
        for v in self.topological_order():
            keys, cdf = self.cpts[v]
            k = int(self.card[v])
            cfg = np.zeros(n, dtype=np.int64)
            for p in self.parents[v]:
                cfg = cfg * int(self.card[p]) + local[:, p]
            u = rng.random(n)
            j = np.searchsorted(keys, cfg)
            jj = np.minimum(j, len(keys) - 1)
            seen = keys[jj] == cfg
            out = np.minimum((u * k).astype(np.int64), k - 1)      # unseen configuration: uniform
            idx = np.flatnonzero(seen)
            for chunk in np.array_split(idx, max(1, len(idx) * k // 4_000_000 + 1)):
                if len(chunk):
                    out[chunk] = np.minimum((cdf[jj[chunk]] < u[chunk, None]).sum(axis=1), k - 1)
            local[:, v] = out
        codes = np.zeros((n, nv), dtype=np.int64)
        for v in range(nv):
            codes[:, v] = self.states[v][local[:, v]]
        return codes

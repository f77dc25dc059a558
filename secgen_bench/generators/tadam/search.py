"""Candidate operations of TADAM's search, screened from sufficient statistics and applied to a copy.

Screening never touches the words: each candidate's change in L(A) + L(D|A) is
computed from per-edge counts and value moments (``Evaluation.cnt/s1/s2``) with a
closed-form value cost, so a candidate costs O(edges it touches). Only the best
few screened candidates are applied (to a copy of the small automaton, never
of the data) and scored exactly.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from secgen_bench.generators.tadam.automaton import END, SINK, Edge, TimedAutomaton
from secgen_bench.generators.tadam.corpus import Corpus
from secgen_bench.generators.tadam.evaluation import Evaluation, explicit_bits
from secgen_bench.generators.tadam.mdl import (approx_value_cost, edge_cost, gaussian_bin_cost, guard_cost,
                                               multinomial_cost, universal_int)
from secgen_bench.generators.tadam.noise import AlignmentModel


@dataclass
class Candidate:
    kind: str          # "merge", "split_state", "split_edge", "delete_edge"
    delta: float       # screened change of the total (bits), negative = better
    args: tuple


class Screen:
    """Per-state and per-edge cached costs of the current automaton for quick candidate deltas."""

    def __init__(self, aut: TimedAutomaton, ev: Evaluation):
        self.aut, self.ev = aut, ev
        self.q, self.s = aut.n_states, len(aut.symbols) - 1
        self.n_edges = len(aut.edges)
        cnt = np.maximum(ev.cnt, 1e-12)
        self.mean = ev.s1 / cnt[:, None]
        self.var = np.maximum(ev.s2 / cnt[:, None] - self.mean ** 2, 0.0)
        self.sym = np.array([e.sym for e in aut.edges], dtype=np.int64)
        self.src = np.array([e.src for e in aut.edges], dtype=np.int64)
        self.dst = np.array([e.dst for e in aut.edges], dtype=np.int64)
        self.is_end = self.sym == END
        self.vcost = np.where(self.is_end, 0.0, approx_value_cost(ev.cnt, self.var))
        self.gcost = np.array([0.0 if e.sym == END else guard_cost(e.mean, e.var) for e in aut.edges])
        self.out: list[list[int]] = [[] for _ in range(self.q)]
        for i, e in enumerate(aut.edges):
            self.out[e.src].append(i)
        self.state_bits = np.array([self._state_bits(ids) for ids in self.out])

    def _state_bits(self, ids) -> float:
        ids = list(ids)
        return multinomial_cost(self.ev.cnt[ids]) + float(self.vcost[ids].sum()) if ids else 0.0

    def structure_bits(self, q: int, e: int) -> float:
        """Bits of L(A) that depend on the number of states and edges only."""
        return universal_int(q) + math.log2(max(q, 2)) + e * edge_cost(q, self.s)

    def pooled_bits(self, cnt, s1, s2, is_end) -> tuple[float, float]:
        """(data bits, guard bits) of a state whose out-edges have these pooled statistics."""
        cnt = np.asarray(cnt, float)
        c = np.maximum(cnt, 1e-12)[:, None]
        mean = s1 / c
        var = np.maximum(s2 / c - mean ** 2, 0.0)
        vbits = np.where(is_end, 0.0, approx_value_cost(cnt, var)).sum()
        gbits = sum(guard_cost(mean[k], var[k]) for k in range(len(cnt)) if not is_end[k] and cnt[k] > 0)
        return multinomial_cost(cnt) + float(vbits), float(gbits)

    # -- merge -------------------------------------------------------------------
    def merge_groups(self, p: int, q: int) -> dict[int, list[int]] | None:
        """State groups that merging p and q forces (recursive determinisation); None if trivial."""
        parent = list(range(self.q))

        def find(a):
            while parent[a] != a:
                parent[a] = parent[parent[a]]
                a = parent[a]
            return a

        out = [dict() for _ in range(self.q)]
        parallel: list[list[tuple[int, int]]] = [[] for _ in range(self.q)]
        for i in range(self.n_edges):
            if self.is_end[i]:
                continue
            a, sy, t = int(self.src[i]), int(self.sym[i]), int(self.dst[i])
            first = out[a].setdefault(sy, t)
            if first != t:          # parallel edges collapse into one when their state merges
                parallel[a].append((first, t))
        pushed = set()
        stack = [(p, q)]
        while stack:
            a, b = stack.pop()
            for x in (a, b):
                if x not in pushed:
                    pushed.add(x)
                    stack.extend(parallel[x])
            ra, rb = find(a), find(b)
            if ra == rb:
                continue
            if rb < ra:
                ra, rb = rb, ra
            parent[rb] = ra
            for sy, t in out[rb].items():
                if sy in out[ra]:
                    stack.append((out[ra][sy], t))
                else:
                    out[ra][sy] = t
        groups: dict[int, list[int]] = {}
        for a in range(self.q):
            groups.setdefault(find(a), []).append(a)
        return {r: m for r, m in groups.items() if len(m) > 1} or None

    def merge_delta(self, groups: dict[int, list[int]]) -> float:
        old_data = new_data = old_guard = new_guard = 0.0
        removed_states = removed_edges = 0
        for members in groups.values():
            ids = [i for m in members for i in self.out[m]]
            syms = self.sym[ids]
            uniq, inv = np.unique(syms, return_inverse=True)
            cnt = np.bincount(inv, weights=self.ev.cnt[ids], minlength=len(uniq))
            s1 = np.zeros((len(uniq), self.aut.dim))
            s2 = np.zeros((len(uniq), self.aut.dim))
            np.add.at(s1, inv, self.ev.s1[ids])
            np.add.at(s2, inv, self.ev.s2[ids])
            data, guard = self.pooled_bits(cnt, s1, s2, uniq == END)
            new_data += data
            new_guard += guard
            old_data += float(self.state_bits[members].sum())
            old_guard += float(self.gcost[ids].sum())
            removed_states += len(members) - 1
            removed_edges += len(ids) - len(uniq)
        q2, e2 = self.q - removed_states, self.n_edges - removed_edges
        structure = self.structure_bits(q2, e2) - self.structure_bits(self.q, self.n_edges)
        return (new_data - old_data) + (new_guard - old_guard) + structure

    # -- state split ---------------------------------------------------------------
    def split_partitions(self, q: int, pairs) -> list[tuple[float, tuple[int, ...]]]:
        """Screened splits of state q by its incoming edges: [(delta, incoming ids moved to the new state)]."""
        prev, cur, w, s1, s2 = pairs
        sel = self.src[cur] == q
        if not sel.any():
            return []
        keys, kinv = np.unique(prev[sel], return_inverse=True)
        if len(keys) < 2:
            return []
        outs, oinv = np.unique(cur[sel], return_inverse=True)
        nk, no = len(keys), len(outs)
        cnt = np.zeros((nk, no))
        np.add.at(cnt, (kinv, oinv), w[sel])
        m1 = np.zeros((nk, no, self.aut.dim))
        m2 = np.zeros((nk, no, self.aut.dim))
        np.add.at(m1, (kinv, oinv), s1[sel])
        np.add.at(m2, (kinv, oinv), s2[sel])
        is_end = self.sym[outs] == END
        parts = _two_means(cnt)
        order = np.argsort(-cnt.sum(1), kind="stable")[:3]
        for k in order:
            mask = np.zeros(nk, bool)
            mask[k] = True
            parts.append(mask)
        results, seen = [], set()
        base_guard = float(self.gcost[self.out[q]].sum())
        for mask in parts:
            if mask.all() or not mask.any():
                continue
            if -1 in keys and mask[np.flatnonzero(keys == -1)[0]]:
                mask = ~mask          # the start of words stays with the original state
            key = tuple(keys[mask])
            if key in seen:
                continue
            seen.add(key)
            d_a, g_a = self.pooled_bits(cnt[~mask].sum(0), m1[~mask].sum(0), m2[~mask].sum(0), is_end)
            d_b, g_b = self.pooled_bits(cnt[mask].sum(0), m1[mask].sum(0), m2[mask].sum(0), is_end)
            e2 = self.n_edges - len(self.out[q]) + int((cnt[~mask].sum(0) > 0).sum() + (cnt[mask].sum(0) > 0).sum())
            structure = self.structure_bits(self.q + 1, e2) - self.structure_bits(self.q, self.n_edges)
            delta = d_a + d_b - self.state_bits[q] + g_a + g_b - base_guard + structure
            results.append((float(delta), tuple(int(k) for k in key)))
        return results

    # -- edge split ------------------------------------------------------------------
    def edge_split(self, e: int, seed: int, cache: dict) -> Candidate | None:
        ev = self.ev
        rows = np.flatnonzero(ev.path_edge == e)
        vals, w = ev.path_vals[rows], ev.path_w[rows]
        key = (self.aut.edges[e].src, self.aut.edges[e].sym, self.aut.edges[e].dst, round(float(ev.cnt[e]), 6),
               tuple(np.round(ev.s1[e], 6)))
        if key not in cache:
            cache[key] = _gmm2(vals, w, seed)
        fit = cache[key]
        if fit is None:
            return None
        labels, means, variances = fit
        before = float((w * gaussian_bin_cost(vals, self.mean[e], self.var[e])).sum())
        c = np.array([w[labels == 0].sum(), w[labels == 1].sum()])
        after = sum(float((w[labels == k] * gaussian_bin_cost(vals[labels == k], means[k], variances[k])).sum())
                    for k in range(2))
        choice = float((c * np.log2(c.sum() / c)).sum())      # which component: extra transition bits
        guards = guard_cost(means[0], variances[0]) + guard_cost(means[1], variances[1]) - self.gcost[e]
        structure = self.structure_bits(self.q, self.n_edges + 1) - self.structure_bits(self.q, self.n_edges)
        return Candidate("split_edge", after - before + choice + guards + structure, (e, means, variances, c))

    # -- edge deletion -----------------------------------------------------------------
    def edge_deletion(self, e: int, corpus: Corpus, model: AlignmentModel) -> Candidate:
        ev = self.ev
        words = np.unique(ev.path_word[ev.path_edge == e])
        old = float((corpus.weights[words] * ev.word_bits[words]).sum())
        n_symbols = len(self.aut.symbols) - 1
        new = 0.0
        for k in words:
            bits, _ = model.align(corpus.syms[k], corpus.vals[k])
            new += corpus.weights[k] * min(bits, explicit_bits(corpus.syms[k], corpus.vals[k], n_symbols))
        src_ids = [i for i in self.out[self.src[e]] if i != e]
        src_bits = self._state_bits(src_ids) - self.state_bits[self.src[e]]
        structure = self.structure_bits(self.q, self.n_edges - 1) - self.structure_bits(self.q, self.n_edges)
        return Candidate("delete_edge", new - old + src_bits - self.gcost[e] + structure, (e,))


def _two_means(cnt: np.ndarray) -> list[np.ndarray]:
    """Partition incoming contexts (rows: next-edge counts) in two by their next-edge distributions."""
    nk = cnt.shape[0]
    prob = (cnt + 0.5) / (cnt + 0.5).sum(1, keepdims=True)
    a = int(np.argmax(cnt.sum(1)))
    dist = np.abs(prob - prob[a]).sum(1)
    b = int(np.argmax(dist))
    if a == b or dist[b] < 1e-9:
        return []
    mask = np.zeros(nk, bool)
    mask[b] = True
    for _ in range(8):
        ca = cnt[~mask].sum(0) + 0.5
        cb = cnt[mask].sum(0) + 0.5
        la = cnt @ np.log(ca / ca.sum())
        lb = cnt @ np.log(cb / cb.sum())
        new = lb > la
        new[a] = False
        new[b] = True
        if (new == mask).all():
            break
        mask = new
    return [mask]


def _gmm2(vals: np.ndarray, w: np.ndarray, seed: int):
    """Two-component diagonal Gaussian mixture on an edge's values (weights by replication cap)."""
    from sklearn.mixture import GaussianMixture

    if len(vals) < 4 or np.all(vals.var(axis=0) < 0.25):
        return None
    rng = np.random.default_rng(seed)
    take = rng.choice(len(vals), size=min(len(vals), 3000), replace=False, p=w / w.sum())
    gm = GaussianMixture(2, covariance_type="diag", random_state=seed, reg_covar=1.0 / 12.0, max_iter=100)
    gm.fit(vals[np.sort(take)])
    labels = gm.predict(vals)
    if len(np.unique(labels)) < 2:
        return None
    means = np.array([vals[labels == k].mean(0) for k in range(2)])
    variances = np.array([vals[labels == k].var(0) for k in range(2)])
    return labels, means, variances


# -- applying operations to a copy ----------------------------------------------------------
def apply(aut: TimedAutomaton, cand: Candidate, screen: Screen) -> TimedAutomaton:
    new = aut.copy()
    kind = cand.kind
    if kind == "merge":
        groups = cand.args[0]
        rep = list(range(aut.n_states))
        for root, members in groups.items():
            for m in members:
                rep[m] = root
        pooled: dict[tuple[int, int], Edge] = {}
        edges = []
        for e in new.edges:
            src, dst = rep[e.src], (SINK if e.dst == SINK else rep[e.dst])
            if src in groups and (src, e.sym) in pooled:
                m = pooled[(src, e.sym)]
                total = m.count + e.count
                m.mean = (m.mean * m.count + e.mean * e.count) / max(total, 1e-12)
                m.count = total
                continue
            edge = Edge(src, dst, e.sym, e.count, e.mean.copy(), e.var.copy())
            if src in groups:
                pooled[(src, e.sym)] = edge
            edges.append(edge)
        new.edges = edges
    elif kind == "split_state":
        q, moved = cand.args
        fresh = new.n_states
        new.n_states += 1
        if new.phases is not None:
            new.phases.append(new.phases[q])
        for i in moved:
            new.edges[i].dst = fresh
        copies = [Edge(fresh, e.dst, e.sym, e.count, e.mean.copy(), e.var.copy())
                  for e in new.edges if e.src == q]
        new.edges.extend(copies)
    elif kind == "split_edge":
        e, means, variances, counts = cand.args
        old = new.edges[e]
        new.edges[e] = Edge(old.src, old.dst, old.sym, float(counts[0]), means[0].copy(), variances[0].copy())
        new.edges.append(Edge(old.src, old.dst, old.sym, float(counts[1]), means[1].copy(), variances[1].copy()))
    elif kind == "delete_edge":
        (e,) = cand.args
        del new.edges[e]
    else:
        raise ValueError(f"unknown operation {kind!r}")
    return new

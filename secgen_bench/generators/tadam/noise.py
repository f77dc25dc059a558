"""TADAM's noise model: five edit operations, alignment-based repair, EM rates, noise injection.

A word the automaton rejects is *repaired*: a weighted optimal-string-alignment
DP over (position, automaton state) finds the cheapest explanation of the word
as a path of the automaton plus noise. Costs are bits:

- match: -log2(1 - total noise) - log2 P(edge) - log2 P(value | edge)
- deletion (a symbol the path needs is missing): -log2 p_del - log2 P(edge)
- addition (a spurious symbol): -log2 p_add + log2 |Sigma| + universal value code
- re-emission (the previous symbol again): -log2 p_dup + universal code of the value's change
- transposition (two adjacent symbols swapped): -log2 p_trans + both edges' costs
- substitution (edge taken, another symbol seen): -log2 p_sub + log2(|Sigma| - 1) + the edge's costs

The DP is vectorised over states with numpy ((Q, Q) min-plus products per
position); consecutive deletions are bounded by ``max_deletions`` per position.
With ``want_path`` the backtrace also returns the path the repair takes (the
automaton's edges, each with the word position whose value it read, or -1 for a
deleted symbol): the paper explains a noisy word as a path plus noise, and the
path's edges are what the word used, so the learner counts them (``evaluation``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from secgen_bench.generators.tadam.automaton import END, NOISE_OPS, TimedAutomaton
from secgen_bench.generators.tadam.mdl import gaussian_bin_cost, universal_value_cost

INF = np.inf
_MATCH, _SUB, _ADD, _DUP, _TRANS = 0, 1, 2, 3, 4
_OP_NAMES = {_SUB: "substitution", _ADD: "addition", _DUP: "reemission", _TRANS: "transposition"}


def op_costs(rates: dict[str, float], floor: float) -> dict[str, float]:
    """Bits of each operation (rates floored so every repair stays possible)."""
    r = {op: max(float(rates.get(op, 0.0)), floor) for op in NOISE_OPS}
    total = sum(r.values())
    out = {op: -math.log2(p) for op, p in r.items()}
    out["match"] = -math.log2(max(1.0 - total, 1e-12))
    return out


def estimate_rates(counts: dict[str, float], cap: float = 0.25) -> dict[str, float]:
    """EM M-step: each operation's share of all reading steps, total noise capped at ``cap``."""
    total = sum(counts.values())
    if total <= 0:
        return {op: 0.0 for op in NOISE_OPS}
    rates = {op: counts.get(op, 0.0) / total for op in NOISE_OPS}
    noise = sum(rates.values())
    if noise > cap:
        rates = {op: p * cap / noise for op, p in rates.items()}
    return rates


@dataclass
class AlignmentModel:
    """An automaton prepared for the DP (optionally with some edges masked out)."""

    n_states: int
    n_symbols: int          # real symbols, without "$"
    src: np.ndarray
    dst: np.ndarray
    sym: np.ndarray
    cost: np.ndarray        # -log2 P(edge), non-end edges
    mean: np.ndarray
    var: np.ndarray
    end_cost: np.ndarray    # -log2 P($ | state), inf where no end edge
    del_matrix: np.ndarray  # (Q, Q) cheapest deletion step
    c: dict[str, float]
    max_deletions: int
    edge_id: np.ndarray     # automaton edge id of each kept non-end edge
    end_edge: np.ndarray    # automaton edge id of each state's end edge, -1 where none

    @classmethod
    def build(cls, automaton: TimedAutomaton, rates: dict[str, float], *, rate_floor: float = 1e-3,
              max_deletions: int = 2, edge_mask: np.ndarray | None = None) -> "AlignmentModel":
        src, dst, sym, logp, mean, var = automaton.arrays()
        keep = np.ones(len(src), bool) if edge_mask is None else edge_mask.copy()
        q = automaton.n_states
        end_cost = np.full(q, INF)
        ends = keep & (sym == END)
        np.minimum.at(end_cost, src[ends], -logp[ends])
        end_edge = np.full(q, -1, dtype=np.int64)
        for e in np.flatnonzero(ends):
            if end_edge[src[e]] < 0 or -logp[e] < -logp[end_edge[src[e]]]:
                end_edge[src[e]] = e
        keep &= sym != END
        c = op_costs(rates, rate_floor)
        del_matrix = np.full((q, q), INF)
        np.minimum.at(del_matrix, (src[keep], dst[keep]), -logp[keep] + c["deletion"])
        return cls(q, max(len(automaton.symbols) - 1, 1), src[keep], dst[keep], sym[keep], -logp[keep],
                   mean[keep], var[keep], end_cost, del_matrix, c, max_deletions, np.flatnonzero(keep), end_edge)

    # ------------------------------------------------------------------------
    def _step_matrices(self, syms: np.ndarray, vals: np.ndarray):
        q, n = self.n_states, len(syms)
        if len(self.src):
            edge_bits = self.cost[None, :] + gaussian_bin_cost(vals[:, None, :], self.mean[None], self.var[None])
        else:
            edge_bits = np.zeros((n, 0))
        match, sub = [], []
        sub_extra = self.c["substitution"] + math.log2(max(self.n_symbols - 1, 1))
        for i in range(n):
            hit = self.sym == syms[i]
            m = np.full((q, q), INF)
            np.minimum.at(m, (self.src[hit], self.dst[hit]), edge_bits[i, hit] + self.c["match"])
            s = np.full((q, q), INF)
            np.minimum.at(s, (self.src[~hit], self.dst[~hit]), edge_bits[i, ~hit] + sub_extra)
            match.append(m)
            sub.append(s)
        return match, sub, edge_bits

    def _close(self, d: np.ndarray, record: list | None):
        for _ in range(self.max_deletions):
            tmp = d[:, None] + self.del_matrix
            arg = tmp.argmin(axis=0)
            cand = tmp[arg, np.arange(self.n_states)]
            better = cand < d
            if record is not None:
                record.append((better, arg))
            if not better.any():
                break
            d = np.where(better, cand, d)
        return d

    def _edge_on(self, a: int, b: int, cost: np.ndarray, ok: np.ndarray) -> int:
        """Automaton id of the cheapest kept edge a -> b among ``ok`` (the one the DP's min took)."""
        cand = np.flatnonzero(ok & (self.src == a) & (self.dst == b))
        return int(self.edge_id[cand[np.argmin(cost[cand])]])

    def align(self, syms: np.ndarray, vals: np.ndarray, want_ops: bool = False, want_path: bool = False):
        """Cheapest repair of one word: (bits, operation counts or None). Bits are inf if none exists.

        With ``want_path``: (bits, counts, (edge ids, value positions)) in path order, the end edge last
        (value position -1 for deleted symbols and the end); counts and path are None when no repair exists.
        """
        want_ops = want_ops or want_path
        syms = np.asarray(syms, dtype=np.int64)
        n, q = len(syms), self.n_states
        vals = np.asarray(vals, dtype=float).reshape(n, self.mean.shape[1])
        match, sub, edge_bits = self._step_matrices(syms, vals)
        free = universal_value_cost(vals) if n else np.zeros(0)
        add_bits = self.c["addition"] + math.log2(max(self.n_symbols, 2)) + free
        # a re-emitted event repeats the previous one: its value is coded as the difference to the original's
        dup_bits = self.c["reemission"] + (universal_value_cost(np.diff(vals, axis=0, prepend=vals[:1]))
                                           if n else np.zeros(0))
        trans_bias = self.c["transposition"] - 2.0 * self.c["match"]
        cols: list[np.ndarray] = []
        step_ptr: list = [None]
        del_ptr: list = []
        cols_idx = np.arange(q)
        d = np.full(q, INF)
        d[0] = 0.0
        for j in range(n + 1):
            if j > 0:
                i, prev = j - 1, cols[j - 1]
                tmp = prev[:, None] + match[i]
                arg = tmp.argmin(axis=0)
                d = tmp[arg, cols_idx]
                op = np.zeros(q, dtype=np.int8)
                back = arg.copy()
                mid = np.full(q, -1)
                tmp = prev[:, None] + sub[i]
                a2 = tmp.argmin(axis=0)
                cand = tmp[a2, cols_idx]
                better = cand < d
                d, op, back = np.where(better, cand, d), np.where(better, _SUB, op), np.where(better, a2, back)
                cand = prev + add_bits[i]
                better = cand < d
                d, op, back = np.where(better, cand, d), np.where(better, _ADD, op), np.where(better, cols_idx, back)
                if i > 0 and syms[i] == syms[i - 1]:
                    cand = prev + dup_bits[i]
                    better = cand < d
                    d, op, back = np.where(better, cand, d), np.where(better, _DUP, op), np.where(better, cols_idx, back)
                if i > 0 and syms[i] != syms[i - 1]:
                    t1 = cols[j - 2][:, None] + match[i]
                    a1 = t1.argmin(axis=0)
                    t1 = t1[a1, cols_idx]
                    t2 = t1[:, None] + match[i - 1]
                    am = t2.argmin(axis=0)
                    cand = t2[am, cols_idx] + trans_bias
                    better = cand < d
                    d, op = np.where(better, cand, d), np.where(better, _TRANS, op)
                    back = np.where(better, a1[am], back)
                    mid = np.where(better, am, mid)
                step_ptr.append((op, back, mid) if want_ops else None)
            record = [] if want_ops else None
            d = self._close(d, record)
            del_ptr.append(record)
            cols.append(d)
        final = cols[n] + self.end_cost
        qf = int(np.argmin(final))
        bits = float(final[qf])
        if not want_ops or not np.isfinite(bits):
            return (bits, None, None) if want_path else (bits, None)
        counts = {op: 0.0 for op in NOISE_OPS}
        counts["match"] = 0.0
        edges, at = [int(self.end_edge[qf])], [-1]            # built backwards, reversed at the end
        every = np.ones(len(self.src), bool)
        j, state = n, qf
        while True:
            for better, arg in reversed(del_ptr[j]):
                if better[state]:
                    counts["deletion"] += 1
                    prev = int(arg[state])
                    if want_path:
                        edges.append(self._edge_on(prev, state, self.cost, every)); at.append(-1)
                    state = prev
            if j == 0:
                break
            op, back, mid = step_ptr[j]
            code = int(op[state])
            if code == _MATCH:
                counts["match"] += 1
            else:
                counts[_OP_NAMES[code]] += 1
            prev, i = int(back[state]), j - 1
            if want_path and code in (_MATCH, _SUB):
                hit = self.sym == syms[i]
                edges.append(self._edge_on(prev, state, edge_bits[i], hit if code == _MATCH else ~hit)); at.append(i)
            elif want_path and code == _TRANS:        # read syms[i] first (prev -> m), then syms[i - 1] (m -> state)
                m = int(mid[state])
                edges.append(self._edge_on(m, state, edge_bits[i - 1], self.sym == syms[i - 1])); at.append(i - 1)
                edges.append(self._edge_on(prev, m, edge_bits[i], self.sym == syms[i])); at.append(i)
            state = prev
            j -= 2 if code == _TRANS else 1
        if not want_path:
            return bits, counts
        return bits, counts, (np.array(edges[::-1], dtype=np.int64), np.array(at[::-1], dtype=np.int64))


def inject_noise(syms: list[int], vals: np.ndarray, rates: dict[str, float], rng: np.random.Generator,
                 n_symbols: int) -> tuple[list[int], np.ndarray]:
    """Apply the learnt noise to one generated word (symbols 1..n_symbols, values (n, d))."""
    out_s: list[int] = []
    out_v: list[np.ndarray] = []
    ops = list(NOISE_OPS)
    probs = np.array([max(rates.get(op, 0.0), 0.0) for op in ops])
    total = float(probs.sum())
    i = 0
    while i < len(syms):
        u = rng.random()
        if total <= 0 or u >= total:
            out_s.append(syms[i]); out_v.append(vals[i]); i += 1
            continue
        op = ops[int(np.searchsorted(np.cumsum(probs), u, side="right"))]
        if op == "deletion":
            i += 1
        elif op == "addition":
            out_s.append(int(rng.integers(1, n_symbols + 1))); out_v.append(vals[i])
            out_s.append(syms[i]); out_v.append(vals[i]); i += 1
        elif op == "reemission":
            out_s += [syms[i], syms[i]]; out_v += [vals[i], vals[i]]; i += 1
        elif op == "transposition" and i + 1 < len(syms):
            out_s += [syms[i + 1], syms[i]]; out_v += [vals[i + 1], vals[i]]; i += 2
        elif op == "substitution" and n_symbols > 1:
            other = int(rng.integers(1, n_symbols))
            out_s.append(other if other < syms[i] else other + 1); out_v.append(vals[i]); i += 1
        else:
            out_s.append(syms[i]); out_v.append(vals[i]); i += 1
    dim = vals.shape[1] if vals.ndim == 2 else 0
    return out_s, np.array(out_v, dtype=float).reshape(len(out_s), dim)

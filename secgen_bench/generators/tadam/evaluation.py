"""Exact MDL score of an automaton on a corpus: refit, L(A), L(D|A) with EM noise repair.

``evaluate`` parses every unique word; guards and edge probabilities start as the
maximum-likelihood fit on the words the automaton reads exactly; rejected words
are repaired by alignment or, when repair costs more than writing the word out,
coded explicitly. EM rounds re-estimate the noise rates and refit probabilities
and guards on exact and repaired words alike (a repaired word counts through the
edges of its alignment's path), so noisy words weigh in the learnt automaton as
much as clean ones. The returned
:class:`Evaluation` also carries the per-edge sufficient statistics that the
search uses to screen candidates without touching the data again.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from secgen_bench.generators.tadam.automaton import END, NOISE_OPS, SINK, Edge, TimedAutomaton
from secgen_bench.generators.tadam.corpus import Corpus
from secgen_bench.generators.tadam.mdl import (PROB_PRECISION_BITS, edge_cost, gaussian_bin_cost, guard_cost,
                                               multinomial_cost, universal_int, universal_value_cost)
from secgen_bench.generators.tadam.noise import AlignmentModel, estimate_rates, op_costs


@dataclass(frozen=True)
class NoiseSettings:
    enabled: bool = True
    rate_floor: float = 1e-3
    cap: float = 0.25
    em_iterations: int = 3
    max_deletions: int = 2


@dataclass
class Evaluation:
    total: float
    model_bits: float
    data_bits: float
    matched: np.ndarray                  # bool per unique word
    word_bits: np.ndarray                # data bits of one copy of each word (matched or repaired/explicit)
    status_counts: dict[str, float]
    # flattened paths of matched words (one row per step, "$" steps included)
    path_edge: np.ndarray = field(repr=False, default=None)
    path_prev: np.ndarray = field(repr=False, default=None)
    path_word: np.ndarray = field(repr=False, default=None)
    path_w: np.ndarray = field(repr=False, default=None)
    path_vals: np.ndarray = field(repr=False, default=None)
    # per-edge sufficient statistics (weighted)
    cnt: np.ndarray = field(repr=False, default=None)
    s1: np.ndarray = field(repr=False, default=None)
    s2: np.ndarray = field(repr=False, default=None)


def explicit_bits(syms: np.ndarray, vals: np.ndarray, n_symbols: int) -> float:
    """An unrepairable word written out: its length, each symbol uniformly, each value universally."""
    n = len(syms)
    return universal_int(n + 1) + n * math.log2(max(n_symbols, 2)) + float(universal_value_cost(vals).sum())


def model_bits(aut: TimedAutomaton) -> float:
    """L(A): states, initial state, noise rates, per edge structure + probability + guard."""
    q, s = aut.n_states, len(aut.symbols) - 1
    bits = universal_int(q) + math.log2(max(q, 2)) + len(NOISE_OPS) * PROB_PRECISION_BITS
    bits += len(aut.edges) * edge_cost(q, s)
    bits += sum(guard_cost(e.mean, e.var) for e in aut.edges if e.sym != END)
    return bits


def parse_corpus(aut: TimedAutomaton, corpus: Corpus) -> list[np.ndarray | None]:
    return aut.parse_many(corpus.syms, corpus.vals, corpus.flat(aut.dim))


def refit(aut: TimedAutomaton, corpus: Corpus, rounds: int = 2) -> list[np.ndarray | None]:
    """Set counts and guards to their ML values on exactly read words; drop unused edges and states."""
    paths = parse_corpus(aut, corpus)
    for _ in range(rounds):
        e_count = len(aut.edges)
        cnt = np.zeros(e_count)
        s1 = np.zeros((e_count, aut.dim))
        s2 = np.zeros((e_count, aut.dim))
        for path, v, w in zip(paths, corpus.vals, corpus.weights):
            if path is None:
                continue
            np.add.at(cnt, path, w)
            if aut.dim:
                np.add.at(s1, path[:-1], w * v)
                np.add.at(s2, path[:-1], w * v * v)
        keep = cnt > 0
        for i, e in enumerate(aut.edges):
            if keep[i]:
                e.count = float(cnt[i])
                e.mean = s1[i] / cnt[i]
                e.var = np.maximum(s2[i] / cnt[i] - e.mean ** 2, 0.0)
        changed = not keep.all()
        aut.edges = [e for i, e in enumerate(aut.edges) if keep[i]]
        changed |= compact(aut)
        if not changed and not _has_parallel(aut):
            break
        paths = parse_corpus(aut, corpus)
    return paths


def _has_parallel(aut: TimedAutomaton) -> bool:
    keys = [(e.src, e.sym) for e in aut.edges]
    return len(keys) != len(set(keys))


def compact(aut: TimedAutomaton) -> bool:
    """Keep the states reachable from the initial state that still reach the sink; renumber them."""
    n = aut.n_states
    succ: dict[int, set[int]] = {}
    pred: dict[int, set[int]] = {}
    for e in aut.edges:
        succ.setdefault(e.src, set()).add(e.dst)
        pred.setdefault(e.dst, set()).add(e.src)
    fwd, stack = {0}, [0]
    while stack:
        for t in succ.get(stack.pop(), ()):
            if t != SINK and t not in fwd:
                fwd.add(t); stack.append(t)
    bwd = set(pred.get(SINK, ()))
    stack = list(bwd)
    while stack:
        for s in pred.get(stack.pop(), ()):
            if s not in bwd:
                bwd.add(s); stack.append(s)
    alive = sorted((fwd & bwd) | {0})
    if len(alive) == n and all(e.src in fwd and (e.dst == SINK or e.dst in bwd) for e in aut.edges):
        return False
    remap = {old: new for new, old in enumerate(alive)}
    remap[SINK] = SINK
    aut.edges = [Edge(remap[e.src], remap[e.dst], e.sym, e.count, e.mean, e.var)
                 for e in aut.edges if e.src in remap and e.dst in remap]
    aut.n_states = len(alive)
    if aut.phases is not None:
        aut.phases = [aut.phases[old] for old in alive]
    return True


def _matched_table(paths):
    """Steps of the exactly read words: (edge, word, value position or -1) per step, "$" steps included."""
    idx = [k for k, p in enumerate(paths) if p is not None]
    return _steps_table({k: (paths[k], np.r_[np.arange(len(paths[k]) - 1), -1]) for k in idx})


def _steps_table(words: dict[int, tuple[np.ndarray, np.ndarray]]):
    if not words:
        z = np.zeros(0, dtype=np.int64)
        return z, z, z
    keys = list(words)
    edge = np.concatenate([words[k][0] for k in keys]).astype(np.int64)
    at = np.concatenate([words[k][1] for k in keys]).astype(np.int64)
    word = np.repeat(np.asarray(keys, dtype=np.int64), [len(words[k][0]) for k in keys])
    return edge, word, at


def _join(*tables):
    return tuple(np.concatenate([t[i] for t in tables]) for i in range(3))


def _step_values(aut: TimedAutomaton, corpus: Corpus, edge, word, at) -> np.ndarray:
    """Value of each step: the word's value it read, the edge's guard mean for a deleted symbol, 0 for "$"."""
    out = np.zeros((len(edge), aut.dim))
    if not aut.dim or not len(edge):
        return out
    read = np.flatnonzero(at >= 0)
    for k in np.unique(word[read]):
        rows = read[word[read] == k]
        out[rows] = corpus.vals[k][at[rows]]
    gone = np.flatnonzero((at < 0) & (np.array([e.sym for e in aut.edges], dtype=np.int64)[edge] != END))
    if len(gone):
        out[gone] = np.array([aut.edges[e].mean for e in edge[gone]], dtype=float).reshape(len(gone), aut.dim)
    return out


def _edge_stats(aut: TimedAutomaton, edge, w, vals, missing):
    """Weighted count and value moments per edge; a deleted symbol's value enters by its expectation
    under the edge's guard (E[v] = mean, E[v^2] = mean^2 + var: the EM step for a missing value)."""
    n_edges = len(aut.edges)
    cnt = np.bincount(edge, weights=w, minlength=n_edges)
    s1 = np.zeros((n_edges, aut.dim))
    s2 = np.zeros((n_edges, aut.dim))
    var = np.array([e.var for e in aut.edges], dtype=float).reshape(n_edges, aut.dim)
    extra = np.where(missing[:, None], var[edge], 0.0) if len(edge) else np.zeros((0, aut.dim))
    for d in range(aut.dim):
        s1[:, d] = np.bincount(edge, weights=w * vals[:, d], minlength=n_edges)
        s2[:, d] = np.bincount(edge, weights=w * (vals[:, d] ** 2 + extra[:, d]), minlength=n_edges)
    return cnt, s1, s2


def _set_parameters(aut: TimedAutomaton, cnt, s1, s2) -> float:
    """ML counts and guards from the statistics; returns the largest relative change of a count."""
    change = 0.0
    for i, e in enumerate(aut.edges):
        if cnt[i] <= 0:
            continue
        change = max(change, abs(cnt[i] - e.count) / cnt[i])
        e.count = float(cnt[i])
        e.mean = s1[i] / cnt[i]
        e.var = np.maximum(s2[i] / cnt[i] - e.mean ** 2, 0.0)
    return change


def evaluate(aut: TimedAutomaton, corpus: Corpus, noise: NoiseSettings, paths=None) -> Evaluation:
    """Refit ``aut`` in place, then score it: total = L(A) + L(D|A) in bits.

    Counts and guards are first the ML fit on the exactly read words (``refit``); with noise, each
    EM round aligns the rejected words, re-estimates the noise rates and refits counts and guards on
    every word that is not written out explicitly, a repaired word through the path its alignment
    takes. The final alignment then codes the rejected words under the final parameters.
    """
    if paths is None:
        paths = refit(aut, corpus)
    n_words = len(corpus.syms)
    n_symbols = len(aut.symbols) - 1
    matched = np.array([p is not None for p in paths], dtype=bool)
    exact = _matched_table(paths)
    exact_vals = _step_values(aut, corpus, *exact)
    lengths = np.array([len(s) for s in corpus.syms], dtype=float)
    matched_steps = float((corpus.weights * lengths)[matched].sum())

    word_bits = np.zeros(n_words)
    status = np.zeros(n_words, dtype=np.int8)            # 0 matched, 1 repaired, 2 explicit
    explicit = np.array([explicit_bits(corpus.syms[k], corpus.vals[k], n_symbols) if not matched[k] else 0.0
                         for k in range(n_words)])
    rates = dict(aut.noise)
    unmatched = np.flatnonzero(~matched)
    repairs: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def align_all(model):
        counts = {op: 0.0 for op in NOISE_OPS}
        counts["match"] = matched_steps
        repairs.clear()
        for k in unmatched:
            bits, ops, path = model.align(corpus.syms[k], corpus.vals[k], want_path=True)
            if ops is not None and bits < explicit[k]:
                word_bits[k], status[k] = bits, 1
                repairs[k] = path
                for op, c in ops.items():
                    counts[op] += corpus.weights[k] * c
            else:
                word_bits[k], status[k] = explicit[k], 2
        return counts

    if noise.enabled and len(unmatched):
        for _ in range(max(noise.em_iterations, 1)):
            model = AlignmentModel.build(aut, rates, rate_floor=noise.rate_floor, max_deletions=noise.max_deletions)
            new_rates = estimate_rates(align_all(model), noise.cap)   # counts include the match steps
            rep = _steps_table(repairs)
            table = _join(exact, rep)
            vals = np.vstack([exact_vals, _step_values(aut, corpus, *rep)])
            edge, word, at = table
            missing = (at < 0) & (np.array([e.sym for e in aut.edges], dtype=np.int64)[edge] != END)
            moved = _set_parameters(aut, *_edge_stats(aut, edge, corpus.weights[word], vals, missing))
            still = all(abs(new_rates[op] - rates.get(op, 0.0)) < 1e-4 for op in NOISE_OPS) and moved < 1e-3
            rates = new_rates
            if still:
                break
        # final costs with the final rates and parameters
        model = AlignmentModel.build(aut, rates, rate_floor=noise.rate_floor, max_deletions=noise.max_deletions)
        align_all(model)
    else:
        rates = {op: 0.0 for op in NOISE_OPS}
        word_bits[unmatched] = explicit[unmatched]
        status[unmatched] = 2
    aut.noise = rates

    # every step of every coded word under the final parameters: matched words' bits and the search's statistics
    src, dst, sym, logp, mean, var = aut.arrays()
    rep = _steps_table(repairs)
    path_edge, path_word, at = _join(exact, rep)
    path_vals = np.vstack([exact_vals, _step_values(aut, corpus, *rep)])
    is_end = sym[path_edge] == END if len(path_edge) else np.zeros(0, bool)
    missing = (at < 0) & ~is_end
    path_w = corpus.weights[path_word] if len(path_word) else np.zeros(0)
    cnt, s1, s2 = _edge_stats(aut, path_edge, path_w, path_vals, missing)
    starts = np.flatnonzero(np.r_[True, path_word[1:] != path_word[:-1]]) if len(path_word) else np.zeros(0, int)
    path_prev = np.r_[-1, path_edge[:-1]] if len(path_edge) else np.zeros(0, dtype=np.int64)
    path_prev[starts] = -1
    n_exact = len(exact[0])
    ex_edge, ex_word = path_edge[:n_exact], path_word[:n_exact]
    step_bits = -logp[ex_edge]
    if aut.dim and n_exact:
        vb = gaussian_bin_cost(path_vals[:n_exact], mean[ex_edge], var[ex_edge])
        step_bits = step_bits + np.where(is_end[:n_exact], 0.0, vb)
    core_bits = np.bincount(ex_word, weights=step_bits, minlength=n_words)       # per matched word
    c_match = op_costs(rates, noise.rate_floor)["match"] if noise.enabled else 0.0
    word_bits[matched] = core_bits[matched] + lengths[matched] * c_match

    status_w = np.array([corpus.weights[status == k].sum() for k in range(3)])
    status_bits = multinomial_cost(status_w) + 2 * PROB_PRECISION_BITS
    data = float((corpus.weights * word_bits).sum()) + status_bits
    mbits = model_bits(aut)
    return Evaluation(mbits + data, mbits, data, matched, word_bits,
                      {"matched": float(status_w[0]), "repaired": float(status_w[1]), "explicit": float(status_w[2])},
                      path_edge, path_prev, path_word, path_w, path_vals, cnt, s1, s2)

"""The timed automaton TADAM learns: states, probabilistic edges with Gaussian guards, noise rates.

State 0 is the initial state; the accepting sink is ``SINK`` (-1) and is reached
only by the end symbol ``$`` (symbol index 0). Each edge has a symbol, a count
(its probability is the count over all counts leaving its source) and a
diagonal Gaussian guard on the value vector. Parallel edges with one symbol
(a multimodal guard) are allowed: a reading takes the component that makes
``P(edge) P(value | edge)`` largest, so every word has at most one path.
One clock, reset at every event: a value is the event's own delay (and size).

``phases`` (optional) labels every state with the phase of a known protocol machine
(:mod:`.phases`) that all paths into it share; the search keeps that labelling true.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import numpy as np

from secgen_bench.generators.tadam.mdl import MIN_VAR, gaussian_bin_cost

END = 0


def flatten_words(words_syms, words_vals, dim: int):
    """(all symbols, all values (N, d), start offset of each word)."""
    lengths = np.array([len(w) for w in words_syms], dtype=np.int64)
    offsets = np.r_[0, np.cumsum(lengths)[:-1]].astype(np.int64) if len(lengths) else np.zeros(0, np.int64)
    syms = np.concatenate(words_syms).astype(np.int64) if len(words_syms) else np.zeros(0, np.int64)
    vals = np.concatenate([np.asarray(v, float).reshape(len(s), dim) for s, v in zip(words_syms, words_vals)]) \
        if len(words_syms) else np.zeros((0, dim))
    return syms, vals.reshape(len(syms), dim), offsets
SINK = -1
NOISE_OPS = ("deletion", "addition", "reemission", "transposition", "substitution")


@dataclass
class Edge:
    src: int
    dst: int
    sym: int
    count: float
    mean: np.ndarray
    var: np.ndarray


@dataclass
class TimedAutomaton:
    symbols: list[str]                       # index 0 is the end symbol "$"
    dim: int
    n_states: int = 1
    edges: list[Edge] = field(default_factory=list)
    noise: dict[str, float] = field(default_factory=lambda: {op: 0.0 for op in NOISE_OPS})
    phases: list[int] | None = None          # per state: the protocol phase every path into it is in

    # -- structure ----------------------------------------------------------
    def out_index(self) -> dict[tuple[int, int], list[int]]:
        """(state, symbol) -> edge ids."""
        index: dict[tuple[int, int], list[int]] = {}
        for i, e in enumerate(self.edges):
            index.setdefault((e.src, e.sym), []).append(i)
        return index

    def state_totals(self) -> np.ndarray:
        totals = np.zeros(self.n_states)
        for e in self.edges:
            totals[e.src] += e.count
        return totals

    def log2_probs(self) -> np.ndarray:
        """log2 P(edge | its source) for every edge."""
        totals = self.state_totals()
        counts = np.array([e.count for e in self.edges], dtype=float)
        src = np.array([e.src for e in self.edges], dtype=int)
        with np.errstate(divide="ignore"):
            return np.log2(counts) - np.log2(np.maximum(totals[src], 1e-300))

    def arrays(self):
        """Edge table as arrays: src, dst, sym, log2 p, mean (E, d), var (E, d)."""
        src = np.array([e.src for e in self.edges], dtype=np.int64)
        dst = np.array([e.dst for e in self.edges], dtype=np.int64)
        sym = np.array([e.sym for e in self.edges], dtype=np.int64)
        mean = np.array([e.mean for e in self.edges], dtype=float).reshape(len(self.edges), self.dim)
        var = np.array([e.var for e in self.edges], dtype=float).reshape(len(self.edges), self.dim)
        return src, dst, sym, self.log2_probs(), mean, var

    def copy(self) -> "TimedAutomaton":
        """Copy of the (small) structure; the training data is never copied."""
        edges = [Edge(e.src, e.dst, e.sym, e.count, e.mean.copy(), e.var.copy()) for e in self.edges]
        phases = None if self.phases is None else list(self.phases)
        return TimedAutomaton(list(self.symbols), self.dim, self.n_states, edges, dict(self.noise), phases)

    # -- reading ------------------------------------------------------------
    def parse(self, syms: np.ndarray, vals: np.ndarray, index=None, logp=None) -> np.ndarray | None:
        """Edge ids of the word's path (last one is the ``$`` edge), or None when the word is rejected."""
        index = self.out_index() if index is None else index
        logp = self.log2_probs() if logp is None else logp
        path = np.empty(len(syms) + 1, dtype=np.int64)
        q = 0
        for i, s in enumerate(syms):
            cands = index.get((q, int(s)))
            if not cands:
                return None
            if len(cands) == 1:
                e = cands[0]
            else:
                scores = [logp[c] - gaussian_bin_cost(vals[i], self.edges[c].mean, self.edges[c].var) for c in cands]
                e = cands[int(np.argmax(scores))]
            path[i] = e
            q = self.edges[e].dst
        cands = index.get((q, END))
        if not cands:
            return None
        path[-1] = cands[0]
        return path

    def parse_many(self, words_syms: list[np.ndarray], words_vals: list[np.ndarray], flat=None) -> list:
        """Vectorised :meth:`parse` of many words at once (step-synchronous over positions)."""
        n_words = len(words_syms)
        lengths = np.array([len(s) for s in words_syms], dtype=np.int64)
        if flat is None:
            flat = flatten_words(words_syms, words_vals, self.dim)
        syms, vals, offsets = flat
        n_sym = len(self.symbols) + 1             # one spare id for unknown symbols
        index = self.out_index()
        width = max((len(v) for v in index.values()), default=1)
        slots = np.full((self.n_states * n_sym, width), -1, dtype=np.int64)
        for (q, sy), ids in index.items():
            slots[q * n_sym + sy, : len(ids)] = ids
        src, dst, sym, logp, mean, var = self.arrays()
        state = np.zeros(n_words, dtype=np.int64)
        alive = np.ones(n_words, bool)
        path_flat = np.full(len(syms) + n_words, -1, dtype=np.int64)   # room for each word's "$" step
        path_off = offsets + np.arange(n_words)
        for i in range(int(lengths.max(initial=0))):
            act = np.flatnonzero(alive & (lengths > i))
            if not len(act):
                break
            ev = offsets[act] + i
            x = np.minimum(syms[ev], n_sym - 1)
            cand = slots[state[act] * n_sym + x]                       # (a, width)
            ok = cand >= 0
            if width == 1:
                choice = cand[:, 0]
            else:
                safe = np.where(ok, cand, 0)
                score = np.where(ok, logp[safe], -np.inf)
                multi = ok.sum(1) > 1
                if multi.any() and self.dim:
                    vb = gaussian_bin_cost(vals[ev[multi]][:, None, :], mean[safe[multi]], var[safe[multi]])
                    score[multi] = np.where(ok[multi], score[multi] - vb, -np.inf)
                choice = safe[np.arange(len(act)), np.argmax(score, axis=1)]
            bad = ~ok.any(1)
            alive[act[bad]] = False
            good = act[~bad]
            choice = choice[~bad]
            path_flat[path_off[good] + i] = choice
            state[good] = dst[choice]
        ends = slots[state * n_sym + END, 0]
        alive &= ends >= 0
        path_flat[path_off[alive] + lengths[alive]] = ends[alive]
        return [path_flat[path_off[k]: path_off[k] + lengths[k] + 1] if alive[k] else None for k in range(n_words)]

    # -- generation -----------------------------------------------------------
    def sample_word(self, rng: np.random.Generator, max_len: int = 1000, plan=None) -> tuple[list[int], np.ndarray]:
        """One random walk from the initial state to the sink: symbols and rounded non-negative values."""
        plan = self._walk_plan() if plan is None else plan
        q, syms, vals = 0, [], []
        while len(syms) < max_len:
            ids, probs = plan.get(q, ((), ()))
            if len(ids) == 0:
                break
            e = self.edges[ids[rng.choice(len(ids), p=probs)]]
            if e.sym == END:
                break
            value = rng.normal(e.mean, np.sqrt(np.maximum(e.var, MIN_VAR))) if self.dim else np.zeros(0)
            syms.append(e.sym)
            vals.append(np.maximum(np.round(value), 0.0))
            q = e.dst
        return syms, np.array(vals, dtype=float).reshape(len(syms), self.dim)

    def _walk_plan(self) -> dict[int, tuple[list[int], np.ndarray]]:
        plan: dict[int, tuple[list[int], list[float]]] = {}
        for i, e in enumerate(self.edges):
            ids, counts = plan.setdefault(e.src, ([], []))
            ids.append(i)
            counts.append(e.count)
        return {q: (ids, np.asarray(c) / np.sum(c)) for q, (ids, c) in plan.items()}

    # -- export ---------------------------------------------------------------
    def to_dict(self) -> dict:
        logp = self.log2_probs()
        return {
            "format": "secgen-bench tadam automaton 1",
            "symbols": list(self.symbols),
            "dim": self.dim,
            "n_states": self.n_states,
            "initial": 0,
            "accepting_sink": SINK,
            "noise": dict(self.noise),
            "phases": None if self.phases is None else [int(p) for p in self.phases],
            "edges": [
                {"src": e.src, "dst": e.dst, "symbol": self.symbols[e.sym], "count": float(e.count),
                 "prob": float(2.0 ** logp[i]), "mean": [float(x) for x in e.mean], "var": [float(x) for x in e.var]}
                for i, e in enumerate(self.edges)
            ],
        }

    def to_json(self, path=None, indent: int = 1) -> str:
        text = json.dumps(self.to_dict(), indent=indent)
        if path is not None:
            with open(path, "w") as fh:
                fh.write(text)
        return text

    @classmethod
    def from_dict(cls, d: dict) -> "TimedAutomaton":
        symbols = list(d["symbols"])
        lookup = {s: i for i, s in enumerate(symbols)}
        edges = [Edge(int(e["src"]), int(e["dst"]), lookup[e["symbol"]], float(e["count"]),
                      np.asarray(e["mean"], dtype=float), np.asarray(e["var"], dtype=float)) for e in d["edges"]]
        phases = d.get("phases")
        return cls(symbols, int(d["dim"]), int(d["n_states"]), edges, {k: float(v) for k, v in d["noise"].items()},
                   None if phases is None else [int(p) for p in phases])

    def to_dot(self, path=None, precision: int = 2) -> str:
        logp = self.log2_probs()
        lines = ["digraph tadam {", "  rankdir=LR;", '  sink [shape=doublecircle, label="$"];',
                 '  start [shape=point];', "  start -> q0;"]
        lines += [f'  q{q} [shape=circle, label="{q}"];' for q in range(self.n_states)]
        for i, e in enumerate(self.edges):
            guard = ""
            if self.dim and e.sym != END:
                mu = ",".join(f"{m:.{precision}g}" for m in e.mean)
                sd = ",".join(f"{math.sqrt(max(v, 0.0)):.{precision}g}" for v in e.var)
                guard = f" N([{mu}],[{sd}])"
            label = f"{self.symbols[e.sym]} p={2.0 ** logp[i]:.{precision}f}{guard}".replace('"', r'\"')
            dst = "sink" if e.dst == SINK else f"q{e.dst}"
            lines.append(f'  q{e.src} -> {dst} [label="{label}"];')
        lines.append("}")
        text = "\n".join(lines) + "\n"
        if path is not None:
            with open(path, "w") as fh:
                fh.write(text)
        return text

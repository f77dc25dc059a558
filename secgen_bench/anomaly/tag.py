"""TAG (Cornanguer et al., AAAI'22): timed automata from logs by k-future merging, then interval guards.

Reimplementation from the paper's description (no code reused). Steps:
1. a prefix tree of the training words with counts;
2. states with the same k-future (the set of symbol strings of length <= k, ``$``
   marking an end, readable from the state) are merged, with recursive
   determinisation (folding);
3. every transition gets interval guards on its delays: the sorted delays are cut
   at gaps wider than ``gap_ratio`` times the transition's delay range (at least
   ``min_gap``), each cluster gives an interval widened by ``tolerance``;
4. probabilities are relative frequencies; a word's score is its negative
   log-likelihood, a rejected word (unknown transition, or a delay outside all
   intervals) gets ``-floor``.
Departures: delay intervals are kept per transition (TAG may also split a
transition into several target states by interval); k defaults to 2.
"""
from __future__ import annotations

import math
from collections import deque

import numpy as np

from secgen_bench.anomaly.base import Detector
from secgen_bench.anomaly.timed_tree import (as_timed_words, build_tree, dedupe, finalize, fold, resolve,
                                             word_loglik)


class TAGDetector(Detector):
    name = "tag"
    description = "TAG timed automaton (k-future merging + interval guards); score = -log-likelihood"

    def __init__(self, k: int = 2, gap_ratio: float = 0.2, min_gap: float = 1.0, tolerance: float = 0.5,
                 floor: float = -1e4):
        if k < 1:
            raise ValueError(f"tag detector: k must be >= 1, got {k}")
        super().__init__(k=k, gap_ratio=gap_ratio, min_gap=min_gap, tolerance=tolerance, floor=floor)
        self.k, self.gap_ratio, self.min_gap, self.tolerance, self.floor = k, gap_ratio, min_gap, tolerance, floor

    def _fit(self, sequences, *, seed: int) -> None:
        words, weights, _ = dedupe(as_timed_words(sequences))
        nodes: list = []
        root = build_tree(words, weights, nodes)
        futures = self._futures(nodes, root)
        alias: dict[int, int] = {}
        rep: dict = {}
        for node in _bfs(nodes, root):
            if node in alias:
                continue
            sig = futures[node]
            r = rep.get(sig)
            if r is None:
                rep[sig] = node
                continue
            r = resolve(alias, r)
            if r != node:
                fold(nodes, r, node, alias)     # branches into node now resolve to r
        finalize(nodes, alias)
        self.nodes_, self.root_ = nodes, root
        self.guards_ = {}
        for node in _bfs(nodes, root):
            for bl in nodes[node].branches.values():
                for b in bl:
                    self.guards_[id(b)] = self._intervals(b[4])

    def _futures(self, nodes, root) -> dict[int, frozenset]:
        memo: dict[tuple[int, int], frozenset] = {}

        def fut(n: int, k: int) -> frozenset:
            key = (n, k)
            if key in memo:
                return memo[key]
            out = set()
            if nodes[n].end > 0:
                out.add(("$",))
            if k > 0:
                for sym, bl in nodes[n].branches.items():
                    for b in bl:
                        if b[2] is not None:
                            out.update((sym,) + t for t in fut(b[2], k - 1))
            if k == 0:
                out.add(())
            memo[key] = frozenset(out)
            return memo[key]

        return {n: fut(n, self.k) for n in range(len(nodes))}

    def _intervals(self, delays) -> list[tuple[float, float, float]]:
        d = np.sort(np.asarray(delays, dtype=float))
        if d.size == 0:
            return [(-math.inf, math.inf, 1.0)]
        gap = max(self.min_gap, self.gap_ratio * (d[-1] - d[0]))
        cuts = np.flatnonzero(np.diff(d) > gap) + 1
        out = []
        for part in np.split(d, cuts):
            width = part[-1] - part[0]
            pad = self.tolerance * max(width, 1.0)
            out.append((part[0] - pad, part[-1] + pad, len(part) / d.size))
        return out

    def _guard(self, node, sym, branch, delay):
        for lo, hi, frac in self.guards_.get(id(branch), ()):
            if lo <= delay <= hi:
                return math.log(frac)
        return None

    def _score(self, sequences) -> np.ndarray:
        words, _, inverse = dedupe(as_timed_words(sequences))
        ll = np.array([word_loglik(self.nodes_, self.root_, w, self.floor, self._guard) for w in words])
        return -ll[inverse]


def _bfs(nodes, root) -> list[int]:
    seen, order, queue = {root}, [], deque([root])
    while queue:
        n = queue.popleft()
        order.append(n)
        for bl in nodes[n].branches.values():
            for b in bl:
                c = b[2]
                if c is not None and c not in seen:
                    seen.add(c)
                    queue.append(c)
    return order

"""RTI+ (Verwer, de Weerdt, Witteveen): real-time automata by red-blue merging with likelihood-ratio tests.

Reimplementation from the papers' description (no code reused). Starting from
the timed prefix tree (root red, its children blue), repeatedly take the
blue state with the most data and
1. merge it into the red state with the highest likelihood-ratio p-value above
   ``alpha`` (the test compares the next-symbol/end distributions of every state
   pair the fold identifies; pairs with fewer than ``min_count`` words are not tested);
2. otherwise, when delays vary, try a time split of the transition into it at the
   median delay: the two sub-prefix-trees are rebuilt from the words and the
   split is kept when the test says their futures differ (p < ``alpha``);
3. otherwise colour it red.
Probabilities are relative frequencies; the score is the negative
log-likelihood (``-floor`` for a rejected word).
Departures: one candidate split point (the median) per test instead of RTI+'s
search over all; ties between reds go to the one with more tested evidence.
"""
from __future__ import annotations

import numpy as np

from secgen_bench.anomaly.base import Detector
from secgen_bench.anomaly.timed_tree import (as_timed_words, build_tree, dedupe, finalize, fold, lrt_statistic,
                                             resolve, word_loglik)


class RTIPlusDetector(Detector):
    name = "rti+"
    description = "RTI+ real-time automaton (red-blue merging, likelihood-ratio tests, time splits)"

    def __init__(self, alpha: float = 0.05, min_count: float = 5.0, floor: float = -1e4, max_states: int = 100000):
        if not 0 < alpha < 1:
            raise ValueError(f"rti+ detector: alpha must be in (0, 1), got {alpha}")
        super().__init__(alpha=alpha, min_count=min_count, floor=floor)
        self.alpha, self.min_count, self.floor, self.max_states = alpha, min_count, floor, max_states

    def _fit(self, sequences, *, seed: int) -> None:
        from scipy.stats import chi2

        words, weights, _ = dedupe(as_timed_words(sequences))
        timed = len({d for w in words for _, d in w}) > 1
        nodes: list = []
        root = build_tree(words, weights, nodes)
        alias: dict[int, int] = {}
        red, red_set = [root], {root}
        while len(red) < self.max_states:
            blue = {}
            for r in red:
                for bl in nodes[r].branches.values():
                    for br in bl:
                        if br[2] is not None:
                            br[2] = resolve(alias, br[2])
                            if br[2] not in red_set:
                                blue.setdefault(br[2], (bl, br))
            if not blue:
                break
            cand = max(blue, key=lambda n: (nodes[n].total, -n))
            best = None
            for r in red:
                stat, dof = lrt_statistic(nodes, r, cand, self.min_count, alias)
                p = float(chi2.sf(stat, dof)) if dof > 0 else 1.0
                key = (dof > 0, p, -r)
                if p > self.alpha and (best is None or key > best[0]):
                    best = (key, r)
            if best is not None:
                fold(nodes, best[1], cand, alias)
                continue
            if timed and self._try_split(nodes, cand, *blue[cand], words, weights, chi2):
                continue
            red.append(cand)
            red_set.add(cand)
        finalize(nodes, alias)
        self.nodes_, self.root_ = nodes, root

    def _try_split(self, nodes, node, parent_list, branch, words, weights, chi2) -> bool:
        """Split the transition into ``node`` at the median arrival delay when the futures differ."""
        visits = nodes[node].visits
        arrive = np.array([words[k][pos - 1][1] for k, pos in visits])
        if len(np.unique(arrive)) < 2:
            return False
        t = float(np.median(arrive))
        if t >= arrive.max():
            t = float(np.unique(arrive)[-2])
        lo_vis = [v for v, d in zip(visits, arrive) if d <= t]
        hi_vis = [v for v, d in zip(visits, arrive) if d > t]
        start = len(nodes)
        a = build_tree(words, weights, nodes, lo_vis)
        b = build_tree(words, weights, nodes, hi_vis)
        stat, dof = lrt_statistic(nodes, a, b, self.min_count)
        p = float(chi2.sf(stat, dof)) if dof > 0 else 1.0
        if p >= self.alpha:
            del nodes[start:]
            return False
        lo, hi = branch[0], branch[1]
        c_lo = float(sum(weights[k] for k, _ in lo_vis))
        c_hi = float(sum(weights[k] for k, _ in hi_vis))
        i = next(j for j, x in enumerate(parent_list) if x is branch)
        parent_list[i:i + 1] = [[lo, t, a, c_lo, [d for d in branch[4] if d <= t]],
                                [t, hi, b, c_hi, [d for d in branch[4] if d > t]]]
        return True

    def _score(self, sequences) -> np.ndarray:
        words, _, inverse = dedupe(as_timed_words(sequences))
        ll = np.array([word_loglik(self.nodes_, self.root_, w, self.floor) for w in words])
        return -ll[inverse]

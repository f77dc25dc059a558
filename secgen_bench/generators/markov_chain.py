"""First-order Markov chain over packet symbols (packets-track baseline).

Per service: P(next symbol | previous symbol) with start and end states; each
transition keeps its training values ([iat, size]) and sampling draws one of
them uniformly (empirical per-transition value distribution).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from secgen_bench.generators.common.per_service import PacketWordsConfig, PerServiceSequenceGenerator

_START, _END = "^", "$"


@dataclass(frozen=True)
class MarkovChainConfig(PacketWordsConfig):
    max_length: int = 1000

    def __post_init__(self):
        super().__post_init__()
        if self.max_length < 1:
            raise ValueError(f"option 'max_length' must be >= 1, got {self.max_length}")


class MarkovChain(PerServiceSequenceGenerator):
    name = "markov-chain"
    version = "1.0"
    description = "First-order Markov chain over packet symbols, empirical values per transition"
    Config = MarkovChainConfig
    PROFILES = {"quick": {}, "paper": {}}

    def _fit_words(self, words, seed):
        nxt: dict[str, dict[str, list]] = {}
        for word in words:
            prev = _START
            for sym, val in word:
                nxt.setdefault(prev, {}).setdefault(sym, []).append(np.asarray(val, float))
                prev = sym
            nxt.setdefault(prev, {}).setdefault(_END, [])
            nxt[prev][_END].append(None)
        model = {}
        for prev in sorted(nxt):
            syms = sorted(nxt[prev])
            counts = np.array([len(nxt[prev][s]) for s in syms], float)
            vals = {s: np.array(nxt[prev][s]) for s in syms if s != _END}
            model[prev] = (syms, counts / counts.sum(), vals)
        return model

    def _sample_words(self, model, k, rng):
        out = []
        for _ in range(k):
            word, prev = [], _START
            while len(word) < self.config.max_length:
                syms, probs, vals = model[prev]
                sym = syms[rng.choice(len(syms), p=probs)]
                if sym == _END:
                    break
                pool = vals[sym]
                word.append((sym, pool[rng.integers(len(pool))]))
                prev = sym
            out.append(word)
        return out

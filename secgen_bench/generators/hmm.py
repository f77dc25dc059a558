"""Hidden Markov model over packet symbols (packets-track baseline, hmmlearn CategoricalHMM).

Per service: a CategoricalHMM on the symbol words, each ended by an explicit end
symbol so the HMM learns lengths. Sampling walks the chain until it emits the end
symbol; values ([iat, size]) are drawn from the training values of the same
(hidden state, symbol) under the Viterbi decoding (or of the symbol when that
pair was never decoded).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from secgen_bench.generators.common.per_service import PacketWordsConfig, PerServiceSequenceGenerator

_END = "$"


@dataclass(frozen=True)
class HMMConfig(PacketWordsConfig):
    n_states: int = 8
    n_iter: int = 50
    max_length: int = 1000

    def __post_init__(self):
        super().__post_init__()
        if self.n_states < 1 or self.n_iter < 1 or self.max_length < 1:
            raise ValueError("n_states, n_iter, max_length must be >= 1")


class HMM(PerServiceSequenceGenerator):
    name = "hmm"
    version = "1.0"
    description = "CategoricalHMM over packet symbols (hmmlearn), values drawn per hidden state"
    Config = HMMConfig
    PROFILES = {"quick": {"n_states": 4, "n_iter": 10}, "paper": {}}
    requires = ("hmmlearn",)
    extra = "hmm"

    def _fit_words(self, words, seed):
        from hmmlearn.hmm import CategoricalHMM

        symbols = sorted({s for w in words for s, _ in w}) + [_END]
        lookup = {s: i for i, s in enumerate(symbols)}
        seqs = [np.array([lookup[s] for s, _ in w] + [lookup[_END]]) for w in words]
        x = np.concatenate(seqs)[:, None]
        lengths = [len(s) for s in seqs]
        n_states = max(1, min(self.config.n_states, len(x)))
        hmm = CategoricalHMM(n_components=n_states, n_iter=self.config.n_iter, random_state=seed,
                             n_features=len(symbols))
        hmm.fit(x, lengths)
        trans = hmm.transmat_.copy()
        unused = trans.sum(axis=1) <= 0            # hidden states EM never visited
        trans[unused] = 1.0 / trans.shape[1]
        hmm.transmat_ = trans / trans.sum(axis=1, keepdims=True)
        states = hmm.predict(x, lengths)
        vals = np.concatenate([np.vstack([np.asarray([v for _, v in w], float).reshape(len(w), 2), np.zeros((1, 2))])
                               for w in words])
        pools: dict[tuple[int, int], np.ndarray] = {}
        by_symbol: dict[int, np.ndarray] = {}
        for s_id in range(len(symbols) - 1):
            rows = x[:, 0] == s_id
            by_symbol[s_id] = vals[rows]
            for h in np.unique(states[rows]):
                pools[(int(h), s_id)] = vals[rows & (states == h)]
        return {"hmm": hmm, "symbols": symbols, "pools": pools, "by_symbol": by_symbol}

    def _sample_words(self, model, k, rng):
        hmm, symbols = model["hmm"], model["symbols"]
        end = len(symbols) - 1
        start, trans, emit = hmm.startprob_, hmm.transmat_, hmm.emissionprob_
        out = []
        for _ in range(k):
            word = []
            h = rng.choice(len(start), p=start)
            while len(word) < self.config.max_length:
                s = rng.choice(emit.shape[1], p=emit[h])
                if s == end:
                    break
                pool = model["pools"].get((int(h), int(s)))
                if pool is None or not len(pool):
                    pool = model["by_symbol"][int(s)]
                word.append((symbols[s], pool[rng.integers(len(pool))]))
                h = rng.choice(trans.shape[1], p=trans[h])
            out.append(word)
        return out

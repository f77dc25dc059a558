"""HMM baseline detector: hmmlearn ``CategoricalHMM`` over event symbols (values ignored).

Each training word gets an end symbol so the HMM also models where words stop;
symbols unseen in training map to one extra symbol whose emission probability
is a small floor. Score = minus the log-likelihood of the word (optionally per symbol).
"""
from __future__ import annotations

import numpy as np

from secgen_bench.anomaly.base import Detector

_END = "$"


class HMMDetector(Detector):
    name = "hmm"
    requires = ("hmmlearn",)
    extra = "hmm"
    description = "CategoricalHMM over event symbols; score = -log-likelihood"

    def __init__(self, n_states: int = 8, n_iter: int = 50, normalise: bool = False, emission_floor: float = 1e-6):
        if n_states < 1 or n_iter < 1:
            raise ValueError("hmm detector: n_states and n_iter must be >= 1")
        super().__init__(n_states=n_states, n_iter=n_iter, normalise=normalise)
        self.n_states, self.n_iter, self.normalise, self.floor = n_states, n_iter, normalise, emission_floor

    def _encode(self, sequences):
        unk = len(self.vocab_)
        return [np.array([self.vocab_.get(s, unk) for s, _ in seq] + [self.vocab_[_END]]) for seq in sequences]

    def _fit(self, sequences, *, seed: int) -> None:
        from hmmlearn.hmm import CategoricalHMM

        symbols = sorted({s for seq in sequences for s, _ in seq}) + [_END]
        self.vocab_ = {s: i for i, s in enumerate(symbols)}
        words = self._encode(sequences)
        x = np.concatenate(words)[:, None]
        model = CategoricalHMM(n_components=self.n_states, n_iter=self.n_iter, random_state=seed,
                               n_features=len(symbols) + 1, init_params="ste", params="ste")
        model.fit(x, [len(w) for w in words])
        trans = model.transmat_.copy()
        unused = trans.sum(axis=1) <= 0            # hidden states EM never visited
        trans[unused] = 1.0 / trans.shape[1]
        model.transmat_ = trans / trans.sum(axis=1, keepdims=True)
        emission = model.emissionprob_ + self.floor
        model.emissionprob_ = emission / emission.sum(axis=1, keepdims=True)
        self.model_ = model

    def _score(self, sequences) -> np.ndarray:
        words = self._encode(sequences)
        cache: dict[bytes, float] = {}
        out = np.empty(len(words))
        for k, w in enumerate(words):
            key = w.tobytes()
            if key not in cache:
                ll = self.model_.score(w[:, None])
                cache[key] = -ll / len(w) if self.normalise else -ll
            out[k] = cache[key]
        return out

"""TADAM on the packets track: one timed automaton per service over per-flow packet words.

Symbol = TCP flags + direction (+ payload class), value = [inter-arrival time, payload size]
(the SecGen "next step" from flows to packets). See ``learner.TADAMLearner`` for the model
and where this reimplementation departs from the paper.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from secgen_bench.budget import Budget, paper_setting
from secgen_bench.generators.common.per_service import PacketWordsConfig, PerServiceSequenceGenerator


@dataclass(frozen=True)
class TADAMConfig(PacketWordsConfig):
    max_iterations: int = 60
    max_seconds: float = 60.0         # total search budget, shared by the services by their number of flows
    cap_length: bool = True           # no sampled flow longer than the longest training flow of its service
    noise: bool = True
    inject_noise: bool = False        # add the learnt noise to sampled words
    max_words: int = 3000             # training words per service (seeded subsample above)

    def __post_init__(self):
        super().__post_init__()
        if self.max_iterations < 0 or self.max_seconds <= 0 or self.max_words < 1:
            raise ValueError("max_iterations must be >= 0, max_seconds > 0 and max_words >= 1")


class TADAM(PerServiceSequenceGenerator):
    name = "tadam"
    version = "0.1"
    description = "TADAM timed automata (MDL + noise model), one per service, over packet words"
    Config = TADAMConfig
    PROFILES = {
        "quick": {"max_iterations": 8, "max_seconds": 10.0, "max_words": 500},
        "paper": {"max_iterations": 1000, "max_seconds": 3600.0, "max_words": 100000},
    }

    def _fit_services(self, by_service, seed):
        t0 = time.perf_counter()
        models = super()._fit_services(by_service, seed)
        logs = {s: m.log_ for s, m in models.items()}
        stops = {log.stopped for log in logs.values()}
        stopped = "converged" if stops <= {"converged"} else "time" if "time" in stops else "cap"
        self.budget_ = Budget(
            "iterations", max((log.iterations for log in logs.values()), default=0),
            paper_setting(type(self), "max_iterations"), self.config.max_iterations, stopped == "converged",
            "every service's search ended with no operation left that lowers the total code length "
            "(not max_iterations, not max_seconds); done = the most iterations of one service", stopped,
            round(time.perf_counter() - t0, 3),
            {"services": {s: {"iterations": log.iterations, "stopped": log.stopped} for s, log in logs.items()}})
        return models

    def _fit_words(self, words, seed):
        from secgen_bench.generators.tadam.learner import TADAMLearner

        if len(words) > self.config.max_words:
            rng = np.random.default_rng(seed)
            words = [words[i] for i in np.sort(rng.choice(len(words), self.config.max_words, replace=False))]
        share = len(words) / max(self._n_train_words, 1)
        longest = max(len(w) for w in words)
        return TADAMLearner(max_iterations=self.config.max_iterations,
                            max_seconds=max(self.config.max_seconds * share, 1.0), noise=self.config.noise,
                            max_sample_length=longest if self.config.cap_length else 1000).fit(words, seed=seed)

    def _sample_words(self, model, k, rng):
        seed = int(rng.integers(0, 2**31 - 1))
        return model.sample(k, seed=seed, noise=self.config.inject_noise)

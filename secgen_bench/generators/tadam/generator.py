"""TADAM on the packets track: one timed automaton per service over per-flow packet words.

Symbol = TCP flags + direction (+ payload class), value = [inter-arrival time, payload size]
(the SecGen "next step" from flows to packets). See ``learner.TADAMLearner`` for the model
and where this reimplementation departs from the paper; ``tcp_phases`` (default on) keeps
TCP's connection phases apart in every learnt automaton (:mod:`.phases` says why).

The search is bounded by counts (``max_iterations`` rounds, ``max_evaluations`` exact
scorings per service), so one seed gives one automaton on any machine; ``max_seconds`` is a
safety net shared by the services by their number of flows, and the ``budget`` says when it fired.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from secgen_bench.budget import Budget, paper_setting
from secgen_bench.generators.common.per_service import PacketWordsConfig, PerServiceSequenceGenerator
from secgen_bench.generators.tadam.phases import TCPPhases


@dataclass(frozen=True)
class TADAMConfig(PacketWordsConfig):
    max_iterations: int = 60
    max_evaluations: int = 400        # exact candidate scorings per service (deterministic budget)
    max_seconds: float = 900.0        # safety net for the whole search, shared by the services by their flows
    tcp_phases: bool = True           # states keep TCP's connection phase (no merge across phases)
    cap_length: bool = True           # no sampled flow longer than the longest training flow of its service
    noise: bool = True
    inject_noise: bool = False        # add the learnt noise to sampled words
    max_words: int = 3000             # training words per service (seeded subsample above)

    def __post_init__(self):
        super().__post_init__()
        if self.max_iterations < 0 or self.max_seconds <= 0 or self.max_words < 1 or self.max_evaluations < 0:
            raise ValueError("max_iterations and max_evaluations must be >= 0, max_seconds > 0 and max_words >= 1")


class TADAM(PerServiceSequenceGenerator):
    name = "tadam"
    version = "0.3"          # 0.3: repaired words count in edge probabilities and guards
    description = "TADAM timed automata (MDL + noise model), one per service, over packet words"
    Config = TADAMConfig
    PROFILES = {
        "quick": {"max_iterations": 8, "max_evaluations": 60, "max_seconds": 120.0, "max_words": 500},
        "paper": {"max_iterations": 1000, "max_evaluations": 100000, "max_seconds": 36000.0, "max_words": 100000},
    }

    def _fit_services(self, by_service, seed):
        t0 = time.perf_counter()
        models = super()._fit_services(by_service, seed)
        logs = {s: m.log_ for s, m in models.items()}
        stops = {log.stopped for log in logs.values()}
        stopped = "converged" if stops <= {"converged"} else "time" if "time" in stops else "cap"
        fired = sorted(s for s, log in logs.items() if log.stopped == "time")
        self.budget_ = Budget(
            "iterations", max((log.iterations for log in logs.values()), default=0),
            paper_setting(type(self), "max_iterations"), self.config.max_iterations, stopped == "converged",
            "every service's search ended with no operation left that lowers the total code length "
            "(not max_iterations, not max_evaluations, not the max_seconds safety net); "
            "done = the most iterations of one service", stopped,
            round(time.perf_counter() - t0, 3),
            {"services": {s: {"iterations": log.iterations, "evaluations": log.evaluations, "stopped": log.stopped}
                          for s, log in logs.items()},
             "max_evaluations": self.config.max_evaluations,
             "safety_net": {"max_seconds": self.config.max_seconds, "fired": fired,
                            "note": "the wall-clock cap stopped these services' search: their result depends on "
                                    "the machine's speed" if fired else "did not fire"}})
        return models

    def _fit_words(self, words, seed):
        from secgen_bench.generators.tadam.learner import TADAMLearner

        if len(words) > self.config.max_words:
            rng = np.random.default_rng(seed)
            words = [words[i] for i in np.sort(rng.choice(len(words), self.config.max_words, replace=False))]
        share = len(words) / max(self._n_train_words, 1)
        longest = max(len(w) for w in words)
        phases = TCPPhases(self.config.payload_class) if self.config.tcp_phases else None
        return TADAMLearner(max_iterations=self.config.max_iterations, max_evaluations=self.config.max_evaluations,
                            max_seconds=self.config.max_seconds * share, noise=self.config.noise,
                            max_sample_length=longest if self.config.cap_length else 1000,
                            phases=phases).fit(words, seed=seed)

    def _sample_words(self, model, k, rng):
        seed = int(rng.integers(0, 2**31 - 1))
        return model.sample(k, seed=seed, noise=self.config.inject_noise)

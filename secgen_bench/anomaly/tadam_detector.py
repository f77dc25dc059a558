"""TADAM as an anomaly detector: a word is anomalous when the learnt automaton explains it badly.

``method="loglik"`` (default, the paper's primary score): minus the
log-likelihood along the word's path, with the learner's floor for rejected
words; ``method="noise"``: the noise-aware code length in bits per symbol (a
rejected word is repaired by alignment, or written out when repair costs more).

Termination is part of the model: every path ends with a ``$`` edge, so the
log-likelihood includes log P(end | last state); a word that stops in a state
with no end edge is rejected and gets the floor. The score is not divided by
the word's length (as in the paper), so truncated words are caught only if the
search runs to the MDL optimum, which deletes end edges that a single noisy
training word needs (see the learner's docstring on the stopping rule).
"""
from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from secgen_bench.anomaly.base import Detector


class TADAMDetector(Detector):
    name = "tadam"
    description = "TADAM timed automaton (MDL + noise model); score = -log-likelihood (floor when rejected)"
    # other options are the learner's (TADAMOptions); default = its defaults (a 600 s search budget)
    PROFILES = {"quick": {"max_iterations": 60, "max_seconds": 30.0},
                "paper": {"max_iterations": 1000, "max_seconds": 3600.0}}

    def __init__(self, method: str = "loglik", **options):
        from secgen_bench.generators.tadam.learner import TADAMOptions

        if method not in ("noise", "loglik"):
            raise ValueError(f"tadam detector: method must be 'noise' or 'loglik', not {method!r}")
        unknown = sorted(set(options) - {f.name for f in dataclasses.fields(TADAMOptions)})
        if unknown:
            raise ValueError(f"tadam detector: unknown option {unknown[0]!r}")
        super().__init__(method=method, **options)
        self.method = method
        self.learner_options = TADAMOptions(**options)     # checks the values now, not at fit time

    @classmethod
    def option_defaults(cls) -> dict[str, Any]:
        from secgen_bench.generators.tadam.learner import TADAMOptions

        return {"method": "loglik", **{f.name: f.default for f in dataclasses.fields(TADAMOptions)}}

    def _fit(self, sequences, *, seed: int) -> None:
        from secgen_bench.generators.tadam.learner import TADAMLearner

        self.model_ = TADAMLearner(self.learner_options).fit(sequences, seed=seed)

    def _score(self, sequences) -> np.ndarray:
        return -self.model_.score(sequences, method=self.method)

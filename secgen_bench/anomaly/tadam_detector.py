"""TADAM as an anomaly detector: a word is anomalous when the learnt automaton explains it badly.

``method="loglik"`` (default, the paper's primary score): minus the
log-likelihood along the word's path, with the learner's floor for rejected
words; ``method="noise"``: the noise-aware code length in bits per symbol (a
rejected word is repaired by alignment, or written out when repair costs more).
"""
from __future__ import annotations

import numpy as np

from secgen_bench.anomaly.base import Detector


class TADAMDetector(Detector):
    name = "tadam"
    description = "TADAM timed automaton (MDL + noise model); score = -log-likelihood (floor when rejected)"

    def __init__(self, method: str = "loglik", **options):
        if method not in ("noise", "loglik"):
            raise ValueError(f"tadam detector: method must be 'noise' or 'loglik', not {method!r}")
        super().__init__(method=method, **options)
        self.method = method
        self.learner_options = options

    def _fit(self, sequences, *, seed: int) -> None:
        from secgen_bench.generators.tadam.learner import TADAM

        self.model_ = TADAM(**self.learner_options).fit(sequences, seed=seed)

    def _score(self, sequences) -> np.ndarray:
        return -self.model_.score(sequences, method=self.method)

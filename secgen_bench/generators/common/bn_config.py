"""Options of the Bayesian-network baselines (IndependentBN, SequenceBN): discretiser, structure search, profiles.

Both baselines discretise flows the same way and learn their network the same
way; only what a row holds differs (one flow, or a window of flows), so they
share one Config (SequenceBN's extends it with the window) and its profiles.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class BNConfig:
    """Options shared by the BN baselines (defaults = the ``default`` profile)."""

    max_indegree: int = 3
    scoring: str = "bic-d"
    equivalent_sample_size: float = 5.0
    max_iter: int = 1000            # hill-climbing steps (each adds, removes or reverses one edge)
    n_components: int = 40          # mixture components for continuous columns
    tail_quantile: float = 0.9
    max_categories: int = 64        # per discrete column; rarer values share the "other" code
    min_count: int = 2
    n_time_bins: int = 48           # time-of-day bins (equal frequency)
    max_train_rows: int = 0         # 0 = all rows (1M simnet rows: 76 / 139 CPU s, benchmarks/training_rows.py)
    decode: str = "joint"           # continuous cells: "joint" (see bin_decoding.py) or "bin" (each alone, artefact)

    def __post_init__(self) -> None:
        from secgen_bench.generators.common.bayesnet import SCORINGS
        from secgen_bench.generators.common.discretize import DECODERS

        if self.max_indegree < 0:
            raise ValueError(f"max_indegree must be >= 0, got {self.max_indegree}")
        if self.scoring not in SCORINGS:
            raise ValueError(f"scoring must be one of {', '.join(SCORINGS)}, got {self.scoring!r}")
        if self.equivalent_sample_size <= 0:
            raise ValueError(f"equivalent_sample_size must be > 0, got {self.equivalent_sample_size}")
        if self.decode not in DECODERS:
            raise ValueError(f"decode must be 'bin' or 'joint', got {self.decode!r}")
        if self.max_iter < 0:
            raise ValueError(f"max_iter must be >= 0, got {self.max_iter}")
        if self.n_components < 1:
            raise ValueError(f"n_components must be >= 1, got {self.n_components}")
        if not 0.0 < self.tail_quantile <= 1.0:
            raise ValueError(f"tail_quantile must be in (0, 1], got {self.tail_quantile}")
        if self.max_categories < 1:
            raise ValueError(f"max_categories must be >= 1, got {self.max_categories}")
        if self.min_count < 1:
            raise ValueError(f"min_count must be >= 1, got {self.min_count}")
        if self.n_time_bins < 1:
            raise ValueError(f"n_time_bins must be >= 1, got {self.n_time_bins}")
        if self.max_train_rows < 0:
            raise ValueError(f"max_train_rows must be >= 0 (0 = all), got {self.max_train_rows}")

    def codec(self):
        from secgen_bench.generators.common.discretize import FlowCodec

        return FlowCodec(n_components=self.n_components, tail_quantile=self.tail_quantile,
                         max_categories=self.max_categories, min_count=self.min_count,
                         n_time_bins=self.n_time_bins, decode=self.decode)

    def learn(self, codes: pd.DataFrame, cardinalities: dict[str, int], seed: int):
        from secgen_bench.generators.common.bayesnet import learn_bayesnet

        return learn_bayesnet(codes, max_indegree=self.max_indegree, seed=seed, scoring=self.scoring,
                              equivalent_sample_size=self.equivalent_sample_size, max_iter=self.max_iter,
                              cardinalities=cardinalities)


BN_PROFILES = {
    "quick": {"max_iter": 60, "n_components": 10, "max_categories": 32, "n_time_bins": 24, "max_train_rows": 2000},
    "paper": {"max_iter": 1_000_000, "max_categories": 1_000_000, "min_count": 1, "max_train_rows": 0,
              "decode": "bin"},
}

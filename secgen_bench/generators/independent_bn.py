"""IndependentBN: one Bayesian network over the (discretised) fields of a single flow.

A reimplementation of the IndependentBN baseline of the FlowChronicle artefact
(CoNEXT'24): timestamp -> weekday + time of day, continuous columns binned by a
Bayesian Gaussian mixture (40 components) up to the 90th percentile plus one
tail bin, structure by hill climbing with BIC (max in-degree 3, pgmpy), BDeu
parameters, forward sampling, decoding of bins. Flows are independent of each
other (no temporal structure beyond the weekday/time-of-day marginals).

Departures from the artefact (see :mod:`secgen_bench.generators.common.discretize`):
exact zeros have their own bin; the tail bin decodes by inverse-CDF sampling;
discrete columns keep their ``max_categories`` most frequent values (seen at
least ``min_count`` times) and share one "other" code for the rest, which
decodes from the rare values' empirical distribution (the ``paper`` profile
keeps every value: ``min_count=1`` and an unbounded ``max_categories``);
sampling is our vectorised numpy ancestral sampler, not pgmpy's; training rows
beyond ``max_train_rows`` are subsampled (seeded) to bound the hill climbing;
``decode="joint"`` (default; the ``paper`` profile decodes each cell on its own
as the artefact did) gives a generated flow the continuous values of a training
flow with the same bins (:mod:`secgen_bench.generators.common.bin_decoding`), the same
decoding FlowChronicle uses here, so the two are compared on their models.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from secgen_bench.generators.base import Generator


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
    max_train_rows: int = 50_000    # 0 = all rows
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


def subsample_rows(table: pd.DataFrame, max_rows: int, seed: int) -> pd.DataFrame:
    """At most ``max_rows`` rows (seeded, original order kept); 0 means all."""
    if not max_rows or len(table) <= max_rows:
        return table
    keep = np.sort(np.random.default_rng(seed).choice(len(table), max_rows, replace=False))
    return table.iloc[keep].reset_index(drop=True)


class IndependentBN(Generator):
    name = "independent-bn"
    version = "1.1"
    description = "Bayesian network over one flow's discretised fields (FlowChronicle baseline, pgmpy hill climbing + BIC)."
    Config = BNConfig
    PROFILES = BN_PROFILES
    requires = ("pgmpy", "sklearn")

    def _fit(self, table: pd.DataFrame, schema, *, seed: int) -> None:
        table = subsample_rows(table, self.config.max_train_rows, seed)
        self.codec_ = self.config.codec().fit(table, schema, seed=seed)
        codes = self.codec_.encode(table)
        self.bn_ = self.config.learn(codes, self.codec_.cardinalities, seed)

    def _sample(self, n: int, *, seed: int) -> pd.DataFrame:
        rng = np.random.default_rng(seed)
        codes = self.bn_.sample(n, seed=rng)
        out = self.codec_.decode(codes, seed=rng)[self.columns_].astype(self.dtypes_)
        ts = self.schema_.timestamp
        if ts is not None:
            out = out.sort_values(ts, kind="stable").reset_index(drop=True)
        return out

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
beyond ``max_train_rows`` are subsampled (seeded; no cap in ``default``, where all
rows were measured cheap, 2,000 in ``quick``);
``decode="joint"`` (default; the ``paper`` profile decodes each cell on its own
as the artefact did) gives a generated flow the continuous values of a training
flow with the same bins (:mod:`secgen_bench.generators.common.bin_decoding`), the same
decoding FlowChronicle uses here, so the two are compared on their models.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from secgen_bench.generators.base import Generator
from secgen_bench.generators.common.bn_config import BN_PROFILES, BNConfig
from secgen_bench.generators.common.subsample import subsample_rows, training_rows


class IndependentBN(Generator):
    name = "independent-bn"
    version = "1.1"
    description = "Bayesian network over one flow's discretised fields (FlowChronicle baseline, pgmpy hill climbing + BIC)."
    Config = BNConfig
    PROFILES = BN_PROFILES
    requires = ("pgmpy", "sklearn")

    def _fit(self, table: pd.DataFrame, schema, *, seed: int) -> None:
        offered = len(table)
        table = subsample_rows(table, self.config.max_train_rows, seed)
        self.training_rows_ = training_rows(len(table), offered, self.config.max_train_rows)
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

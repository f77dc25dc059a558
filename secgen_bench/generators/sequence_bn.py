"""SequenceBN: one Bayesian network over windows of ``window`` consecutive flows.

A reimplementation of the SequenceBN baseline of the FlowChronicle artefact
(CoNEXT'24): flows sorted by time are cut into non-overlapping windows of k = 5
(stride k) and each window becomes one row: the fields of flow 1 (timestamp as
weekday + time of day), then for flows 2..k their fields with the timestamp
replaced by the inter-arrival time from the previous flow (discretised like
the other continuous columns). One BN (hill climbing + BIC, max in-degree 3,
BDeu parameters) is learnt over all these variables; sampling draws rows,
splits them back into k flows and rebuilds timestamps by adding the decoded
inter-arrival times to flow 1's time.

Departures from the artefact, besides those of IndependentBN (shared
discretiser, "other" bucket for rare categories, numpy sampler): the flows
left over after the last full window are not used for training; a sampled
window whose last flow would fall after the training range is shifted back
so it ends at the last training time (keeping its inter-arrival times); when
``n`` is not a multiple of k the last window is cut; training windows beyond
``max_train_rows / k`` are subsampled (seeded; no cap in ``default``). Without a timestamp column
the windows follow row order and no inter-arrival times are modelled.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from secgen_bench.generators.base import Generator
from secgen_bench.generators.common.bn_config import BN_PROFILES, BNConfig
from secgen_bench.generators.common.subsample import training_rows


@dataclass(frozen=True)
class SequenceBNConfig(BNConfig):
    window: int = 5
    max_iter: int = 400

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.window < 1:
            raise ValueError(f"window must be >= 1, got {self.window}")


def _var(column: str, position: int) -> str:
    return f"{column}@{position}"


class SequenceBN(Generator):
    name = "sequence-bn"
    version = "1.1"
    description = "Bayesian network over windows of k consecutive flows (FlowChronicle baseline)."
    Config = SequenceBNConfig
    PROFILES = {"quick": {**BN_PROFILES["quick"], "max_iter": 40}, "paper": BN_PROFILES["paper"]}
    requires = ("pgmpy", "sklearn")

    def _fit(self, table: pd.DataFrame, schema, *, seed: int) -> None:
        from secgen_bench.generators.common.discretize import ContinuousBinner

        k = self.config.window
        ts = schema.timestamp
        if ts is not None:
            table = table.sort_values(ts, kind="stable").reset_index(drop=True)
        n_windows = len(table) // k
        if n_windows < 1:
            raise ValueError(f"{self.name}: needs at least window={k} training flows, got {len(table)}")
        starts = np.arange(n_windows) * k
        max_windows = self.config.max_train_rows // k if self.config.max_train_rows else 0
        if max_windows and n_windows > max_windows:
            starts = np.sort(np.random.default_rng(seed).choice(starts, max(max_windows, 1), replace=False))
        rows = (starts[:, None] + np.arange(k)[None, :]).ravel()
        self.training_rows_ = training_rows(len(rows), len(table), self.config.max_train_rows)
        table = table.iloc[rows].reset_index(drop=True)

        self.codec_ = self.config.codec().fit(table, schema, seed=seed)
        codes = self.codec_.encode(table)
        cards = self.codec_.cardinalities
        self.time_columns_ = [c for c in codes.columns if ts is not None and c.startswith(ts + ".")]
        self.field_columns_ = [c for c in codes.columns if c not in self.time_columns_]
        self.iat_binner_ = None
        if ts is not None and k > 1:
            times = table[ts].to_numpy().astype("datetime64[ns]").astype(np.int64).reshape(-1, k)
            iat = np.diff(times, axis=1).astype(float) / 1e9  # seconds, >= 0 (sorted)
            self.iat_binner_ = ContinuousBinner(n_components=self.config.n_components,
                                                tail_quantile=self.config.tail_quantile).fit(iat.ravel(), seed=seed)
            iat_codes = self.iat_binner_.encode(iat.ravel()).reshape(-1, k - 1)
        by_window = codes.to_numpy().reshape(len(starts), k, codes.shape[1])
        col_index = {c: i for i, c in enumerate(codes.columns)}
        wide, wide_cards = {}, {}
        for p in range(k):
            cols = self.field_columns_ + (self.time_columns_ if p == 0 else [])
            for c in cols:
                wide[_var(c, p + 1)] = by_window[:, p, col_index[c]]
                wide_cards[_var(c, p + 1)] = cards[c]
            if p > 0 and self.iat_binner_ is not None:
                wide[_var("iat", p + 1)] = iat_codes[:, p - 1]
                wide_cards[_var("iat", p + 1)] = self.iat_binner_.n_bins_
        self.bn_ = self.config.learn(pd.DataFrame(wide), wide_cards, seed)
        if ts is not None:
            self.t_min_, self.t_max_ = table[ts].min().to_datetime64(), table[ts].max().to_datetime64()

    def _sample(self, n: int, *, seed: int) -> pd.DataFrame:
        rng = np.random.default_rng(seed)
        k = self.config.window
        m = -(-n // k)
        wide = self.bn_.sample(m, seed=rng)
        ts = self.schema_.timestamp
        flows, times = [], []
        for p in range(k):
            part = {c: wide[_var(c, p + 1)].to_numpy() for c in self.field_columns_}
            for c in self.time_columns_:  # only flow 1 carries weekday/time of day
                part[c] = wide[_var(c, 1)].to_numpy()
            decoded = self.codec_.decode(pd.DataFrame(part), seed=rng)
            if ts is not None:
                if p == 0:
                    t = decoded[ts].to_numpy().astype(np.int64)
                elif self.iat_binner_ is not None:
                    iat = np.maximum(self.iat_binner_.decode(wide[_var("iat", p + 1)].to_numpy(), rng), 0.0)
                    t = times[-1] + np.rint(iat * 1e9).astype(np.int64)
                else:
                    t = times[-1]
                times.append(t)
            flows.append(decoded)
        if ts is not None:
            t = np.stack(times, axis=1)
            overshoot = np.maximum(t[:, -1] - self.t_max_.astype(np.int64), 0)
            t = np.clip(t - overshoot[:, None], self.t_min_.astype(np.int64), self.t_max_.astype(np.int64))
            for p in range(k):
                flows[p][ts] = t[:, p].astype("datetime64[ns]")
        # Window-major order: window 0 flows 1..k, window 1 flows 1..k, ...
        out = pd.concat(flows, keys=range(k), names=["position", "window"]).swaplevel().sort_index()
        out = out.reset_index(drop=True).iloc[:n][self.columns_].astype(self.dtypes_)
        if ts is not None:
            out = out.sort_values(ts, kind="stable").reset_index(drop=True)
        return out

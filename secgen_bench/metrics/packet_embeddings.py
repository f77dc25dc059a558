"""Density and Coverage (prdc, k = 5) of packet flows, on a fixed, training-free embedding of each flow.

The issue asks for "Density/Coverage on sequence embeddings"; the embedding is
our choice. It learns nothing, so it is deterministic and does not favour any
generator. Each flow (one sequence of the FORMATS.md packets table) becomes:

- symbol shares: the share of the flow's packets carrying each packet symbol
  (flags + direction + payload class, as the packets-track generators and
  ``seq-jsd-symbols`` define it) of the *real* table's vocabulary, plus one
  "other" share for symbols real flows never show;
- bigram shares: the share of the flow's within-flow symbol bigrams that are
  each of the real table's ``top_bigrams`` most frequent bigrams (ties by
  name), plus one "other" share;
- ``log1p`` of the number of packets;
- per direction (``out`` = initiator, ``in``): the share of packets in that
  direction, and mean, standard deviation, 10/50/90 % quantiles of
  ``log1p(size in bytes)`` and of ``log1p(IAT in ms)`` over the flow's
  non-first packets (0 when the direction has no such packet).

Every feature is standardised with the real flows' mean and standard
deviation (a constant real feature is only centred), then prdc's Density and
Coverage are computed by the shared engine (:mod:`_prdc_torch`, k = 5 as the
flow metrics; strict ``<``, r_i including the self-distance). Scored once on
whole tables (``protocol = "full"``): subsampling rows would cut flows.
"""
from __future__ import annotations

from collections import Counter, OrderedDict

import numpy as np
import pandas as pd

from secgen_bench.metrics.base import Direction, MetricResult
from secgen_bench.metrics.density_coverage import _DensityCoverageMetric
from secgen_bench.packets import PacketColumns, flow_rows, packet_symbols
from secgen_bench.schema import FlowSchema, table_fingerprint

TOP_BIGRAMS = 64
QUANTILES = (0.1, 0.5, 0.9)


def _flows(table: pd.DataFrame, schema: FlowSchema):
    """(the packet columns, per-flow symbol lists, per-flow row positions), flows in first-seen order."""
    cols = PacketColumns.resolve(schema, table)
    sym = packet_symbols(table, cols, payload_class=True).to_numpy()
    rows = flow_rows(table, cols)
    return cols, [list(sym[r]) for r in rows], rows


class SequenceEmbedding:
    """Vocabularies fitted on the real flows; ``transform`` turns any packets table into (flows, features)."""

    def __init__(self, top_bigrams: int = TOP_BIGRAMS):
        self.top_bigrams = top_bigrams

    def fit(self, real: pd.DataFrame, schema: FlowSchema) -> "SequenceEmbedding":
        _, words, _ = _flows(real, schema)
        self.symbols_ = sorted({s for w in words for s in w})
        bigrams = Counter(b for w in words for b in zip(w[:-1], w[1:]))
        ranked = sorted(bigrams.items(), key=lambda kv: (-kv[1], kv[0]))
        self.bigrams_ = [b for b, _ in ranked[: self.top_bigrams]]
        x = self._raw(real, schema)
        self.mean_ = x.mean(axis=0)
        std = x.std(axis=0)
        self.scale_ = np.where(std > 0, std, 1.0)
        return self

    def transform(self, table: pd.DataFrame, schema: FlowSchema) -> np.ndarray:
        return (self._raw(table, schema) - self.mean_) / self.scale_

    def _raw(self, table: pd.DataFrame, schema: FlowSchema) -> np.ndarray:
        cols, words, rows = _flows(table, schema)
        sym_index = {s: i for i, s in enumerate(self.symbols_)}
        big_index = {b: i for i, b in enumerate(self.bigrams_)}
        n_sym, n_big = len(self.symbols_) + 1, len(self.bigrams_) + 1
        direction = table[cols.direction].astype(str).to_numpy()
        log_size = np.log1p(np.maximum(table[cols.size].to_numpy(float), 0.0))
        log_iat = np.log1p(np.maximum(table[cols.iat].to_numpy(float), 0.0) * 1e3)
        out = np.zeros((len(words), n_sym + n_big + 1 + 2 * (1 + 2 * (2 + len(QUANTILES)))))
        for f, (word, r) in enumerate(zip(words, rows)):
            sym = np.bincount([sym_index.get(s, n_sym - 1) for s in word], minlength=n_sym)
            out[f, :n_sym] = sym / len(word)
            if len(word) > 1:
                big = np.bincount([big_index.get(b, n_big - 1) for b in zip(word[:-1], word[1:])], minlength=n_big)
                out[f, n_sym:n_sym + n_big] = big / (len(word) - 1)
            at = n_sym + n_big
            out[f, at] = np.log1p(len(word))
            at += 1
            later = np.zeros(len(r), bool)
            later[1:] = True
            for d in ("out", "in"):
                mine = direction[r] == d
                out[f, at] = mine.mean()
                at += 1
                for values, keep in ((log_size[r], mine), (log_iat[r], mine & later)):
                    v = values[keep]
                    if len(v):
                        out[f, at:at + 2 + len(QUANTILES)] = [v.mean(), v.std(), *np.quantile(v, QUANTILES)]
                    at += 2 + len(QUANTILES)
        return out


_CACHE: "OrderedDict[tuple, dict]" = OrderedDict()
_CACHE_SIZE = 4


def sequence_density_coverage(real: pd.DataFrame, synthetic: pd.DataFrame, schema: FlowSchema, *, k: int = 5,
                              device="auto", mode="auto", block=None) -> dict:
    """Density and Coverage of the synthetic flows w.r.t. the real flows on :class:`SequenceEmbedding` vectors."""
    from secgen_bench.metrics.knn_engine import engine

    density_coverage = engine().density_coverage

    key = (table_fingerprint(real), table_fingerprint(synthetic), schema.fingerprint(), k, mode, block, device)
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    embedding = SequenceEmbedding().fit(real, schema)
    r, s = embedding.transform(real, schema), embedding.transform(synthetic, schema)
    if len(r) <= k:
        raise ValueError(f"seq-density/seq-coverage: need more than k={k} real flows, got {len(r)}")
    if len(s) == 0:
        raise ValueError("seq-density/seq-coverage: the synthetic table has no flow")
    res = density_coverage(r, s, k=k, mode=mode, device=device, block=block)
    out = {"density": res.density, "coverage": res.coverage, "features": int(r.shape[1]),
           "real_flows": int(len(r)), "synthetic_flows": int(len(s))}
    _CACHE[key] = out
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return out


class _SeqDensityCoverage(_DensityCoverageMetric):
    track = "packets"
    protocol = "full"
    version = "1.0"
    direction = Direction.HIGHER

    def compute(self, real, synthetic, schema, *, holdout=None, seed=0):
        out = sequence_density_coverage(real, synthetic, schema, k=self.k, device=self.device, mode=self.mode,
                                        block=self.block)
        return MetricResult(out[self.key], {"features": out["features"], "real_flows": out["real_flows"],
                                            "synthetic_flows": out["synthetic_flows"]})


class SeqDensity(_SeqDensityCoverage):
    """prdc Density (k=5) of flow embeddings: how densely synthetic flows sit inside real k-NN balls."""

    name = "seq-density"
    description = "prdc Density (k=5) on training-free per-flow embeddings (symbol/bigram shares, size/IAT stats)"
    bounds = (0.0, float("inf"))
    key = "density"


class SeqCoverage(_SeqDensityCoverage):
    """prdc Coverage (k=5) of flow embeddings: share of real flows whose k-NN ball holds a synthetic flow."""

    name = "seq-coverage"
    description = "prdc Coverage (k=5) on training-free per-flow embeddings (symbol/bigram shares, size/IAT stats)"
    bounds = (0.0, 1.0)
    key = "coverage"

"""Packets-track metrics: real vs synthetic per-flow packet sequences (FORMATS.md long table).

- ``seq-jsd-symbols``: JS distance (scipy, natural log) of packet-symbol frequencies
  (symbol = flags + direction + payload class, as the generators use).
- ``seq-jsd-ngrams``: mean JS distance of within-flow symbol n-gram frequencies, n = 2 and 3.
- ``seq-emd-size`` / ``seq-emd-iat``: 1-D Wasserstein distance of packet sizes / inter-arrival
  times (non-first packets) after one min-max scaling fitted on real + synthetic.
- ``seq-length-jsd``: JS distance of the packets-per-flow distributions.
- ``seq-dkc``: share of TCP flows breaking at least one protocol rule (rules are data:
  regular expressions over the flow's token string), with the per-rule shares.
All lower = better.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd

from secgen_bench.metrics.base import Direction, Metric, MetricResult
from secgen_bench.packets import DIR_MARK, PacketColumns, flow_rows, packet_symbols
from secgen_bench.schema import FlowSchema


def _cols(schema: FlowSchema, table: pd.DataFrame):
    return PacketColumns.resolve(schema, table)


def _symbols(table: pd.DataFrame, schema: FlowSchema) -> pd.Series:
    return packet_symbols(table, _cols(schema, table), payload_class=True)


def _words(table: pd.DataFrame, schema: FlowSchema) -> list[list[str]]:
    sym = _symbols(table, schema).to_numpy()
    return [list(sym[rows]) for rows in flow_rows(table, _cols(schema, table))]


def js_distance(a: Counter, b: Counter) -> float:
    from scipy.spatial.distance import jensenshannon

    keys = sorted(set(a) | set(b), key=str)
    if not keys:
        return 0.0
    p = np.array([a.get(k, 0) for k in keys], float)
    q = np.array([b.get(k, 0) for k in keys], float)
    if p.sum() == 0 or q.sum() == 0:
        return 1.0 if p.sum() != q.sum() else 0.0
    return float(jensenshannon(p, q))


def ngram_counts(words: list[list[str]], n: int) -> Counter:
    c: Counter = Counter()
    for w in words:
        for i in range(len(w) - n + 1):
            c[tuple(w[i:i + n])] += 1
    return c


def scaled_wasserstein(real: np.ndarray, synth: np.ndarray) -> float:
    from scipy.stats import wasserstein_distance

    if len(real) == 0 or len(synth) == 0:
        return float("nan")
    lo = min(real.min(), synth.min())
    span = max(real.max(), synth.max()) - lo
    if span <= 0:
        return 0.0
    return float(wasserstein_distance((real - lo) / span, (synth - lo) / span))


class _PacketMetric(Metric):
    track = "packets"
    direction = Direction.LOWER
    protocol = "full"
    version = "1.0"


class SeqJSDSymbols(_PacketMetric):
    name = "seq-jsd-symbols"
    description = "JS distance of packet-symbol (flags+direction+payload class) frequencies"
    bounds = (0.0, 1.0)

    def compute(self, real, synthetic, schema, *, holdout=None, seed=0):
        return js_distance(Counter(_symbols(real, schema)), Counter(_symbols(synthetic, schema)))


class SeqJSDNgrams(_PacketMetric):
    name = "seq-jsd-ngrams"
    description = "mean JS distance of within-flow symbol 2-gram and 3-gram frequencies"
    bounds = (0.0, 1.0)
    orders = (2, 3)

    def compute(self, real, synthetic, schema, *, holdout=None, seed=0):
        wr, ws = _words(real, schema), _words(synthetic, schema)
        parts = {f"n={n}": js_distance(ngram_counts(wr, n), ngram_counts(ws, n)) for n in self.orders}
        return MetricResult(float(np.mean(list(parts.values()))), parts)


class _SeqEMD(_PacketMetric):
    bounds = (0.0, 1.0)
    role = ""

    def _values(self, table, schema):
        raise NotImplementedError

    def compute(self, real, synthetic, schema, *, holdout=None, seed=0):
        return scaled_wasserstein(self._values(real, schema), self._values(synthetic, schema))


class SeqEMDSize(_SeqEMD):
    name = "seq-emd-size"
    description = "1-D Wasserstein distance of packet payload sizes (joint min-max scaling)"

    def _values(self, table, schema):
        return table[_cols(schema, table).size].to_numpy(float)


class SeqEMDIat(_SeqEMD):
    name = "seq-emd-iat"
    description = "1-D Wasserstein distance of inter-arrival times of non-first packets (joint min-max scaling)"

    def _values(self, table, schema):
        cols = _cols(schema, table)
        first = ~table[cols.flow_id].duplicated()
        return table.loc[~first, cols.iat].to_numpy(float)


class SeqLengthJSD(_PacketMetric):
    name = "seq-length-jsd"
    description = "JS distance of the packets-per-flow distributions"
    bounds = (0.0, 1.0)

    def compute(self, real, synthetic, schema, *, holdout=None, seed=0):
        fr, fs = _cols(schema, real).flow_id, _cols(schema, synthetic).flow_id
        return js_distance(Counter(real.groupby(fr, sort=False).size().to_numpy()),
                           Counter(synthetic.groupby(fs, sort=False).size().to_numpy()))


@dataclass(frozen=True)
class ProtocolRule:
    """A protocol rule as data: a regex over the flow's token string that must (not) match.

    Token string: ``|tok|tok|...|`` with tok = flags (canonical order FSRPAUEC, ``-`` if none),
    direction mark (``>`` initiator, ``<`` answer) and payload class (``d`` data, ``.`` empty).
    """

    name: str
    description: str
    pattern: str
    must_match: bool

    def broken_by(self, tokens: str) -> bool:
        return bool(re.search(self.pattern, tokens)) != self.must_match


_F = r"[^|<>]*"     # any flags
TCP_RULES: tuple[ProtocolRule, ...] = (
    ProtocolRule("handshake", "a TCP flow starts with SYN (no ACK) from the initiator, then SYN-ACK from the answer",
                 r"^\|(?=[^|]*S)(?![^|]*A)[^|<>]*>.\|(?=[^|]*S)(?=[^|]*A)[^|<>]*<.\|",
                 True),
    ProtocolRule("no-data-after-rst", "no packet carries data after a RST",
                 r"\|" + _F + "R" + _F + r"[<>].\|(.*\|)?" + _F + r"[<>]d\|", False),
    ProtocolRule("fin-ordering", "no side sends data after its own FIN",
                 r"\|" + _F + "F" + _F + r"(?P<dir>[<>]).\|(.*\|)?" + _F + r"(?P=dir)d\|", False),
)

_FLAG_ORDER = "FSRPAUEC"


def _canonical_flags(flags: str) -> str:
    letters = {ch for ch in str(flags).upper() if ch in _FLAG_ORDER}
    return "".join(ch for ch in _FLAG_ORDER if ch in letters) or "-"


def flow_token_strings(table: pd.DataFrame, schema: FlowSchema) -> pd.Series:
    """``|tok|...|`` per TCP flow (flows whose service starts with TCP, or with any TCP flag)."""
    cols = _cols(schema, table)
    flags = table[cols.flags].astype(str).map(_canonical_flags)
    tok = flags + table[cols.direction].astype(str).map(DIR_MARK).fillna("?") + np.where(
        table[cols.size].to_numpy() > 0, "d", ".")
    fid = table[cols.flow_id].to_numpy()
    strings = tok.groupby(fid, sort=False).agg(lambda t: "|" + "|".join(t) + "|")
    if cols.service:
        tcp = table[cols.service].astype(str).str.upper().str.startswith("TCP").groupby(fid, sort=False).any()
    else:
        tcp = (flags != "-").groupby(fid, sort=False).any()
    return strings[tcp.reindex(strings.index).to_numpy()]


def rule_violations(table: pd.DataFrame, schema: FlowSchema, rules=TCP_RULES) -> pd.DataFrame:
    """Boolean frame: TCP flow x rule, True where the flow breaks the rule."""
    strings = flow_token_strings(table, schema)
    return pd.DataFrame({r.name: [r.broken_by(s) for s in strings] for r in rules}, index=strings.index)


class SeqDKC(_PacketMetric):
    """Share of TCP flows breaking a protocol rule.

    A rule that the real flows themselves break in more than half of the cases does not describe
    this capture (CESNET-MINER22's PPI, for one, keeps only packets with payload, so no flow
    shows a handshake); it is skipped and listed under ``skipped`` in the breakdown, instead of
    scoring every generator and the Reference row 1.0.
    """

    name = "seq-dkc"
    description = "share of TCP flows breaking a protocol rule (handshake, no data after RST, FIN ordering)"
    bounds = (0.0, 1.0)
    inputs = frozenset({"real", "synthetic"})
    rules = TCP_RULES
    max_real_violation = 0.5

    def compute(self, real, synthetic, schema, *, holdout=None, seed=0):
        real_v = rule_violations(real, schema, self.rules)
        rules = [r for r in self.rules if len(real_v) == 0 or real_v[r.name].mean() <= self.max_real_violation]
        skipped = [r.name for r in self.rules if r not in rules]
        v = rule_violations(synthetic, schema, rules)
        if len(v) == 0 or not rules:
            return MetricResult(0.0, {"tcp_flows": int(len(v)), "skipped": skipped})
        breakdown = {r.name: float(v[r.name].mean()) for r in rules}
        breakdown["tcp_flows"] = int(len(v))
        breakdown["skipped"] = skipped
        return MetricResult(float(v.any(axis=1).mean()), breakdown)

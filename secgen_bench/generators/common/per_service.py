"""The packets long table (FORMATS.md) <-> per-service packet words, and the per-service generator base.

The packets-track generators (tadam, markov-chain, hmm, packet-transformer)
share this scaffolding: split the table into flows per service, fit one model
per service, draw how many flows each service gets, write sampled words back
as a packets table. Word = list of (symbol, value); symbols are those of
:mod:`secgen_bench.packets`; value = [inter-arrival time in ``iat_unit``
seconds (rounded), payload size in bytes].
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from secgen_bench.generators.base import Generator
from secgen_bench.packets import PacketColumns, flow_rows, packet_symbols, parse_symbol
from secgen_bench.schema import FlowSchema


def group_words(table: pd.DataFrame, cols: PacketColumns, payload_class: bool, iat_unit: float):
    """{service: list of words}; a word = list of (symbol, [iat units, size])."""
    sym = packet_symbols(table, cols, payload_class).to_numpy()
    vals = np.column_stack([np.round(table[cols.iat].to_numpy(float) / iat_unit),
                            table[cols.size].to_numpy(float)])
    service = table[cols.service].astype(str).to_numpy() if cols.service else np.full(len(table), "")
    out: dict[str, list] = {}
    for rows in flow_rows(table, cols):
        out.setdefault(service[rows[0]], []).append([(sym[r], vals[r]) for r in rows])
    return out


@dataclass(frozen=True)
class PacketWordsConfig:
    """The options every per-service packets generator has; its Config extends this one."""

    payload_class: bool = True        # symbol distinguishes empty and data packets
    iat_unit: float = 1e-3            # seconds per value unit of the inter-arrival time

    def __post_init__(self) -> None:
        if self.iat_unit <= 0:
            raise ValueError(f"option 'iat_unit' must be > 0, got {self.iat_unit}")


class PerServiceSequenceGenerator(Generator):
    """Packets-track base: one sequence model per service; ``sample(n)`` returns n fresh flows.

    Subclasses implement ``_fit_words(words, seed) -> model`` and
    ``_sample_words(model, k, rng) -> list of words`` (words as in :func:`group_words`);
    one that learns a single model for all services overrides ``_fit_services`` instead
    of ``_fit_words``. The Config extends :class:`PacketWordsConfig`.
    """

    track = "packets"
    unit = "sequences"

    def _fit_words(self, words: list, seed: int) -> Any:
        raise NotImplementedError

    def _sample_words(self, model: Any, k: int, rng: np.random.Generator) -> list:
        raise NotImplementedError

    def _fit_services(self, by_service: dict[str, list], seed: int) -> dict[str, Any]:
        """{service: what ``_sample_words`` gets}: one ``_fit_words`` model per service, seeded in service order."""
        return {s: self._fit_words(by_service[s], seed + i) for i, s in enumerate(self.services_)}

    def _fit(self, table: pd.DataFrame, schema: FlowSchema, *, seed: int) -> None:
        cols = PacketColumns.resolve(schema, table)
        by_service = group_words(table, cols, self.config.payload_class, self.config.iat_unit)
        self.cols_ = cols
        self._n_train_words = sum(len(w) for w in by_service.values())
        self.services_ = sorted(by_service)
        self.service_share_ = np.array([len(by_service[s]) for s in self.services_], float)
        self.service_share_ /= self.service_share_.sum()
        self.models_ = self._fit_services(by_service, seed)
        if cols.label:
            self.labels_ = table.groupby(table[cols.service].astype(str) if cols.service else np.zeros(len(table)))[
                cols.label].agg(lambda x: x.mode().iloc[0]).to_dict()

    def _sample(self, n: int, *, seed: int) -> pd.DataFrame:
        rng = np.random.default_rng(seed)
        counts = rng.multinomial(n, self.service_share_) if n else np.zeros(len(self.services_), int)
        cols, rows = self.cols_, []
        flow = 0
        for service, k in zip(self.services_, counts):
            for word in self._sample_words(self.models_[service], int(k), rng):
                fid = f"syn-{flow:07d}"
                flow += 1
                if not word:      # the contract counts sequences by id: an empty walk still needs one packet
                    word = [self._fallback_event(service)]
                for i, (sym, val) in enumerate(word):
                    flags, direction = parse_symbol(sym, self.config.payload_class)
                    size = max(int(round(float(val[1]))), 0)
                    if self.config.payload_class and sym.endswith(".") and size:
                        size = 0
                    iat = 0.0 if i == 0 else max(float(val[0]), 0.0) * self.config.iat_unit
                    rows.append((fid, service, direction, flags, size, iat))
        out = pd.DataFrame(rows, columns=["_id", "_service", "_dir", "_flags", "_size", "_iat"])
        table = pd.DataFrame({
            cols.flow_id: out["_id"].astype(object),
            cols.flags: out["_flags"].astype(object),
            cols.size: out["_size"].astype("int64"),
            cols.iat: out["_iat"].astype("float64"),
            cols.direction: out["_dir"].astype(object),
        })
        if cols.service:
            table[cols.service] = out["_service"].astype(object)
        if cols.label:
            key = out["_service"] if cols.service else pd.Series(0, index=out.index)
            table[cols.label] = key.map(self.labels_).astype(str).astype(object)
        return table[self.columns_].astype(self.dtypes_)

    # -- flow-conditioned packets (secgen_bench.packet_conditions) ----------------------------------
    POOL_PER_FLOW = 4        # walks drawn per requested flow of a service (at least POOL_MIN, at most POOL_MAX)
    POOL_MIN, POOL_MAX = 200, 20000

    def sample_for_flows(self, conditions: pd.DataFrame, *, seed: int = 0) -> pd.DataFrame:
        """Packets (``flow_id, service, direction, flags, size, iat``) that agree with each flow record.

        Walks come from the service's model and are fitted to the record by
        :mod:`~secgen_bench.generators.common.conditioned_walk`. A service not seen in
        training uses the model of the seen service of the same protocol (the part before
        ``/``) with the most training flows; with no such service, its packets are built
        from the record alone (for TCP: SYN, SYN-ACK, ACKs, FIN from both sides, as counts allow).
        """
        from secgen_bench.generators.common.conditioned_walk import (WalkPool, fit_walk, payload_sizes,
                                                                     scaled_iats)
        from secgen_bench.packet_conditions import check_conditions

        if not hasattr(self, "models_"):
            raise RuntimeError(f"{self.name}: fit() before sample_for_flows()")
        conditions = check_conditions(conditions)
        rng = np.random.default_rng(seed)
        services = conditions["service"].astype(str).to_numpy()
        wanted = {svc: int((services == svc).sum()) for svc in sorted(set(services))}
        pools: dict[str, Any] = {}
        for svc, n_flows in wanted.items():
            source = self._conditioning_source(svc)
            tcp = svc.upper().startswith("TCP")
            words = []
            if source is not None:
                size = int(min(max(self.POOL_MIN, self.POOL_PER_FLOW * n_flows), self.POOL_MAX))
                words = self._sample_words(self.models_[source], size, rng)
            elif tcp:
                words = [_record_only_tcp_word(self.config.payload_class)]
            pools[svc] = WalkPool(words, self.config.payload_class, tcp)
        rows = []
        unit = self.config.iat_unit
        for k, rec in enumerate(conditions.itertuples(index=False)):
            svc = services[k]
            pool, tcp = pools[svc], svc.upper().startswith("TCP")
            want = np.array([int(rec.out_packets), int(rec.in_packets)])
            walk = pool.choose(want, rng)
            packets = fit_walk(walk, pool, want, rng, tcp)
            n_head = len(walk.head) if walk else 0
            n_tail = len(walk.tail) if walk else 0
            for p in packets:
                p.iat *= unit
            iats = scaled_iats(packets, float(rec.duration))
            sizes = np.zeros(len(packets), dtype=np.int64)
            for side, total in ((0, int(rec.out_payload)), (1, int(rec.in_payload))):
                idx = [i for i, p in enumerate(packets) if p.side == side]
                sizes[idx] = payload_sizes(packets, n_head, n_tail, side, total)
            for i, p in enumerate(packets):
                flags = p.flags or ("-" if not tcp else "A")
                rows.append((rec.flow_id, svc, "out" if p.side == 0 else "in", flags, int(sizes[i]), float(iats[i])))
        out = pd.DataFrame(rows, columns=["flow_id", "service", "direction", "flags", "size", "iat"])
        return out.astype({"size": "int64", "iat": "float64"})

    def _conditioning_source(self, service: str) -> str | None:
        """The fitted service whose model draws a service's walks (see :meth:`sample_for_flows`)."""
        if service in self.models_:
            return service
        proto = service.split("/")[0].upper()
        same = [s for s in self.services_ if s.split("/")[0].upper() == proto]
        if not same:
            return None
        share = dict(zip(self.services_, self.service_share_))
        return max(same, key=lambda s: (share[s], s))

    def _fallback_event(self, service: str):
        return ("->" + ("." if self.config.payload_class else ""), np.zeros(2))


def _record_only_tcp_word(payload_class: bool) -> list:
    """A TCP walk for a protocol never seen in training: handshake, one data packet each way, FIN both ways."""
    zero = np.zeros(2)
    word = [("S>.", zero), ("SA<.", zero), ("A>.", zero), ("PA>d", np.array([0.0, 1.0])),
            ("PA<d", np.array([0.0, 1.0])), ("FA>.", zero), ("FA<.", zero), ("A>.", zero)]
    return word if payload_class else [(sym[:-1], val) for sym, val in word]

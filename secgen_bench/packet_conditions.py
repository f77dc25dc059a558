"""What a flow record asks of its packets: the contract between a flows-track sample and a packet generator.

The pipeline flows -> packets -> pcap (FlowChronicle's flows, then TADAM's per-packet
direction, flags, size and timing) needs packet sequences that *agree* with the flow they
belong to. Neutral ground, like :mod:`secgen_bench.packets`: the pcap writer builds the
conditions from flows, packet generators read them, and neither imports the other.

A conditions table has one row per flow and the columns of :data:`CONDITION_COLUMNS`:

- ``flow_id``: the id the packet rows must carry (the packets schema's ``flow_id``);
- ``service``: the packets schema's service (``TCP/80``, ``UDP/53``: protocol name / server port);
- ``out_packets`` / ``in_packets``: packets from the initiator / from the responder (exact);
- ``out_payload`` / ``in_payload``: transport payload bytes per direction (exact: the caller has
  already removed the per-packet header overhead it will write);
- ``duration``: seconds from the first to the last packet (the sum of a flow's inter-arrival
  times must not exceed it).

A packet generator that supports conditioning implements
``sample_for_flows(conditions, *, seed) -> DataFrame`` returning packets-schema rows
(``flow_id, service, direction, flags, size, iat``), and :func:`check_conditioned` decides
whether it kept the contract.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

CONDITION_COLUMNS = ("flow_id", "service", "out_packets", "in_packets", "out_payload", "in_payload", "duration")
DURATION_SLACK_S = 1e-6   # inter-arrival times are rounded to microseconds
MAX_PACKET_PAYLOAD = 65535 - 20 - 20   # the most payload one packet carries whatever its protocol and IP version


class ConditionMismatch(ValueError):
    """Packets that do not agree with the flow records they were asked for."""


def check_conditions(conditions: pd.DataFrame) -> pd.DataFrame:
    """The conditions table itself is well formed (columns, non-negative counts, payload only with packets)."""
    missing = [c for c in CONDITION_COLUMNS if c not in conditions.columns]
    if missing:
        raise ConditionMismatch(f"flow conditions lack column {missing[0]!r}")
    if conditions["flow_id"].duplicated().any():
        dup = conditions["flow_id"][conditions["flow_id"].duplicated()].iloc[0]
        raise ConditionMismatch(f"flow conditions: flow_id {dup!r} appears twice")
    for col in ("out_packets", "in_packets", "out_payload", "in_payload", "duration"):
        values = pd.to_numeric(conditions[col], errors="coerce")
        if values.isna().any() or (values < 0).any():
            bad = conditions[col][values.isna() | (values < 0)].iloc[0]
            raise ConditionMismatch(f"flow conditions: column {col!r} has value {bad!r} (must be a number >= 0)")
    for side in ("out", "in"):
        orphan = (conditions[f"{side}_packets"] == 0) & (conditions[f"{side}_payload"] > 0)
        if orphan.any():
            fid = conditions["flow_id"][orphan].iloc[0]
            raise ConditionMismatch(f"flow conditions: flow {fid!r} has {side} payload but no {side} packets")
    empty = (conditions["out_packets"] + conditions["in_packets"]) == 0
    if empty.any():
        fid = conditions["flow_id"][empty].iloc[0]
        raise ConditionMismatch(f"flow conditions: flow {fid!r} has no packets")
    return conditions


def check_conditioned(packets: pd.DataFrame, conditions: pd.DataFrame, who: str = "packet generator") -> None:
    """Raise :class:`ConditionMismatch` unless every flow's packets match its record exactly.

    Per flow: the packet count per direction, the payload bytes per direction, the service, and
    the inter-arrival times (non-negative, summing to at most ``duration``); no packet of a flow
    that was not asked for.
    """
    check_conditions(conditions)
    cond = conditions.set_index("flow_id")
    unknown = set(packets["flow_id"].unique()) - set(cond.index)
    if unknown:
        raise ConditionMismatch(f"{who}: packets for flow {sorted(map(str, unknown))[0]!r}, which was not asked for")
    if (packets["iat"] < 0).any():
        raise ConditionMismatch(f"{who}: negative inter-arrival time")
    grouped = packets.groupby(["flow_id", "direction"], sort=False)
    ids = cond.index
    got = {}
    for side in ("out", "in"):
        got[f"{side}_packets"] = _per_flow(grouped.size().unstack(fill_value=0), side, ids)
        got[f"{side}_payload"] = _per_flow(grouped["size"].sum().unstack(fill_value=0), side, ids)
    by_flow = packets.groupby("flow_id", sort=False)
    span = by_flow["iat"].apply(lambda s: float(s.iloc[1:].sum())).reindex(ids, fill_value=0.0).to_numpy()
    services = by_flow["service"].agg(lambda s: set(s.astype(str))).reindex(ids)
    want_service = cond["service"].astype(str)
    n_flow = (cond["out_packets"] + cond["in_packets"]).to_numpy()
    bad = {col: got[col] != cond[col].to_numpy().astype(np.int64) for col in got}
    bad["service"] = np.array([isinstance(have, set) and have != {want} for have, want in zip(services, want_service)])
    bad["span"] = span > cond["duration"].to_numpy(dtype=float) + DURATION_SLACK_S * n_flow
    failing = np.flatnonzero(np.logical_or.reduce(list(bad.values())))
    if not len(failing):
        return
    k = int(failing[0])                       # the first flow that breaks its record, checks in this order
    fid, row = ids[k], cond.iloc[k]
    for side in ("out", "in"):
        if bad[f"{side}_packets"][k]:
            raise ConditionMismatch(f"{who}: flow {fid!r} has {got[f'{side}_packets'][k]} {side} packets, "
                                    f"its record says {int(row[f'{side}_packets'])}")
        if bad[f"{side}_payload"][k]:
            raise ConditionMismatch(f"{who}: flow {fid!r} has {got[f'{side}_payload'][k]} {side} payload bytes, "
                                    f"its record says {int(row[f'{side}_payload'])}")
    if bad["service"][k]:
        raise ConditionMismatch(f"{who}: flow {fid!r} packets carry service {sorted(services.iloc[k])}, "
                                f"its record says {row['service']!r}")
    raise ConditionMismatch(f"{who}: flow {fid!r} spans {span[k]:.6f} s, "
                            f"its record says {float(row['duration']):.6f} s")


def _per_flow(table: pd.DataFrame, side: str, ids: pd.Index) -> np.ndarray:
    """One direction's column of a flow x direction table, in the order of ``ids`` (0 where absent)."""
    column = table[side] if side in table.columns else pd.Series(0, index=table.index)
    return column.reindex(ids, fill_value=0).to_numpy().astype(np.int64)

def split_total(total: int, parts: int, weights: np.ndarray | None = None) -> np.ndarray:
    """``parts`` non-negative integers summing to ``total``, in proportion to ``weights`` (largest remainder)."""
    if parts <= 0:
        if total:
            raise ConditionMismatch(f"cannot put {total} bytes into 0 packets")
        return np.zeros(0, dtype=np.int64)
    w = np.ones(parts) if weights is None else np.clip(np.asarray(weights, dtype=float), 0, None)
    if w.sum() <= 0:
        w = np.ones(parts)
    raw = total * w / w.sum()
    out = np.floor(raw).astype(np.int64)
    rest = int(total - out.sum())
    if rest:
        out[np.argsort(-(raw - out), kind="stable")[:rest]] += 1
    return out

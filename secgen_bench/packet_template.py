"""A fixed, protocol-shaped packet sequence per flow record: the pcap writer's reference input, no model.

Why: the round-trip tests and the writer benchmark need packets that keep every flow's contract
(:mod:`secgen_bench.packet_conditions`) and the TCP state machine, independent of any learnt
generator. TCP: the initiator's SYN, the responder's SYN+ACK, data/ACK packets interleaved in
proportion, then FIN+ACK from each side last (a side with one packet sends only its SYN/SYN+ACK;
a flow with no initiator packets starts with the responder's SYN+ACK, which is how the flow
assembler recognises the initiator). UDP/ICMP: the initiator first, then interleaved. Payload is
split evenly over a side's non-SYN packets (all of them when it has no other); inter-arrival times
are even, summing to the duration.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from secgen_bench.packet_conditions import MAX_PACKET_PAYLOAD, check_conditions, split_total


def _interleave(n_out: int, n_in: int) -> list[str]:
    keys = [((k + 0.5) / n_out, 0, "out") for k in range(n_out)] + [((k + 0.5) / n_in, 1, "in") for k in range(n_in)]
    return [d for _, _, d in sorted(keys)]


def flow_template(service: str, n_out: int, n_in: int, out_payload: int, in_payload: int, duration: float):
    """(directions, flags, sizes, iats) of one flow."""
    tcp = service.upper().startswith("TCP/")
    if tcp:
        head = (["out"] if n_out else []) + (["in"] if n_in else [])
        head_flags = (["S"] if n_out else []) + (["SA"] if n_in else [])
        tail_out, tail_in = int(n_out >= 2), int(n_in >= 2)
        middle = _interleave(n_out - bool(n_out) - tail_out, n_in - bool(n_in) - tail_in)
        dirs = head + middle + ["out"] * tail_out + ["in"] * tail_in
        flags = head_flags + ["A"] * len(middle) + ["FA"] * (tail_out + tail_in)
    else:
        dirs = (["out"] + _interleave(n_out - 1, n_in)) if n_out else ["in"] * n_in
        flags = ["-"] * len(dirs)
    dirs_a = np.array(dirs, dtype=object)
    sizes = np.zeros(len(dirs), dtype=np.int64)
    for side, total in (("out", out_payload), ("in", in_payload)):
        rows = np.flatnonzero(dirs_a == side)
        carriers = [r for r in rows if not (tcp and "S" in flags[r])] or list(rows)
        if total > len(carriers) * MAX_PACKET_PAYLOAD:      # too much for the data packets alone: the SYN helps
            carriers = list(rows)
        sizes[carriers] = split_total(int(total), len(carriers))
        if tcp:
            for r in carriers:
                if sizes[r] and flags[r] == "A":
                    flags[r] = "PA"
    iat = np.zeros(len(dirs))
    if len(dirs) > 1:
        iat[1:] = split_total(int(round(duration * 1e6)), len(dirs) - 1) / 1e6
    return dirs, flags, sizes, iat


def template_packets(conditions: pd.DataFrame) -> pd.DataFrame:
    """Packets-schema rows (``flow_id, service, direction, flags, size, iat``) for every flow of ``conditions``."""
    check_conditions(conditions)
    parts = {k: [] for k in ("flow_id", "service", "direction", "flags", "size", "iat")}
    for row in conditions.itertuples(index=False):
        dirs, flags, sizes, iat = flow_template(row.service, int(row.out_packets), int(row.in_packets),
                                                int(row.out_payload), int(row.in_payload), float(row.duration))
        parts["flow_id"].extend([row.flow_id] * len(dirs))
        parts["service"].extend([row.service] * len(dirs))
        parts["direction"].extend(dirs)
        parts["flags"].extend(flags)
        parts["size"].append(sizes)
        parts["iat"].append(iat)
    table = pd.DataFrame({k: parts[k] for k in ("flow_id", "service", "direction", "flags")}, dtype=object)
    table["size"] = np.concatenate(parts["size"]) if parts["size"] else np.zeros(0, np.int64)
    table["iat"] = np.concatenate(parts["iat"]) if parts["iat"] else np.zeros(0)
    return table

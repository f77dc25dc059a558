"""The one tiny flow table and the one toy packet-sequence table of the tests, with their schemas.

A plain module (no pytest): the test plugins' tiny dataset (tests/plugins.py) loads it inside job subprocesses.
The ``tiny_table`` fixture (tests/conftest.py) hands out a fresh ``tiny_flows()`` per test.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from secgen_bench.schema import Column, FlowSchema, Role

# ---- flows -------------------------------------------------------------------------------------
TINY_SCHEMA = FlowSchema("tiny", (
    Column("ts", Role.TIMESTAMP), Column("proto", Role.PROTOCOL), Column("src", Role.IP),
    Column("dst", Role.IP), Column("dport", Role.PORT), Column("bytes", Role.BYTES, "out"),
    Column("packets", Role.PACKETS, "out"), Column("dur", Role.DURATION), Column("flags", Role.FLAGS),
))


def tiny_flows(n: int = 400, seed: int = 0) -> pd.DataFrame:
    """``n`` flows with every role a flow generator handles, zeros among the counts, and dependences a
    model can find (the port follows the protocol, bytes grow with packets, flags follow the protocol). Byte
    counts stay light-tailed so that a mean over a few dozen rows is a steady number (tests/test_compare.py)."""
    rng = np.random.default_rng(seed)
    proto = rng.choice(["TCP", "UDP"], n, p=[0.7, 0.3])
    dport = np.where(proto == "UDP", 53, rng.choice([80, 443, 22], n))
    packets = np.where(rng.random(n) < 0.1, 0, rng.integers(1, 60, n))
    table = pd.DataFrame({
        "ts": pd.Timestamp("2024-03-04") + pd.to_timedelta(np.sort(rng.uniform(0, 3 * 86400, n)), unit="s"),
        "proto": proto,
        "src": rng.choice([f"10.0.0.{i}" for i in range(6)], n),
        "dst": np.where(rng.random(n) < 0.8, rng.choice(["8.8.8.8", "1.1.1.1", "9.9.9.9"], n),
                        [f"172.16.{i}.1" for i in rng.integers(0, 150, n)]),
        "dport": dport,
        "bytes": np.where(packets == 0, 0, rng.integers(40, 5000, n) + 40 * packets),
        "packets": packets,
        "dur": np.where(packets == 0, 0.0, rng.exponential(2.0, n)),
        "flags": np.where(proto == "TCP", rng.choice([".AP.SF", ".A....", "....S."], n), "......"),
    })
    return TINY_SCHEMA.validate(table)


# ---- packet sequences ---------------------------------------------------------------------------
PACKETS = FlowSchema("packets", (Column("flow_id", Role.SEQUENCE_ID), Column("service", Role.CATEGORICAL),
                                 Column("direction", Role.CATEGORICAL), Column("flags", Role.FLAGS),
                                 Column("size", Role.BYTES), Column("iat", Role.DURATION),
                                 Column("label", Role.LABEL)))


def toy_packets(n_tcp: int = 40, n_udp: int = 15, seed: int = 0) -> pd.DataFrame:
    """TCP/443 conversations (handshake, 1-3 request/response pairs, close) and two-packet DNS exchanges."""
    rng = np.random.default_rng(seed)
    rows = []
    for k in range(n_tcp):
        pk = [("out", "S", 0), ("in", "SA", 0), ("out", "A", 0)]
        pk += [("out", "PA", int(rng.integers(100, 300))), ("in", "PA", int(rng.integers(1000, 1400)))] * int(
            rng.integers(1, 4))
        pk += [("out", "FA", 0), ("in", "FA", 0), ("out", "A", 0)]
        for i, (d, f, s) in enumerate(pk):
            rows.append((f"t{k}", "TCP/443", d, f, s, 0.0 if i == 0 else float(rng.exponential(0.02)), "benign"))
    for k in range(n_udp):
        rows.append((f"u{k}", "UDP/53", "out", "-", 40, 0.0, "benign"))
        rows.append((f"u{k}", "UDP/53", "in", "-", int(rng.integers(80, 200)), float(rng.exponential(0.01)), "benign"))
    return PACKETS.validate(pd.DataFrame(rows, columns=PACKETS.names))

"""Constructed labelled flow tables for the utility, detectability and privacy metric tests.

Benign flows come from a few services (server IP, port, protocol, typical
sizes); attack flows from scans and floods with other ports and sizes. A noise
"generator" draws every column uniformly over the real table's range or
levels, so it keeps the marginal support and loses every relation.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from secgen_bench.schema import Column, FlowSchema, Role

SCHEMA = FlowSchema("ids-toy", (
    Column("src", Role.IP), Column("dst", Role.IP), Column("dport", Role.PORT), Column("proto", Role.PROTOCOL),
    Column("bytes", Role.BYTES), Column("packets", Role.PACKETS), Column("duration", Role.DURATION),
    Column("label", Role.LABEL)))
NO_LABEL = FlowSchema("ids-toy-unlabelled", tuple(c for c in SCHEMA.columns if c.role is not Role.LABEL))

SERVICES = [("10.0.0.1", 80, "TCP", 9.0, 12.0), ("10.0.0.2", 53, "UDP", 5.0, 2.0), ("10.0.0.3", 443, "TCP", 10.0, 20.0)]
# attacks reuse the benign vocabulary; what gives them away is the combination and the sizes
ATTACKS = {"scan": ("10.0.0.2", 443, "TCP", 1.0, 1.0), "flood": ("10.0.0.1", 80, "UDP", 6.0, 200.0)}


def benign(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    svc = rng.integers(0, len(SERVICES), n)
    dst, port, proto, log_bytes, pk = (np.array([s[i] for s in SERVICES], dtype=object)[svc] for i in range(5))
    packets = np.maximum(1, rng.poisson(pk.astype(float))).astype(np.int64)
    size = np.exp(log_bytes.astype(float) + rng.normal(0, 0.3, n))
    return SCHEMA.validate(pd.DataFrame({
        "src": [f"192.168.1.{i}" for i in rng.integers(1, 30, n)], "dst": dst.astype(str), "dport": port.astype(np.int64),
        "proto": proto.astype(str), "bytes": (size * packets / pk.astype(float)).astype(np.int64) + 40,
        "packets": packets, "duration": rng.gamma(2.0, 0.5, n) * packets / 10, "label": "benign"}))


def attacks(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    kinds = np.array(sorted(ATTACKS))[rng.integers(0, len(ATTACKS), n)]
    rows = [ATTACKS[k] for k in kinds]
    packets = np.array([max(1, rng.poisson(r[4])) for r in rows], dtype=np.int64)
    return SCHEMA.validate(pd.DataFrame({
        "src": [f"192.168.1.{i}" for i in rng.integers(1, 30, n)], "dst": [r[0] for r in rows],
        "dport": np.array([r[1] for r in rows], dtype=np.int64), "proto": [r[2] for r in rows],
        "bytes": (np.array([np.exp(r[3] + rng.normal(0, 0.2)) for r in rows]) * packets).astype(np.int64) + 40,
        "packets": packets, "duration": rng.gamma(1.0, 0.01, n), "label": kinds.astype(str)}))


def noise_like(real: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    """A generator that outputs noise: numbers uniform on [0, 2 * real max], categories random fresh tokens."""
    rng = np.random.default_rng(seed)
    out = {}
    for c in SCHEMA.columns:
        if c.role is Role.PORT:
            out[c.name] = rng.integers(0, 65536, n).astype(np.int64)
        elif c.role in (Role.IP, Role.PROTOCOL):
            out[c.name] = [f"noise-{i}" for i in rng.integers(0, 10_000, n)]
        elif c.role is Role.LABEL:
            out[c.name] = np.asarray(sorted(real[c.name].unique()))[rng.integers(0, real[c.name].nunique(), n)]
        else:
            out[c.name] = rng.uniform(0.0, 2.0 * float(real[c.name].max()), n)
    frame = pd.DataFrame(out)
    for c in ("bytes", "packets"):
        frame[c] = frame[c].astype(np.int64)
    return SCHEMA.validate(frame)

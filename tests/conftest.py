"""Shared fixtures: the real-data folder (skips when absent), isolated cache, the one tiny flow table, the
one toy packet-sequence table, and the one registration of the test plugins (tests/plugins.py)."""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Mapping

import numpy as np
import pandas as pd
import pytest

from secgen_bench.schema import Column, FlowSchema, Role

REPO = Path(__file__).resolve().parent.parent


def shared_data_dir() -> Path | None:
    """``$SECGEN_BENCH_DATA`` or ``../shared/data`` beside the checkout, when it exists."""
    env = os.environ.get("SECGEN_BENCH_DATA")
    path = Path(env) if env else REPO.parent / "shared" / "data"
    return path if path.is_dir() else None


def shared_specs_dir() -> Path | None:
    path = REPO.parent / "shared" / "specs"
    return path if path.is_dir() else None


@pytest.fixture
def shared_data() -> Path:
    path = shared_data_dir()
    if path is None:
        pytest.skip("real data folder absent (set SECGEN_BENCH_DATA)")
    return path


@pytest.fixture
def shared_specs() -> Path:
    path = shared_specs_dir()
    if path is None:
        pytest.skip("../shared/specs absent")
    return path


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Never touch the user's cache from tests."""
    monkeypatch.setenv("SECGEN_BENCH_CACHE", str(tmp_path_factory.mktemp("cache")))


# ---- the tiny flow table -------------------------------------------------------------------------------------
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


@pytest.fixture
def tiny_table() -> pd.DataFrame:
    """400 tiny flows (``tiny_flows()``), a fresh copy per test."""
    return tiny_flows()


# ---- the toy packet-sequence table ---------------------------------------------------------------------------
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


@pytest.fixture
def tiny_packets() -> pd.DataFrame:
    """55 toy packet sequences (``toy_packets()``), a fresh copy per test."""
    return toy_packets()


# ---- the test plugins ------------------------------------------------------------------------------------------
TEST_GENERATORS = {
    "copycat": "tests.plugins:Copycat", "sleeper": "tests.plugins:Sleeper", "crasher": "tests.plugins:Crasher",
    "memory-hog": "tests.plugins:MemoryHog", "wrong-columns": "tests.plugins:WrongColumns",
    "wrong-dtype": "tests.plugins:WrongDtype", "exiter": "tests.plugins:Exiter",
}


@contextmanager
def registered_test_plugins(extra_generators: Mapping[str, str] | None = None) -> Iterator[None]:
    """Register the tiny dataset, the mean-bytes-gap metric and the test generators (plus
    ``extra_generators``: name -> "module:attr"); unregister them all on exit."""
    from secgen_bench import registry

    generators = {**TEST_GENERATORS, **(extra_generators or {})}
    registry.datasets.register("tiny", "tests.plugins:TinyDataset", source="test")
    registry.metrics.register("mean-bytes-gap", "tests.plugins:MeanBytesGap", source="test")
    try:
        for name, target in generators.items():
            registry.generators.register(name, target, source="test")
        yield
    finally:
        for name in generators:
            registry.generators.unregister(name)
        registry.datasets.unregister("tiny")
        registry.metrics.unregister("mean-bytes-gap")


@pytest.fixture
def plugins(request) -> Iterator[None]:
    """The test plugins, registered for one test; a module adds its own in ``EXTRA_GENERATORS``."""
    with registered_test_plugins(getattr(request.module, "EXTRA_GENERATORS", None)):
        yield

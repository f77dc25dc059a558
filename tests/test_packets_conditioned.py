"""sample_for_flows on the per-service packet generators: packets that agree with flow records and keep TCP's shape."""
import importlib.util

import numpy as np
import pandas as pd
import pytest

from secgen_bench.generators.hmm import HMM
from secgen_bench.generators.markov_chain import MarkovChain
from secgen_bench.generators.tadam import TADAM
from secgen_bench.metrics.packets import rule_violations
from secgen_bench.packet_conditions import check_conditioned
from tests.tiny_tables import PACKETS, toy_packets

HAS_HMM = importlib.util.find_spec("hmmlearn") is not None
GENERATORS = [MarkovChain, TADAM,
              pytest.param(HMM, marks=pytest.mark.skipif(not HAS_HMM, reason="hmmlearn not installed"))]
# seen services, an unseen TCP port (falls back to TCP/443's model) and an unseen protocol (no model)
SERVICES = ["TCP/443", "UDP/53", "TCP/8080", "ICMP/0"]


def random_conditions(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    out_p = rng.integers(1, 30, n)
    in_p = rng.integers(0, 30, n)
    return pd.DataFrame({
        "flow_id": [f"f{k}" for k in range(n)],
        "service": rng.choice(SERVICES, n),
        "out_packets": out_p, "in_packets": in_p,
        "out_payload": rng.integers(0, 4000, n) * (rng.random(n) < 0.8),
        "in_payload": np.where(in_p > 0, rng.integers(0, 40000, n), 0),
        "duration": np.round(rng.exponential(2.0, n) * (rng.random(n) < 0.9), 6),
    })


@pytest.fixture(scope="module", params=GENERATORS, ids=lambda c: c.name)
def fitted(request):
    return request.param(profile="quick").fit(toy_packets(), PACKETS, seed=0)


def test_records_are_kept_exactly(fitted):
    conditions = random_conditions(300, seed=4)
    packets = fitted.sample_for_flows(conditions, seed=7)
    check_conditioned(packets, conditions, fitted.name)
    assert list(packets.columns) == ["flow_id", "service", "direction", "flags", "size", "iat"]


def test_same_seed_same_packets(fitted):
    conditions = random_conditions(60, seed=5)
    a = fitted.sample_for_flows(conditions, seed=1)
    assert a.equals(fitted.sample_for_flows(conditions, seed=1))
    assert not a.equals(fitted.sample_for_flows(conditions, seed=2))


def test_tcp_flows_open_and_close(fitted):
    conditions = random_conditions(300, seed=6)
    packets = fitted.sample_for_flows(conditions, seed=3)
    tcp = packets[packets["service"].str.startswith("TCP")]
    first = tcp.groupby("flow_id", sort=False).head(1)
    assert (first["direction"] == "out").all() and (first["flags"] == "S").all()
    # flows with room for SYN, SYN-ACK and the FINs of both sides close; TADAM's keep every TCP rule
    # (the editing touches only the middle, so a walk keeps the rules its model kept: the Markov
    # chain's and the HMM's own walks send data after a FIN now and then)
    roomy = set(conditions.loc[(conditions.out_packets >= 4) & (conditions.in_packets >= 3), "flow_id"])
    roomy_tcp = tcp[tcp["flow_id"].isin(roomy)]
    assert roomy_tcp["flow_id"].nunique() > 50
    if fitted.name == "tadam":
        assert not rule_violations(roomy_tcp, PACKETS).any(axis=1).any()
    closes = roomy_tcp.groupby("flow_id")["flags"].agg(lambda f: any("F" in x or "R" in x for x in f))
    assert closes.all()
    # the unseen protocol gets no TCP flags
    assert (packets.loc[packets["service"] == "ICMP/0", "flags"] == "-").all()


def test_unseen_tcp_port_uses_the_tcp_model(fitted):
    assert fitted._conditioning_source("TCP/8080") == "TCP/443"
    assert fitted._conditioning_source("UDP/5353") == "UDP/53"
    assert fitted._conditioning_source("ICMP/0") is None

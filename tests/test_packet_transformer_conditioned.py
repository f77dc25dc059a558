"""packet-transformer's flow-conditioned sampling: every record kept exactly, by constrained decoding."""
import numpy as np
import pandas as pd
import pytest

pytest.importorskip("torch")

from secgen_bench.generators.packet_transformer import PacketTransformer, _capped_split  # noqa: E402
from secgen_bench.packet_conditions import MAX_PACKET_PAYLOAD, ConditionMismatch, check_conditioned  # noqa: E402
from tests.test_packets_generators import PACKETS, toy_packets  # noqa: E402


@pytest.fixture(scope="module")
def fitted():
    return PacketTransformer(profile="quick", max_packets=8, train_steps=150).fit(toy_packets(), PACKETS, seed=0)


def _conditions(n=60, seed=0):
    rng = np.random.default_rng(seed)
    cond = pd.DataFrame({"flow_id": [f"f{i}" for i in range(n)],
                         "service": rng.choice(["TCP/443", "UDP/53", "TCP/22"], n),
                         "out_packets": rng.integers(0, 20, n), "in_packets": rng.integers(1, 30, n)})
    cond["out_payload"] = np.where(cond.out_packets > 0, rng.integers(0, 5000, n), 0)
    cond["in_payload"] = np.where(rng.random(n) < 0.3, 0, cond["in_packets"] * rng.integers(1, 1400, n))
    cond["duration"] = rng.uniform(0, 10, n).round(6)
    return cond


def test_every_record_is_kept_and_seeded(fitted):
    cond = _conditions()
    packets = fitted.sample_for_flows(cond, seed=1)
    check_conditioned(packets, cond, who="packet-transformer")   # counts, payload, service, duration
    assert list(packets.columns) == fitted.columns_
    assert packets.equals(fitted.sample_for_flows(cond, seed=1))
    assert not packets.equals(fitted.sample_for_flows(cond, seed=2))
    first = packets.groupby("flow_id", sort=False).first()
    initiated = cond.set_index("flow_id")["out_packets"] > 0
    assert (first.loc[initiated[initiated].index, "direction"] == "out").all()   # the initiator sends first
    span = packets.groupby("flow_id")["iat"].apply(lambda s: s.iloc[1:].sum())
    many = cond.set_index("flow_id")
    many = many[(many.out_packets + many.in_packets) > 1]
    assert np.allclose(span[many.index], many["duration"], atol=1e-5)        # spans its duration


def test_payload_class_follows_the_bytes(fitted):
    cond = _conditions(40, seed=4)
    packets = fitted.sample_for_flows(cond, seed=0)
    tcp = packets[packets["service"] == "TCP/443"]
    assert ((tcp["size"] > 0) == tcp["flags"].str.contains("P")).all()   # 'd' symbols carry bytes, '.' none


def test_huge_payload_is_spread_within_the_packet_limit(fitted):
    cond = pd.DataFrame({"flow_id": ["a"], "service": ["TCP/443"], "out_packets": [3], "in_packets": [4],
                         "out_payload": [2], "in_payload": [4 * MAX_PACKET_PAYLOAD - 5], "duration": [1.0]})
    packets = fitted.sample_for_flows(cond, seed=0)
    check_conditioned(packets, cond)
    assert packets["size"].max() <= MAX_PACKET_PAYLOAD


def test_no_symbol_can_keep_the_record_is_a_one_line_error():
    toy = toy_packets()
    only_out = toy[toy["direction"] == "out"]
    gen = PacketTransformer(profile="quick", train_steps=20).fit(only_out, PACKETS, seed=0)
    cond = pd.DataFrame({"flow_id": ["a"], "service": ["TCP/443"], "out_packets": [1], "in_packets": [1],
                         "out_payload": [0], "in_payload": [0], "duration": [1.0]})
    with pytest.raises(ConditionMismatch, match="no symbol"):
        gen.sample_for_flows(cond, seed=0)


def test_capped_split_is_exact():
    out = _capped_split(1000, np.array([100.0, 1.0, 1.0]), 1, 400)
    assert out.sum() == 1000 and out.max() <= 400 and out.min() >= 1


def test_no_close_before_the_end(fitted):
    cond = _conditions(40, seed=7)
    packets = fitted.sample_for_flows(cond, seed=3)
    for _, flow in packets.groupby("flow_id"):
        flags = flow["flags"].tolist()
        assert not any("F" in f for f in flags[:-2]) and not any("R" in f for f in flags[:-1])

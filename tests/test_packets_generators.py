"""Packets-track generators (tadam, markov-chain, hmm) keep the sequence contract and are seeded."""
import importlib.util

import numpy as np
import pandas as pd
import pytest

from secgen_bench.generators.base import check_sample
from secgen_bench.generators.hmm import HMM
from secgen_bench.generators.markov_chain import MarkovChain
from secgen_bench.generators.tadam import TADAM
from secgen_bench.metrics.packets import SeqJSDSymbols
from secgen_bench.schema import Column, FlowSchema, Role

PACKETS = FlowSchema("packets", (Column("flow_id", Role.SEQUENCE_ID), Column("service", Role.CATEGORICAL),
                                 Column("direction", Role.CATEGORICAL), Column("flags", Role.FLAGS),
                                 Column("size", Role.BYTES), Column("iat", Role.DURATION),
                                 Column("label", Role.LABEL)))
HAS_HMM = importlib.util.find_spec("hmmlearn") is not None


def toy_packets(n_tcp=40, n_udp=15, seed=0):
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


GENERATORS = [MarkovChain, TADAM,
              pytest.param(HMM, marks=pytest.mark.skipif(not HAS_HMM, reason="hmmlearn not installed"))]


@pytest.mark.parametrize("cls", GENERATORS)
def test_sequence_contract_and_determinism(cls):
    real = toy_packets()
    gen = cls(profile="quick").fit(real, PACKETS, seed=0)
    assert gen.track == "packets" and gen.unit == "sequences"
    sample = gen.sample(25, seed=1)
    check_sample(sample, 25, gen.columns_, gen.dtypes_, PACKETS, who=cls.name, unit="sequences")
    assert sample.equals(gen.sample(25, seed=1))
    assert set(sample["service"]) <= {"TCP/443", "UDP/53"}
    assert (sample.groupby("flow_id")["iat"].first() == 0.0).all()
    # services keep their own vocabulary: no TCP flags in DNS flows
    assert (sample.loc[sample["service"] == "UDP/53", "flags"] == "-").all()
    assert SeqJSDSymbols()(real, sample, PACKETS).value < 0.3
    assert len(gen.sample(0, seed=1)) == 0


def test_tadam_learns_the_tcp_conversation():
    real = toy_packets()
    gen = TADAM(profile="quick").fit(real, PACKETS, seed=0)
    sample = gen.sample(30, seed=3)
    tcp = sample[sample["service"] == "TCP/443"]
    firsts = tcp.groupby("flow_id")["flags"].apply(lambda f: tuple(f.iloc[:3]))
    assert (firsts == ("S", "SA", "A")).mean() > 0.9
    assert int(tcp.groupby("flow_id").size().max()) <= int(real[real.service == "TCP/443"].groupby("flow_id").size().max())


def test_generators_registered():
    from secgen_bench.registry import generators

    assert generators.get("tadam") is TADAM and generators.get("markov-chain") is MarkovChain
    if HAS_HMM:
        assert generators.get("hmm") is HMM


def test_bad_direction_is_a_clear_error():
    from secgen_bench.schema import SchemaError

    bad = toy_packets(3, 0).assign(direction="sideways")
    with pytest.raises(SchemaError, match="direction"):
        MarkovChain().fit(bad, PACKETS, seed=0)


def miner_table(path, n_flows):
    """CESNET-MINER22 PPI (first 30 packets of each flow) as the FORMATS.md packets long table."""
    df = pd.read_csv(path, nrows=n_flows)
    bits = "FSRPAUEC"
    rows = []
    for k, r in df.iterrows():
        dirs = str(r["int8* PPI_PKT_DIRECTIONS"]).strip("[]").split("|")
        flags = str(r["uint8* PPI_PKT_FLAGS"]).strip("[]").split("|")
        sizes = str(r["uint16* PPI_PKT_LENGTHS"]).strip("[]").split("|")
        times = pd.to_datetime(str(r["time* PPI_PKT_TIMES"]).strip("[]").split("|"), format="ISO8601").to_numpy()
        tcp = int(r["uint8 PROTOCOL"]) == 6
        for i in range(len(dirs)):
            f = "".join(ch for b, ch in enumerate(bits) if int(flags[i]) >> b & 1) if tcp else "-"
            iat = 0.0 if i == 0 else max((times[i] - times[i - 1]) / np.timedelta64(1, "s"), 0.0)
            rows.append((f"m{k}", f"{'TCP' if tcp else 'UDP'}/{int(r['uint16 DST_PORT'])}",
                         "out" if dirs[i] == "1" else "in", f or "-", int(sizes[i]), float(iat), str(r["string LABEL"])))
    return PACKETS.validate(pd.DataFrame(rows, columns=PACKETS.names))


def test_real_cesnet_flows(shared_data):
    path = shared_data / "cesnet-miner22" / "miner22-sampled.csv"
    if not path.exists():
        pytest.skip("miner22-sampled.csv absent")
    real = miner_table(path, 150)
    for cls in (MarkovChain, TADAM):
        gen = cls(profile="quick").fit(real, PACKETS, seed=0)
        sample = gen.sample(40, seed=0)
        check_sample(sample, 40, gen.columns_, gen.dtypes_, PACKETS, who=cls.name, unit="sequences")
        assert SeqJSDSymbols()(real, sample, PACKETS).value < 0.35

"""packet-transformer: sequence contract, seeding, save/load, config errors, and that it learns the toy TCP talk."""
import numpy as np
import pytest

pytest.importorskip("torch")

from secgen_bench.config import ConfigError  # noqa: E402
from secgen_bench.generators.base import check_sample  # noqa: E402
from secgen_bench.generators.packet_transformer import PacketTransformer, _cached_step  # noqa: E402
from secgen_bench.metrics.packets import SeqJSDSymbols  # noqa: E402
from tests.test_packets_generators import PACKETS, toy_packets  # noqa: E402


@pytest.fixture(scope="module")
def real():
    return toy_packets()


@pytest.fixture(scope="module")
def fitted(real):
    return PacketTransformer(profile="quick").fit(real, PACKETS, seed=0)


def test_contract_and_seeding(fitted, real):
    assert fitted.track == "packets" and fitted.unit == "sequences"
    sample = fitted.sample(40, seed=1)
    check_sample(sample, 40, fitted.columns_, fitted.dtypes_, PACKETS, who="packet-transformer", unit="sequences")
    assert sample.equals(fitted.sample(40, seed=1))
    assert not sample.equals(fitted.sample(40, seed=2))
    assert set(sample["service"]) <= {"TCP/443", "UDP/53"}
    assert (sample.groupby("flow_id")["iat"].first() == 0.0).all()
    assert (sample["size"] >= 0).all() and (sample["iat"] >= 0).all()
    assert sample.groupby("flow_id").size().max() <= fitted.config.max_packets
    assert len(fitted.sample(0, seed=1)) == 0
    # bins give back training values (bin_values="training"); "uniform" draws inside the bins instead
    assert set(sample["size"]) <= set(real["size"])
    uniform = PacketTransformer(profile="quick", bin_values="uniform", train_steps=30).fit(real, PACKETS, seed=0)
    check_sample(uniform.sample(20, seed=0), 20, fitted.columns_, fitted.dtypes_, PACKETS, unit="sequences")


def test_same_seed_fits_the_same_model_and_another_seed_differs(real, fitted):
    again = PacketTransformer(profile="quick").fit(real, PACKETS, seed=0)
    assert again.loss_history_ == fitted.loss_history_
    assert again.sample(20, seed=5).equals(fitted.sample(20, seed=5))
    other = PacketTransformer(profile="quick", train_steps=20).fit(real, PACKETS, seed=1)
    ref = PacketTransformer(profile="quick", train_steps=20).fit(real, PACKETS, seed=0)
    assert other.loss_history_ != ref.loss_history_


def test_save_load_round_trip(fitted, tmp_path):
    path = tmp_path / "pt.pkl"
    fitted.save(path)
    loaded = PacketTransformer.load(path)
    assert loaded.sample(30, seed=7).equals(fitted.sample(30, seed=7))


def test_cached_sampling_matches_the_full_forward(fitted):
    import torch

    idx = torch.randint(2, fitted.vocab_size_, (3, 17), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        full = fitted.model_(idx)[:, -1]
        logits, cache = _cached_step(torch, fitted.model_, idx[:, :4], 0, None)
        for j in range(4, idx.shape[1]):
            logits, cache = _cached_step(torch, fitted.model_, idx[:, j:j + 1], j, cache)
    assert torch.allclose(full, logits, atol=1e-5)


@pytest.mark.parametrize("bad", [{"temperature": 0.0}, {"max_packets": 0}, {"d_model": 30, "n_head": 4},
                                 {"iat_unit": -1.0}, {"bin_values": "median"}, {"no_such_option": 1}])
def test_invalid_config_is_a_config_error(bad):
    with pytest.raises(ConfigError):
        PacketTransformer(**bad)


def test_learns_the_tcp_handshake_and_symbol_mix(fitted, real):
    sample = fitted.sample(200, seed=3)
    tcp = sample[sample["service"] == "TCP/443"]
    opening = (tcp["flags"] + tcp["direction"]).groupby(tcp["flow_id"]).agg(lambda t: tuple(t.iloc[:3]))
    assert (opening == ("Sout", "SAin", "Aout")).mean() >= 0.8
    assert (sample.loc[sample["service"] == "UDP/53", "flags"] == "-").all()
    jsd = SeqJSDSymbols()(real, sample, PACKETS).value
    # the bound means something: packets with symbols drawn uniformly from the real vocabulary fail it
    rng = np.random.default_rng(0)
    vocab = real[["flags", "direction"]].drop_duplicates().to_numpy()
    pick = vocab[rng.integers(0, len(vocab), len(real))]
    uniform = real.assign(flags=pick[:, 0], direction=pick[:, 1],
                          size=np.where(rng.random(len(real)) < 0.5, 0, real["size"].to_numpy()))
    assert SeqJSDSymbols()(real, uniform, PACKETS).value > 0.2
    assert jsd < 0.1


def test_long_flows_are_cut_at_max_packets(real):
    gen = PacketTransformer(profile="quick", max_packets=4, train_steps=30).fit(real, PACKETS, seed=0)
    sample = gen.sample(30, seed=0)
    check_sample(sample, 30, gen.columns_, gen.dtypes_, PACKETS, who="packet-transformer", unit="sequences")
    assert sample.groupby("flow_id").size().max() <= 4


def test_registered():
    from secgen_bench.builtins import GENERATORS

    assert GENERATORS["packet-transformer"] == "secgen_bench.generators.packet_transformer:PacketTransformer"

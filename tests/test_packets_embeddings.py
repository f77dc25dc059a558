"""seq-density / seq-coverage: identity, flow-order invariance, mode collapse penalised, too few flows an error."""
import numpy as np
import pytest

pytest.importorskip("torch")

from secgen_bench.metrics.base import Direction  # noqa: E402
from secgen_bench.metrics.packet_embeddings import SeqCoverage, SeqDensity, SequenceEmbedding  # noqa: E402
from tests.test_packets_generators import PACKETS, toy_packets  # noqa: E402


def shuffled_flows(table, seed):
    """The same flows in another order (packets keep their order inside each flow), with fresh ids."""
    ids = table["flow_id"].unique()
    order = np.random.default_rng(seed).permutation(len(ids))
    rank = {fid: i for i, fid in enumerate(ids[order])}
    out = table.assign(_r=table["flow_id"].map(rank)).sort_values("_r", kind="stable").drop(columns="_r")
    out["flow_id"] = "x" + out["flow_id"]
    return out.reset_index(drop=True)


def test_real_against_itself_covers_fully():
    real = toy_packets(60, 20, seed=0)
    assert SeqCoverage()(real, real, PACKETS).value == 1.0
    # no duplicate flows and no distance ties: each real ball holds exactly its k nearest neighbours
    assert SeqDensity()(real, real, PACKETS).value == pytest.approx(1.0, abs=0.05)


def test_flow_order_and_ids_do_not_matter():
    real, synth = toy_packets(50, 20, seed=1), toy_packets(40, 25, seed=2)
    for metric in (SeqDensity(), SeqCoverage()):
        a = metric(real, synth, PACKETS).value
        b = metric(shuffled_flows(real, 3), shuffled_flows(synth, 4), PACKETS).value
        assert a == b


def test_one_kind_of_flow_covers_less_than_real_holdout():
    real, holdout = toy_packets(60, 30, seed=5), toy_packets(60, 30, seed=6)
    tcp_only = toy_packets(90, 0, seed=7)             # mode collapse: never a DNS flow
    cov, dens = SeqCoverage(), SeqDensity()
    good, collapsed = cov(real, holdout, PACKETS).value, cov(real, tcp_only, PACKETS).value
    assert collapsed < good - 0.2
    assert good > 0.5
    assert dens(real, holdout, PACKETS).value > 0.5
    assert SeqCoverage.direction == SeqDensity.direction == Direction.HIGHER


def test_embedding_is_fixed_by_the_real_flows():
    real = toy_packets(20, 10, seed=0)
    emb = SequenceEmbedding().fit(real, PACKETS)
    x = emb.transform(real, PACKETS)
    assert x.shape[0] == 30 and np.isfinite(x).all()
    assert np.allclose(x.mean(axis=0), 0.0, atol=1e-9)
    # a symbol real flows never show lands in the "other" share instead of failing
    odd = real.assign(flags=np.where(real["flags"] == "S", "SEC", real["flags"]))
    assert np.isfinite(emb.transform(odd, PACKETS)).all()


def test_too_few_flows_is_a_clear_error():
    tiny = toy_packets(3, 2, seed=0)
    with pytest.raises(ValueError, match="more than k=5 real flows"):
        SeqDensity()(tiny, toy_packets(10, 5, seed=1), PACKETS)


def test_registered_on_the_packets_track():
    from secgen_bench.builtins import METRICS

    assert METRICS["seq-density"].endswith(":SeqDensity") and METRICS["seq-coverage"].endswith(":SeqCoverage")
    assert SeqDensity.track == SeqCoverage.track == "packets" and SeqDensity.protocol == "full"

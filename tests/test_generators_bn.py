"""The pgmpy adapter, the BN discretiser, and the IndependentBN / SequenceBN generators."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from secgen_bench.config import ConfigError
from secgen_bench.datasets.schemas import CIDDS_BI
from secgen_bench.generators.base import check_sample
from secgen_bench.generators.common.bayesnet import learn_bayesnet
from secgen_bench.generators.common.discretize import CategoryCodec, ContinuousBinner, FlowCodec, TimestampCodec
from secgen_bench.generators.independent_bn import IndependentBN
from secgen_bench.generators.sequence_bn import SequenceBN
from secgen_bench.schema import Column, FlowSchema, Role
from tests.conftest import shared_specs_dir

TINY_SCHEMA = FlowSchema("tiny", (
    Column("ts", Role.TIMESTAMP), Column("proto", Role.PROTOCOL), Column("src", Role.IP),
    Column("dst", Role.IP), Column("dport", Role.PORT), Column("bytes", Role.BYTES, "out"),
    Column("packets", Role.PACKETS, "out"), Column("dur", Role.DURATION), Column("flags", Role.FLAGS),
))


def tiny_table(n: int = 400, seed: int = 0) -> pd.DataFrame:
    """Flows where the port follows the protocol and bytes follow packets (dependences a BN can find)."""
    rng = np.random.default_rng(seed)
    proto = rng.choice(["TCP", "UDP"], n, p=[0.7, 0.3])
    dport = np.where(proto == "UDP", 53, rng.choice([80, 443, 22], n))
    packets = np.where(rng.random(n) < 0.3, 0, rng.integers(1, 60, n))
    table = pd.DataFrame({
        "ts": pd.Timestamp("2024-03-04") + pd.to_timedelta(np.sort(rng.uniform(0, 3 * 86400, n)), unit="s"),
        "proto": proto,
        "src": rng.choice([f"10.0.0.{i}" for i in range(6)], n),
        "dst": np.where(rng.random(n) < 0.8, rng.choice(["8.8.8.8", "1.1.1.1", "9.9.9.9"], n),
                        [f"172.16.{i}.1" for i in rng.integers(0, 150, n)]),
        "dport": dport,
        "bytes": packets * rng.integers(40, 1500, n),
        "packets": packets,
        "dur": np.where(packets == 0, 0.0, rng.exponential(2.0, n)),
        "flags": np.where(proto == "TCP", rng.choice([".AP.SF", ".A....", "....S."], n), "......"),
    })
    return TINY_SCHEMA.validate(table)


@pytest.fixture(scope="module")
def tiny():
    return tiny_table()


@pytest.fixture(scope="module")
def real():
    specs = shared_specs_dir()
    if specs is None:
        pytest.skip("../shared/specs absent")
    return CIDDS_BI.validate(pd.read_csv(specs / "metric-fixtures" / "real_2000.csv"))


# ---- the pgmpy adapter ------------------------------------------------------------
def _chain(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 4, n)
    b = (a + (rng.random(n) < 0.1)) % 4
    c = rng.integers(0, 3, n)
    return pd.DataFrame({"a": a, "b": b, "c": c})


def test_bayesnet_finds_dependence_and_samples_it():
    codes = _chain()
    bn = learn_bayesnet(codes)
    assert {frozenset(e) for e in bn.edges} == {frozenset(("a", "b"))}
    s = bn.sample(4000, seed=1)
    assert list(s.columns) == ["a", "b", "c"] and (s.dtypes == "int64").all()
    assert ((s.b - s.a) % 4 == 0).mean() > 0.85          # the dependence survives sampling
    assert np.isfinite(bn.log_likelihood(codes)) and bn.bic(codes) < bn.log_likelihood(codes)
    pd.testing.assert_frame_equal(s, bn.sample(4000, seed=1))
    assert not s.equals(bn.sample(4000, seed=2))


def test_bayesnet_parameters_equal_pgmpy_bdeu():
    from pgmpy.models import DiscreteBayesianNetwork
    from pgmpy.parameter_estimator import DiscreteBayesianEstimator

    codes = _chain(800)
    bn = learn_bayesnet(codes, equivalent_sample_size=7.0)
    model = DiscreteBayesianNetwork(bn.edges)
    model.add_nodes_from(bn.columns)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(codes.apply(pd.Categorical), estimator=DiscreteBayesianEstimator(prior_type="BDeu",
                                                                                  equivalent_sample_size=7.0))
    for cpd in model.get_cpds():
        v = cpd.variable
        assert list(cpd.variables[1:]) == list(bn.parents[v])
        np.testing.assert_allclose(cpd.get_values().T, bn.cpts[v], atol=1e-12)


def test_bayesnet_structure_does_not_depend_on_names():
    """Score ties (a->b vs b->a) must break by column position, not by string hashes or names."""
    codes = _chain(1500, seed=3)
    renamed = codes.rename(columns={"a": "zz", "b": "yy", "c": "xx"})
    back = {"zz": "a", "yy": "b", "xx": "c"}
    edges = learn_bayesnet(codes).edges
    assert [(back[p], back[v]) for p, v in learn_bayesnet(renamed).edges] == edges


def test_bayesnet_fixed_edges_and_bad_input():
    codes = _chain(500)
    bn = learn_bayesnet(codes, edges=[("c", "a")])
    assert bn.edges == [("c", "a")] and bn.order.index("c") < bn.order.index("a")
    with pytest.raises(ValueError, match="negative"):
        learn_bayesnet(codes - 1)
    with pytest.raises(ValueError, match="scoring"):
        learn_bayesnet(codes, scoring="nope")
    with pytest.raises(ValueError, match="cycle"):
        learn_bayesnet(codes, edges=[("a", "b"), ("b", "a")])
    with pytest.raises(ValueError, match="integer codes"):
        learn_bayesnet(codes.astype(float))


# ---- discretisation -----------------------------------------------------------------
def test_binner_zero_bin_tail_and_ranges():
    rng = np.random.default_rng(0)
    v = np.concatenate([np.zeros(300), rng.lognormal(5, 2, 700)])
    b = ContinuousBinner(n_components=10).fit(v, seed=0)
    codes = b.encode(v)
    assert codes.min() == 0 and codes.max() == b.n_bins_ - 1
    assert (codes[:300] == 0).all() and (codes[300:] != 0).all()
    out = b.decode(codes, np.random.default_rng(1))
    assert (out[:300] == 0).all()
    assert out.min() >= 0 and out.max() <= v.max()
    tail = codes == b.n_bins_ - 1
    assert tail.sum() == (v > np.quantile(v, 0.9)).sum()
    assert (out[tail] >= np.quantile(v, 0.9)).all()
    small = ContinuousBinner(n_components=10).fit(np.array([1.0, 2.0, 2.0, 5.0]))
    assert small.mode_ == "exact" and list(small.decode(small.encode([5.0, 1.0]), 0)) == [5.0, 1.0]
    with pytest.raises(ValueError, match="binning"):
        ContinuousBinner(binning="kmeans")


def test_timestamp_codec_keeps_weekday_and_range(tiny):
    codec = TimestampCodec(12).fit(tiny["ts"])
    wd, tod = codec.encode(tiny["ts"])
    out = pd.Series(codec.decode(wd, tod, np.random.default_rng(0)))
    assert out.min() >= tiny["ts"].min() and out.max() <= tiny["ts"].max()
    assert (out.dt.weekday.to_numpy() == tiny["ts"].dt.weekday.to_numpy()).mean() > 0.98


def test_category_codec_other_bucket():
    values = np.array(["a"] * 50 + ["b"] * 30 + ["r1", "r2", "r3"], dtype=object)
    codec = CategoryCodec(max_categories=5, min_count=2).fit(values)
    assert codec.cardinality == 3 and codec.has_other
    decoded = codec.decode(np.full(300, 2), np.random.default_rng(0))
    assert set(decoded) == {"r1", "r2", "r3"}
    assert list(codec.decode(codec.encode(["a", "b"]), 0)) == ["a", "b"]


def test_flow_codec_round_trip_types(tiny):
    codec = FlowCodec(n_components=70).fit(tiny, TINY_SCHEMA, seed=0)
    codes = codec.encode(tiny)
    assert list(codes.columns) == codec.code_columns
    for c, k in codec.cardinalities.items():
        assert 0 <= codes[c].min() and codes[c].max() < k
    out = codec.decode(codes, seed=0)
    assert out.dtypes.astype(str).to_dict() == TINY_SCHEMA.dtypes
    pd.testing.assert_series_equal(out["proto"], tiny["proto"])       # low-cardinality: exact
    assert (out["packets"] == tiny["packets"]).all()                   # <= n_components distinct values: exact


# ---- the generators -----------------------------------------------------------------
GENERATORS = [IndependentBN, SequenceBN]


def _check_ranges(sample: pd.DataFrame, train: pd.DataFrame, schema: FlowSchema) -> None:
    for c in schema.by_role(Role.BYTES, Role.PACKETS, Role.COUNT, Role.DURATION):
        assert (sample[c] >= 0).all(), c
    for c in schema.by_role(Role.PORT):
        assert sample[c].between(0, 65535).all()
    ts = schema.timestamp
    assert sample[ts].min() >= train[ts].min() and sample[ts].max() <= train[ts].max()
    assert sample[ts].is_monotonic_increasing
    for c in schema.discrete:
        assert set(sample[c]) <= set(train[c]), c


@pytest.mark.parametrize("cls", GENERATORS)
def test_tiny_fit_sample_contract(cls, tiny, tmp_path):
    gen = cls(profile="quick").fit(tiny, TINY_SCHEMA, seed=0)
    s = gen.sample(237, seed=3)
    check_sample(s, 237, gen.columns_, gen.dtypes_, TINY_SCHEMA, who=cls.name)
    _check_ranges(s, tiny, TINY_SCHEMA)
    pd.testing.assert_frame_equal(s, gen.sample(237, seed=3))
    assert not s.equals(gen.sample(237, seed=4))
    assert len(gen.sample(0, seed=0)) == 0
    # the network learnt that the port depends on the protocol: UDP flows go to 53
    udp = s[s["proto"] == "UDP"]
    assert len(udp) and (udp["dport"] == 53).mean() > 0.8
    path = tmp_path / "model.pkl"
    gen.save(path)
    pd.testing.assert_frame_equal(cls.load(path).sample(100, seed=9), gen.sample(100, seed=9))


@pytest.mark.parametrize("cls", GENERATORS)
def test_same_seed_same_fit(cls, tiny):
    a = cls(profile="quick").fit(tiny, TINY_SCHEMA, seed=5).sample(120, seed=1)
    b = cls(profile="quick").fit(tiny, TINY_SCHEMA, seed=5).sample(120, seed=1)
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize("cls", GENERATORS)
def test_real_cidds_fit_sample(cls, real):
    gen = cls(profile="quick").fit(real, CIDDS_BI, seed=0)
    s = gen.sample(1000, seed=0)
    check_sample(s, 1000, gen.columns_, gen.dtypes_, CIDDS_BI, who=cls.name)
    _check_ranges(s, real, CIDDS_BI)
    # marginals of a well-populated column stay close to the training ones
    top = real["Proto"].value_counts(normalize=True)
    got = s["Proto"].value_counts(normalize=True).reindex(top.index, fill_value=0)
    assert (top - got).abs().max() < 0.1


def test_sequence_bn_windows_keep_time_order(tiny):
    gen = SequenceBN(profile="quick", window=4).fit(tiny, TINY_SCHEMA, seed=0)
    assert any(v.startswith("iat@") for v in gen.bn_.columns)
    assert sum(v.startswith("ts.") for v in gen.bn_.columns) == 2   # weekday + time of day of flow 1 only
    s = gen.sample(10, seed=0)
    assert len(s) == 10
    with pytest.raises(ValueError, match="window"):
        SequenceBN(profile="quick", window=4).fit(tiny.iloc[:3], TINY_SCHEMA)


@pytest.mark.parametrize("cls", GENERATORS)
def test_invalid_config(cls):
    with pytest.raises(ConfigError, match="max_indegree"):
        cls(max_indegree=-1)
    with pytest.raises(ConfigError, match="unknown option"):
        cls(profile="quick", no_such_option=1)
    with pytest.raises(ConfigError, match="tail_quantile"):
        cls(tail_quantile=1.5)
    with pytest.raises(ConfigError, match="profile"):
        cls(profile="huge")


def test_sequence_bn_invalid_window():
    with pytest.raises(ConfigError, match="window"):
        SequenceBN(window=0)


def test_paper_profile_is_the_artefact_setting():
    cfg = IndependentBN(profile="paper").config
    assert cfg.max_indegree == 3 and cfg.scoring == "bic-d" and cfg.n_components == 40 and cfg.tail_quantile == 0.9
    assert SequenceBN(profile="paper").config.window == 5

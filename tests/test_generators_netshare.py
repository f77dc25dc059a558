"""NetShare generator: contract, ranges, determinism, persistence, bad options."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("torch")

from secgen_bench.config import ConfigError  # noqa: E402
from secgen_bench.datasets.schemas import CIDDS_BI  # noqa: E402
from secgen_bench.generators.base import check_sample  # noqa: E402
from secgen_bench.generators.netshare import NetShare  # noqa: E402
from secgen_bench.schema import Column, FlowSchema, Role  # noqa: E402
from tests.generator_fixtures import real_2000, tiny_table  # noqa: E402

TINY = {"ip2vec_epochs": 1, "meta_hidden": 16, "rnn_hidden": 16, "d_hidden": 32, "epochs": 3, "batch_size": 16, "max_len": 4}





@pytest.fixture(scope="module")
def real_fit():
    table = real_2000()
    return table, NetShare(profile="quick").fit(table, CIDDS_BI, seed=0)


def test_quick_profile_on_real_table_keeps_the_contract(real_fit):
    table, gen = real_fit
    sample = gen.sample(700, seed=1)
    check_sample(sample, 700, gen.columns_, gen.dtypes_, CIDDS_BI)
    CIDDS_BI.validate(sample)  # value ranges: non-negative counts, ports in range
    ts = sample["Date first seen"]
    assert ts.is_monotonic_increasing
    assert ts.min() >= table["Date first seen"].min().normalize()
    assert ts.max() <= table["Date first seen"].max().normalize() + pd.Timedelta(days=1)
    for col in ("Proto", "Src IP Addr", "Dst IP Addr", "Dst Pt", "Flags"):
        assert set(sample[col]) <= set(table[col]), col
    for col in ("In Byte", "Out Byte", "In Packet", "Out Packet", "Duration"):
        assert sample[col].max() <= table[col].max() and sample[col].min() >= table[col].min()
    assert sample["Dst IP Addr"].nunique() > 1 and sample["Out Byte"].nunique() > 10
    assert np.isfinite(gen.loss_history_).all()


def test_same_seed_same_sample_and_different_seed_differs(real_fit):
    _, gen = real_fit
    a, b, c = gen.sample(300, seed=5), gen.sample(300, seed=5), gen.sample(300, seed=6)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def test_fit_is_deterministic_and_tiny_table_works():
    table, schema = tiny_table()
    one = NetShare(profile="quick", **TINY).fit(table, schema, seed=3).sample(50, seed=0)
    two = NetShare(profile="quick", **TINY).fit(table, schema, seed=3).sample(50, seed=0)
    check_sample(one, 50, list(table.columns), {c: str(t) for c, t in table.dtypes.items()}, schema)
    schema.validate(one)
    pd.testing.assert_frame_equal(one, two)
    other = NetShare(profile="quick", **TINY).fit(table, schema, seed=4).sample(50, seed=0)
    assert not one.equals(other)


def test_ipv4_columns_use_bits_and_decode_to_addresses():
    import ipaddress

    table, schema = tiny_table()
    gen = NetShare(profile="quick", **TINY).fit(table, schema, seed=0)
    assert gen.bit_ips_ == ["src", "dst"] and gen.embedded_ == ["port", "proto"]
    sample = gen.sample(60, seed=1)
    for value in pd.concat([sample["src"], sample["dst"]]):
        ipaddress.IPv4Address(value)


def test_series_follow_keys_and_encode_lengths():
    table, schema = tiny_table()
    gen = NetShare(profile="quick", **TINY).fit(table, schema, seed=0)
    meta, steps = gen._series(table.sort_values("ts", kind="stable").reset_index(drop=True))
    groups = table.groupby(["src", "dst", "port", "proto"]).size()
    expected = int(np.ceil(groups / gen.config.max_len).sum())
    assert len(meta) == expected == gen.n_series_
    assert steps[..., -1].sum() == expected          # one "end" flag per series
    assert steps[..., -2].sum() + expected == len(table)  # "continue" on every other flow


def test_no_timestamp_schema_and_empty_sample():
    table, schema = tiny_table()
    plain = schema.select([c for c in schema.names if c != "ts"], name="tiny-untimed")
    gen = NetShare(profile="quick", **TINY).fit(table.drop(columns="ts"), plain, seed=0)
    check_sample(gen.sample(9, seed=0), 9, gen.columns_, gen.dtypes_, plain)
    assert len(gen.sample(0, seed=0)) == 0


def test_table_without_key_columns_is_rejected():
    schema = FlowSchema("keyless", (Column("bytes", Role.BYTES), Column("dur", Role.DURATION)))
    table = schema.validate(pd.DataFrame({"bytes": [1, 2, 3], "dur": [0.1, 0.2, 0.3]}))
    with pytest.raises(ValueError, match="no IP, port or protocol"):
        NetShare(profile="quick", **TINY).fit(table, schema, seed=0)


def test_save_load_round_trip(tmp_path):
    table, schema = tiny_table()
    gen = NetShare(profile="quick", **TINY).fit(table, schema, seed=0)
    path = tmp_path / "model.pkl"
    gen.save(path)
    again = NetShare.load(path)
    pd.testing.assert_frame_equal(gen.sample(40, seed=2), again.sample(40, seed=2))


@pytest.mark.parametrize("bad", [{"max_len": 0}, {"gp_lambda": -1.0}, {"lr": 0.0}, {"epochs": 0}, {"no_such_option": 1}])
def test_invalid_config_is_rejected(bad):
    with pytest.raises(ConfigError):
        NetShare(profile="quick", **bad)

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
from tests.generator_fixtures import (assert_save_load_round_trip, assert_seeded_sampling,  # noqa: E402
                                     assert_untimed_fit_and_empty_sample, assert_values_seen_in_training,
                                     real_2000, tiny_fit_is_deterministic, TORCH_TINY_ROWS)
from tests.tiny_tables import TINY_SCHEMA, tiny_flows  # noqa: E402

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
    assert_values_seen_in_training(sample, table)
    assert sample["Dst IP Addr"].nunique() > 1 and sample["Out Byte"].nunique() > 10
    assert np.isfinite(gen.loss_history_).all()


def test_same_seed_same_sample_and_different_seed_differs(real_fit):
    assert_seeded_sampling(real_fit[1])


def test_fit_is_deterministic_and_tiny_table_works():
    one, schema = tiny_fit_is_deterministic(NetShare, TINY)
    schema.validate(one)


def test_ipv4_columns_use_bits_and_decode_to_addresses():
    import ipaddress

    table, schema = tiny_flows(TORCH_TINY_ROWS), TINY_SCHEMA
    gen = NetShare(profile="quick", **TINY).fit(table, schema, seed=0)
    assert gen.bit_ips_ == ["src", "dst"] and gen.embedded_ == ["proto", "dport"]
    sample = gen.sample(60, seed=1)
    for value in pd.concat([sample["src"], sample["dst"]]):
        ipaddress.IPv4Address(value)


def test_series_follow_keys_and_encode_lengths():
    table, schema = tiny_flows(TORCH_TINY_ROWS), TINY_SCHEMA
    gen = NetShare(profile="quick", **TINY).fit(table, schema, seed=0)
    meta, steps = gen._series(table.sort_values("ts", kind="stable").reset_index(drop=True))
    groups = table.groupby(["src", "dst", "dport", "proto"]).size()
    expected = int(np.ceil(groups / gen.config.max_len).sum())
    assert len(meta) == expected == gen.n_series_
    assert steps[..., -1].sum() == expected          # one "end" flag per series
    assert steps[..., -2].sum() + expected == len(table)  # "continue" on every other flow


def test_no_timestamp_schema_and_empty_sample():
    assert_untimed_fit_and_empty_sample(NetShare, TINY)


def test_table_without_key_columns_is_rejected():
    schema = FlowSchema("keyless", (Column("bytes", Role.BYTES), Column("dur", Role.DURATION)))
    table = schema.validate(pd.DataFrame({"bytes": [1, 2, 3], "dur": [0.1, 0.2, 0.3]}))
    with pytest.raises(ValueError, match="no IP, port or protocol"):
        NetShare(profile="quick", **TINY).fit(table, schema, seed=0)


def test_save_load_round_trip(tmp_path):
    assert_save_load_round_trip(NetShare, TINY, tmp_path / "model.pkl")


@pytest.mark.parametrize("bad", [{"max_len": 0}, {"gp_lambda": -1.0}, {"lr": 0.0}, {"epochs": 0}, {"no_such_option": 1}])
def test_invalid_config_is_rejected(bad):
    with pytest.raises(ConfigError):
        NetShare(profile="quick", **bad)

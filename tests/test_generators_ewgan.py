"""EWGANGP generator: contract, ranges, determinism, persistence, bad options."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("torch")

from secgen_bench.config import ConfigError  # noqa: E402
from secgen_bench.datasets.schemas import CIDDS_BI  # noqa: E402
from secgen_bench.generators.base import check_sample  # noqa: E402
from secgen_bench.generators.ewgan_gp import EWGANGP  # noqa: E402
from tests.generator_fixtures import real_2000, tiny_table  # noqa: E402

TINY = {"ip2vec_epochs": 1, "hidden": 32, "layers": 2, "iterations": 20, "batch_size": 16}





@pytest.fixture(scope="module")
def real_fit():
    table = real_2000()
    return table, EWGANGP(profile="quick").fit(table, CIDDS_BI, seed=0)


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
    assert np.isfinite(gen.loss_history_).all() and len(gen.loss_history_) == gen.config.iterations


def test_same_seed_same_sample_and_different_seed_differs(real_fit):
    _, gen = real_fit
    a, b, c = gen.sample(300, seed=5), gen.sample(300, seed=5), gen.sample(300, seed=6)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def test_fit_is_deterministic_and_tiny_table_works():
    table, schema = tiny_table()
    one = EWGANGP(profile="quick", **TINY).fit(table, schema, seed=3).sample(50, seed=0)
    two = EWGANGP(profile="quick", **TINY).fit(table, schema, seed=3).sample(50, seed=0)
    check_sample(one, 50, list(table.columns), {c: str(t) for c, t in table.dtypes.items()}, schema)
    schema.validate(one)
    pd.testing.assert_frame_equal(one, two)
    other = EWGANGP(profile="quick", **TINY).fit(table, schema, seed=4).sample(50, seed=0)
    assert not one.equals(other)


def test_no_timestamp_schema_and_empty_sample():
    table, schema = tiny_table()
    plain = schema.select([c for c in schema.names if c != "ts"], name="tiny-untimed")
    gen = EWGANGP(profile="quick", **TINY).fit(table.drop(columns="ts"), plain, seed=0)
    check_sample(gen.sample(9, seed=0), 9, gen.columns_, gen.dtypes_, plain)
    assert len(gen.sample(0, seed=0)) == 0


def test_weekday_and_time_of_day_decode_to_training_days(real_fit):
    table, gen = real_fit
    days = set(table["Date first seen"].dt.normalize())
    assert set(gen.sample(200, seed=3)["Date first seen"].dt.normalize()) <= days


def test_save_load_round_trip(tmp_path):
    table, schema = tiny_table()
    gen = EWGANGP(profile="quick", **TINY).fit(table, schema, seed=0)
    path = tmp_path / "model.pkl"
    gen.save(path)
    again = EWGANGP.load(path)
    pd.testing.assert_frame_equal(gen.sample(40, seed=2), again.sample(40, seed=2))


@pytest.mark.parametrize("bad", [{"n_critic": 0}, {"gp_lambda": -1.0}, {"lr_critic": 0.0}, {"embed_dim": 0}, {"no_such_option": 1}])
def test_invalid_config_is_rejected(bad):
    with pytest.raises(ConfigError):
        EWGANGP(profile="quick", **bad)

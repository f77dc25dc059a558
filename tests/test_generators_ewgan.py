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
from tests.generator_fixtures import (assert_save_load_round_trip, assert_seeded_sampling,  # noqa: E402
                                     assert_untimed_fit_and_empty_sample, assert_values_seen_in_training,
                                     real_2000, tiny_fit_is_deterministic)

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
    assert_values_seen_in_training(sample, table)
    assert sample["Dst IP Addr"].nunique() > 1 and sample["Out Byte"].nunique() > 10
    assert np.isfinite(gen.loss_history_).all() and len(gen.loss_history_) == gen.config.iterations


def test_same_seed_same_sample_and_different_seed_differs(real_fit):
    assert_seeded_sampling(real_fit[1])


def test_fit_is_deterministic_and_tiny_table_works():
    one, schema = tiny_fit_is_deterministic(EWGANGP, TINY)
    schema.validate(one)


def test_no_timestamp_schema_and_empty_sample():
    assert_untimed_fit_and_empty_sample(EWGANGP, TINY)


def test_weekday_and_time_of_day_decode_to_training_days(real_fit):
    table, gen = real_fit
    days = set(table["Date first seen"].dt.normalize())
    assert set(gen.sample(200, seed=3)["Date first seen"].dt.normalize()) <= days


def test_save_load_round_trip(tmp_path):
    assert_save_load_round_trip(EWGANGP, TINY, tmp_path / "model.pkl")


@pytest.mark.parametrize("bad", [{"n_critic": 0}, {"gp_lambda": -1.0}, {"lr_critic": 0.0}, {"embed_dim": 0}, {"no_such_option": 1}])
def test_invalid_config_is_rejected(bad):
    with pytest.raises(ConfigError):
        EWGANGP(profile="quick", **bad)

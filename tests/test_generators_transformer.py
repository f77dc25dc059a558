"""Transformer generator: contract, ranges, determinism, honest training, persistence, bad options."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")

from secgen_bench.config import ConfigError  # noqa: E402
from secgen_bench.datasets.schemas import CIDDS_BI  # noqa: E402
from secgen_bench.generators.base import check_sample  # noqa: E402
from secgen_bench.generators.transformer import Transformer  # noqa: E402
from tests.generator_fixtures import (assert_save_load_round_trip, assert_seeded_sampling,  # noqa: E402
                                     assert_untimed_fit_and_empty_sample, assert_values_seen_in_training,
                                     real_2000, tiny_fit_is_deterministic)

TINY = {"n_layer": 1, "d_model": 32, "n_head": 2, "train_steps": 30, "context_flows": 3, "batch_size": 8}


@pytest.fixture(scope="module")
def real_fit():
    table = real_2000()
    return table, Transformer(profile="quick").fit(table, CIDDS_BI, seed=0)


def test_quick_profile_on_real_table_keeps_the_contract(real_fit):
    table, gen = real_fit
    sample = gen.sample(700, seed=1)
    check_sample(sample, 700, gen.columns_, gen.dtypes_, CIDDS_BI)
    CIDDS_BI.validate(sample)  # value ranges: non-negative counts, ports in range
    ts = sample["Date first seen"]
    assert ts.is_monotonic_increasing
    assert ts.min() >= table["Date first seen"].min() and ts.max() <= table["Date first seen"].max()
    assert_values_seen_in_training(sample, table, continuous=("In Byte", "Out Byte", "Duration"))
    assert sample["Dst IP Addr"].nunique() > 20  # sampled with temperature, not greedy


def test_training_beats_the_unigram_baseline(real_fit):
    table, gen = real_fit
    losses = gen.evaluate_loss(table)
    assert losses["model"] < losses["unigram"] - 0.2
    assert np.mean(gen.loss_history_[-20:]) < np.mean(gen.loss_history_[:20])


def test_same_seed_same_sample_and_different_seed_differs(real_fit):
    assert_seeded_sampling(real_fit[1])


def test_fit_is_deterministic_and_tiny_table_works():
    tiny_fit_is_deterministic(Transformer, TINY)


def test_top_k_and_temperature_and_no_timestamp():
    assert_untimed_fit_and_empty_sample(Transformer, {"temperature": 0.7, "top_k": 3, **TINY}, n=7)


def test_save_load_round_trip(tmp_path):
    assert_save_load_round_trip(Transformer, TINY, tmp_path / "transformer.pkl")


@pytest.mark.parametrize("bad", [{"temperature": 0.0}, {"d_model": 30, "n_head": 4}, {"train_steps": 0},
                                 {"top_k": -1}, {"dropout": 1.5}, {"no_such_option": 1}])
def test_invalid_config_is_rejected(bad):
    with pytest.raises(ConfigError):
        Transformer(profile="quick", **bad)


def test_unknown_profile_is_rejected():
    with pytest.raises(ConfigError):
        Transformer(profile="huge")

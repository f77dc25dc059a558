"""Transformer generator: contract, ranges, determinism, honest training, persistence, bad options."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("torch")

from secgen_bench.config import ConfigError  # noqa: E402
from secgen_bench.datasets.schemas import CIDDS_BI  # noqa: E402
from secgen_bench.generators.base import check_sample  # noqa: E402
from secgen_bench.generators.transformer import Transformer  # noqa: E402
from tests.generator_fixtures import real_2000, tiny_table  # noqa: E402

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
    for col in ("Proto", "Src IP Addr", "Dst IP Addr", "Dst Pt", "Flags"):
        assert set(sample[col]) <= set(table[col]), col
    for col in ("In Byte", "Out Byte", "Duration"):
        assert sample[col].max() <= table[col].max() and sample[col].min() >= table[col].min()
    assert sample["Dst IP Addr"].nunique() > 20  # sampled with temperature, not greedy


def test_training_beats_the_unigram_baseline(real_fit):
    table, gen = real_fit
    losses = gen.evaluate_loss(table)
    assert losses["model"] < losses["unigram"] - 0.2
    assert np.mean(gen.loss_history_[-20:]) < np.mean(gen.loss_history_[:20])


def test_same_seed_same_sample_and_different_seed_differs(real_fit):
    _, gen = real_fit
    a, b, c = gen.sample(300, seed=5), gen.sample(300, seed=5), gen.sample(300, seed=6)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def test_fit_is_deterministic_and_tiny_table_works():
    table, schema = tiny_table()
    one = Transformer(profile="quick", **TINY).fit(table, schema, seed=3).sample(50, seed=0)
    two = Transformer(profile="quick", **TINY).fit(table, schema, seed=3).sample(50, seed=0)
    check_sample(one, 50, list(table.columns), {c: str(t) for c, t in table.dtypes.items()}, schema)
    pd.testing.assert_frame_equal(one, two)
    other = Transformer(profile="quick", **TINY).fit(table, schema, seed=4).sample(50, seed=0)
    assert not one.equals(other)


def test_top_k_and_temperature_and_no_timestamp():
    table, schema = tiny_table()
    plain = schema.select([c for c in schema.names if c != "ts"], name="tiny-untimed")
    gen = Transformer(profile="quick", temperature=0.7, top_k=3, **TINY).fit(table.drop(columns="ts"), plain, seed=0)
    sample = gen.sample(7, seed=0)
    check_sample(sample, 7, gen.columns_, gen.dtypes_, plain)
    assert len(gen.sample(0, seed=0)) == 0


def test_save_load_round_trip(tmp_path):
    table, schema = tiny_table()
    gen = Transformer(profile="quick", **TINY).fit(table, schema, seed=0)
    path = tmp_path / "transformer.pkl"
    gen.save(path)
    again = Transformer.load(path)
    pd.testing.assert_frame_equal(gen.sample(40, seed=2), again.sample(40, seed=2))


@pytest.mark.parametrize("bad", [{"temperature": 0.0}, {"d_model": 30, "n_head": 4}, {"train_steps": 0},
                                 {"top_k": -1}, {"dropout": 1.5}, {"no_such_option": 1}])
def test_invalid_config_is_rejected(bad):
    with pytest.raises(ConfigError):
        Transformer(profile="quick", **bad)


def test_unknown_profile_is_rejected():
    with pytest.raises(ConfigError):
        Transformer(profile="huge")

"""SMOTE: neighbours, interpolation on the segment, privacy metrics catch it, determinism, persistence."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from secgen_bench.config import ConfigError
from secgen_bench.generators.base import check_sample
from secgen_bench.generators.independent_bn import IndependentBN
from secgen_bench.generators.smote import SMOTE, nearest_neighbours
from secgen_bench.metrics.privacy import DCR, Authenticity
from tests.generator_fixtures import assert_save_load_round_trip, assert_untimed_fit_and_empty_sample
from tests.tiny_tables import TINY_SCHEMA, tiny_flows


def test_nearest_neighbours_match_brute_force_with_the_categorical_penalty():
    rng = np.random.default_rng(0)
    numeric = rng.normal(size=(40, 3))
    codes = rng.integers(0, 3, size=(40, 2))
    got = nearest_neighbours(numeric, codes, 0.7, 4)
    for i in range(40):
        d = ((numeric - numeric[i]) ** 2).sum(1) + 0.7 * (codes != codes[i]).sum(1)
        d[i] = np.inf
        np.testing.assert_array_equal(got[i], np.lexsort((np.arange(40), d))[:4])


def test_ties_are_broken_by_row_order_and_small_tables_get_fewer_neighbours():
    numeric = np.zeros((4, 1))
    codes = np.zeros((4, 0), dtype=np.int64)
    want = [[1, 2, 3], [0, 2, 3], [0, 1, 3], [0, 1, 2]]
    np.testing.assert_array_equal(nearest_neighbours(numeric, codes, 1.0, 5), want)
    assert nearest_neighbours(numeric[:1], codes[:1], 1.0, 5).shape == (1, 0)


def test_every_synthetic_flow_lies_between_a_training_flow_and_one_of_its_neighbours():
    table = tiny_flows(300)
    gen = SMOTE().fit(table, TINY_SCHEMA, seed=0)
    sample = gen.sample(400, seed=1)
    check_sample(sample, 400, gen.columns_, gen.dtypes_, TINY_SCHEMA)
    TINY_SCHEMA.validate(sample)
    assert sample["ts"].is_monotonic_increasing
    # each categorical combination is that of one training flow
    combos = set(map(tuple, table[gen.categorical_].to_numpy()))
    assert set(map(tuple, sample[gen.categorical_].to_numpy())) <= combos
    for col in ("bytes", "packets", "dur", "ts"):
        assert table[col].min() <= sample[col].min() and sample[col].max() <= table[col].max(), col
    # redo the draw: same seed, same base flow, neighbour and gap -> the numeric cells are on that segment
    rng = np.random.default_rng(1)
    base = rng.integers(0, len(table), 400)
    other = gen.neighbours_[base, rng.integers(0, gen.config.k, 400)]
    gap = rng.random(400)
    want = table["dur"].to_numpy()[base] + gap * (table["dur"].to_numpy()[other] - table["dur"].to_numpy()[base])
    np.testing.assert_allclose(np.sort(sample["dur"].to_numpy()), np.sort(want))


def test_privacy_metrics_flag_smote_against_independent_bn():
    """Constructed data: a copier with a little noise sits nearer the training flows than the holdout (dcr
    towards 1) and is rarely farther from its closest real flow than that flow's own neighbour (authenticity
    towards 0); independent-bn, which learns a distribution, scores near the Reference on both."""
    real, hold = tiny_flows(600, 0), tiny_flows(600, 1)
    smote = SMOTE().fit(real, TINY_SCHEMA, seed=0).sample(600, seed=1)
    ibn = IndependentBN(profile="quick").fit(real, TINY_SCHEMA, seed=0).sample(600, seed=1)
    dcr = {n: DCR()(real, s, TINY_SCHEMA, holdout=hold, seed=0).value for n, s in (("smote", smote), ("ibn", ibn))}
    auth = {n: Authenticity()(real, s, TINY_SCHEMA).value for n, s in (("smote", smote), ("ibn", ibn))}
    reference = DCR()(real, hold, TINY_SCHEMA, holdout=hold, seed=0).value
    assert abs(dcr["smote"] - reference) > abs(dcr["ibn"] - reference) and dcr["smote"] > 0.8
    assert auth["smote"] < auth["ibn"] and auth["smote"] < 0.2


def test_same_seed_same_sample_other_seed_other_sample():
    table = tiny_flows(200)
    one = SMOTE().fit(table, TINY_SCHEMA, seed=0)
    two = SMOTE().fit(table, TINY_SCHEMA, seed=0)
    pd.testing.assert_frame_equal(one.sample(100, seed=3), two.sample(100, seed=3))
    assert not one.sample(100, seed=3).equals(one.sample(100, seed=4))


def test_max_train_rows_subsamples_with_the_seed():
    table = tiny_flows(300)
    a = SMOTE(max_train_rows=100).fit(table, TINY_SCHEMA, seed=0)
    b = SMOTE(max_train_rows=100).fit(table, TINY_SCHEMA, seed=1)
    assert len(a.table_) == 100 and not a.table_.equals(b.table_)


def test_no_timestamp_schema_and_empty_sample():
    assert_untimed_fit_and_empty_sample(SMOTE, {})


def test_save_load_round_trip(tmp_path):
    assert_save_load_round_trip(SMOTE, {}, tmp_path / "model")


@pytest.mark.parametrize("bad", [{"k": 0}, {"max_train_rows": -1}, {"no_such_option": 1}])
def test_invalid_config_is_rejected(bad):
    with pytest.raises(ConfigError):
        SMOTE(**bad)

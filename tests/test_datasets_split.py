"""split_holdout: seeded, chronological or random, sequences kept whole; detect/registry wiring."""
from __future__ import annotations

import pandas as pd
import pytest

from secgen_bench import registry
from secgen_bench.datasets.schemas import HDFS
from secgen_bench.datasets.simnet import SimNet
from secgen_bench.datasets.split import split_holdout


@pytest.fixture(scope="module")
def flows():
    return SimNet().load(profile="quick", seed=0)


def test_time_split_holds_out_the_latest(flows):
    train, hold = split_holdout(flows.table, flows.schema, 0.2, seed=0, method="time")
    assert len(hold) == 300 and len(train) == 1200
    assert train["Date first seen"].max() <= hold["Date first seen"].min()
    assert train["Date first seen"].is_monotonic_increasing and hold["Date first seen"].is_monotonic_increasing


def test_random_split_is_seeded_and_disjoint(flows):
    a_train, a_hold = split_holdout(flows.table, flows.schema, 0.25, seed=4)
    b_train, b_hold = split_holdout(flows.table, flows.schema, 0.25, seed=4)
    _, c_hold = split_holdout(flows.table, flows.schema, 0.25, seed=5)
    pd.testing.assert_frame_equal(a_hold, b_hold)
    assert not a_hold.equals(c_hold)
    both = pd.concat([a_train, a_hold]).sort_values(list(flows.table.columns)).reset_index(drop=True)
    pd.testing.assert_frame_equal(both, flows.table.sort_values(list(flows.table.columns)).reset_index(drop=True))
    assert a_hold["Date first seen"].is_monotonic_increasing
    assert a_hold["Date first seen"].min() < a_train["Date first seen"].max()     # interleaved in time


def test_sequences_stay_whole():
    table = HDFS.validate(pd.DataFrame({
        "block_id": ["b1", "b1", "b2", "b3", "b3", "b3", "b4"], "event": list("ABCDEFG"),
        "delay": [0, 1, 0, 0, 2, 3, 0], "label": ["normal"] * 7}))
    for method in ("time", "random"):
        train, hold = split_holdout(table, HDFS, 0.5, seed=1, method=method)
        assert set(train["block_id"]).isdisjoint(hold["block_id"])
        assert len(train) + len(hold) == len(table)
        for part in (train, hold):
            for block, rows in part.groupby("block_id", sort=False):
                assert rows["event"].tolist() == table.loc[table["block_id"] == block, "event"].tolist()
    _, hold = split_holdout(table, HDFS, 0.5, method="time")
    assert set(hold["block_id"]) == {"b3", "b4"}


@pytest.mark.parametrize("kwargs,message", [({"fraction": 0}, "between 0 and 1"), ({"fraction": 0.2, "method": "x"}, "split method")])
def test_bad_arguments(flows, kwargs, message):
    with pytest.raises(ValueError, match=message):
        split_holdout(flows.table, flows.schema, **kwargs)


def test_every_dataset_is_registered_and_real():
    for name in ("simnet", "cidds001", "cidds001-bi", "ugr16", "ctu", "zeek", "pcap", "cesnet-miner22", "hdfs"):
        assert "_planned" not in registry.datasets.target(name)
        cls = registry.datasets.get(name)
        assert cls.name == name and callable(cls.sniff)

"""The run directory's tables are Parquet: every dtype the harness stores comes back exactly."""
from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from secgen_bench.errors import RunError
from secgen_bench.runner.store import read_table, refuse_pickled_tables, write_table


def test_dtypes_and_index_round_trip_exactly(tmp_path):
    table = pd.DataFrame({
        "ts": pd.to_datetime(["2024-01-01 00:00:00.000000001", "2024-01-01 01:00:00.5", "2024-01-02 00:00:00.0"]),
        "ts_s": pd.Series(pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"])).astype("datetime64[s]"),
        "utc": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"]).tz_localize("UTC"),
        "proto": pd.Categorical(["TCP", "UDP", "TCP"]),
        "level": pd.Categorical(["lo", "hi", "lo"], categories=["lo", "hi"], ordered=True),
        "port": pd.Categorical([80, 53, 80]),
        "ip": ["10.0.0.1", "8.8.8.8", ""], "bytes": np.array([0, 40, 2**40], dtype=np.int64),
        "packets": np.array([1, 2, 3], dtype=np.int32), "dur": [0.0, np.nan, 1e-9], "flag": [True, False, True],
        "count": pd.array([1, None, 3], dtype="Int64"), "gap": pd.to_timedelta([1, 2, 3], unit="ms"),
    }, index=pd.Index([5, 3, 9], name="flow"))
    path = tmp_path / "train.parquet"
    write_table(path, table)
    back = read_table(path)
    pd.testing.assert_frame_equal(back, table)
    assert list(back.dtypes.astype(str)) == list(table.dtypes.astype(str))
    plain = table.reset_index(drop=True)
    write_table(path, plain)
    pd.testing.assert_frame_equal(read_table(path), plain)   # a RangeIndex stays a RangeIndex


def test_pickled_or_foreign_tables_are_refused_unread(tmp_path):
    marker = tmp_path / "ran"
    (tmp_path / "train.pkl").write_bytes(pickle.dumps(Crafted(marker)))
    with pytest.raises(RunError, match="rerun without --resume"):
        refuse_pickled_tables(tmp_path)
    with pytest.raises(RunError, match="no longer read"):
        read_table(tmp_path / "train.pkl")
    (tmp_path / "x.parquet").write_text("a,b\n")
    with pytest.raises(ValueError, match="not a Parquet table"):
        read_table(tmp_path / "x.parquet")
    assert not marker.exists()


class Crafted:
    """Unpickling it creates ``marker``: the proof that a pickle ran code."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))

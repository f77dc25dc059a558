"""Tables the generator tests share: a tiny synthetic flow table and the CIDDS fixture flows."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from secgen_bench.datasets.schemas import CIDDS_BI
from secgen_bench.schema import Column, FlowSchema, Role


def tiny_table(rows: int = 48, seed: int = 0) -> tuple[pd.DataFrame, FlowSchema]:
    """A few dozen flows with every role a flow generator handles (zeros among the byte counts)."""
    rng = np.random.default_rng(seed)
    schema = FlowSchema("tiny", (Column("ts", Role.TIMESTAMP), Column("src", Role.IP), Column("dst", Role.IP),
                                 Column("port", Role.PORT), Column("proto", Role.PROTOCOL),
                                 Column("bytes", Role.BYTES, "out"), Column("dur", Role.DURATION)))
    table = pd.DataFrame({
        "ts": pd.Timestamp("2024-01-01") + pd.to_timedelta(np.sort(rng.uniform(0, 3600, rows)), unit="s"),
        "src": rng.choice(["10.0.0.1", "10.0.0.2", "10.0.0.3"], rows),
        "dst": rng.choice(["192.168.1.1", "8.8.8.8"], rows),
        "port": rng.choice([53, 80, 443], rows),
        "proto": rng.choice(["TCP", "UDP"], rows),
        "bytes": np.where(rng.random(rows) < 0.3, 0, rng.integers(40, 5000, rows)),
        "dur": np.round(rng.exponential(1.0, rows), 3),
    })
    return schema.validate(table), schema


def real_2000() -> pd.DataFrame:
    """The artefact's 2,000 bidirectional CIDDS fixture flows (skips when ../shared/specs is absent)."""
    from tests.conftest import shared_specs_dir

    specs = shared_specs_dir()
    if specs is None:
        pytest.skip("../shared/specs absent")
    return CIDDS_BI.validate(pd.read_csv(specs / "metric-fixtures" / "real_2000.csv"))

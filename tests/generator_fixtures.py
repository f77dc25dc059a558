"""What the flow-generator tests share: the CIDDS fixture flows and common assertions (on the conftest tiny flows)."""
from __future__ import annotations

import pandas as pd
import pytest

from secgen_bench.datasets.schemas import CIDDS_BI
from secgen_bench.schema import FlowSchema
from tests.conftest import shared_specs_dir
from tests.tiny_tables import TINY_SCHEMA, tiny_flows


TORCH_TINY_ROWS = 48   # a few dozen of the shared tiny flows: small enough for a torch fit in a second


def real_2000() -> pd.DataFrame:
    """The artefact's 2,000 bidirectional CIDDS fixture flows (skips when ../shared/specs is absent)."""
    specs = shared_specs_dir()
    if specs is None:
        pytest.skip("../shared/specs absent")
    return CIDDS_BI.validate(pd.read_csv(specs / "metric-fixtures" / "real_2000.csv"))


# ---- assertions the flow-generator tests share ---------------------------------------------------------------
CIDDS_DISCRETE = ("Proto", "Src IP Addr", "Dst IP Addr", "Dst Pt", "Flags")
CIDDS_CONTINUOUS = ("In Byte", "Out Byte", "In Packet", "Out Packet", "Duration")


def assert_values_seen_in_training(sample: pd.DataFrame, table: pd.DataFrame,
                                   continuous: tuple[str, ...] = CIDDS_CONTINUOUS) -> None:
    """Discrete CIDDS columns only take training values; ``continuous`` ones stay in the training range."""
    for col in CIDDS_DISCRETE:
        assert set(sample[col]) <= set(table[col]), col
    for col in continuous:
        assert sample[col].max() <= table[col].max() and sample[col].min() >= table[col].min(), col


def assert_seeded_sampling(gen) -> None:
    """Same seed, same sample; another seed, another sample."""
    a, b, c = gen.sample(300, seed=5), gen.sample(300, seed=5), gen.sample(300, seed=6)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def tiny_fit_is_deterministic(cls, options: dict) -> tuple[pd.DataFrame, FlowSchema]:
    """Fit ``cls`` twice on the tiny table with one seed (equal samples, contract kept) and once with another
    (a different sample); returns the first sample and the schema."""
    from secgen_bench.generators.base import check_sample

    table, schema = tiny_flows(TORCH_TINY_ROWS), TINY_SCHEMA
    one = cls(profile="quick", **options).fit(table, schema, seed=3).sample(50, seed=0)
    two = cls(profile="quick", **options).fit(table, schema, seed=3).sample(50, seed=0)
    check_sample(one, 50, list(table.columns), {c: str(t) for c, t in table.dtypes.items()}, schema)
    pd.testing.assert_frame_equal(one, two)
    other = cls(profile="quick", **options).fit(table, schema, seed=4).sample(50, seed=0)
    assert not one.equals(other)
    return one, schema


def assert_untimed_fit_and_empty_sample(cls, options: dict, n: int = 9) -> None:
    """The tiny table without its timestamp fits and samples; sample(0) is empty."""
    from secgen_bench.generators.base import check_sample

    table, schema = tiny_flows(TORCH_TINY_ROWS), TINY_SCHEMA
    plain = schema.select([c for c in schema.names if c != "ts"], name="tiny-untimed")
    gen = cls(profile="quick", **options).fit(table.drop(columns="ts"), plain, seed=0)
    check_sample(gen.sample(n, seed=0), n, gen.columns_, gen.dtypes_, plain)
    assert len(gen.sample(0, seed=0)) == 0


def assert_save_load_round_trip(cls, options: dict, path) -> None:
    """A saved and reloaded fit samples exactly what the original does."""
    table, schema = tiny_flows(TORCH_TINY_ROWS), TINY_SCHEMA
    gen = cls(profile="quick", **options).fit(table, schema, seed=0)
    gen.save(path)
    pd.testing.assert_frame_equal(gen.sample(40, seed=2), cls.load(path).sample(40, seed=2))

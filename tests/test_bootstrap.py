"""The bootstrap noise-floor sample: rows (or whole sequences) of the training table, drawn with replacement."""
from __future__ import annotations

from secgen_bench.generators.base import check_sample
from secgen_bench.tracks.bootstrap import bootstrap_sample
from tests.tiny_tables import TINY_SCHEMA, tiny_flows
from tests.tiny_tables import PACKETS, toy_packets


def test_rows_are_drawn_with_replacement_and_the_seed_decides_them():
    train = tiny_flows(200)
    a, b, c = (bootstrap_sample(train, TINY_SCHEMA, 300, seed) for seed in (0, 0, 1))
    dtypes = {k: str(v) for k, v in train.dtypes.items()}
    check_sample(a, 300, list(train.columns), dtypes, TINY_SCHEMA)
    assert a.equals(b) and not a.equals(c)
    assert a.duplicated().any() and a.merge(train.drop_duplicates(), how="left", indicator=True)["_merge"].eq("both").all()


def test_sequences_are_resampled_whole_and_renumbered():
    train = toy_packets()
    seq = PACKETS.by_role("sequence_id")[0]
    n = train[seq].nunique() + 5          # more than there are: some are drawn twice
    sample = bootstrap_sample(train, PACKETS, n, 3, unit="sequences")
    dtypes = {k: str(v) for k, v in train.dtypes.items()}
    check_sample(sample, n, list(train.columns), dtypes, PACKETS, unit="sequences")
    lengths = set(train.groupby(seq).size())
    assert set(sample.groupby(seq).size()) <= lengths

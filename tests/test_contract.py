"""One contract suite over every registered generator and metric (the ``parametrize_with_checks`` idea).

A generator, on a tiny table of its track: fit then ``sample(n)`` keeps the contract (n rows or sequences, the
training columns and dtypes, no missing value); one seed gives one sample, another seed another; a saved and
reloaded fit samples the same; ``sample(0)`` works. A metric, on a table of its track: real against itself and
against a perturbed copy gives finite numbers inside its bounds, the same for a seed, a valid direction, and
the best value on identity where the metric defines one (``IDENTITY_IS_BEST``). A plugin that cannot load
(missing extra), or a metric that needs what the tiny tables lack (labels, attack flows), is skipped with its
reason. Options are shrunk like ``--set KEY=VALUE`` so that each case takes a few seconds.
"""
from __future__ import annotations

import math
import zipfile

import numpy as np
import pandas as pd
import pytest

from secgen_bench import registry
from secgen_bench.config import parse_overrides
from secgen_bench.generators.base import check_sample
from secgen_bench.metrics.base import Direction, MetricResult
from tests.tiny_tables import PACKETS, TINY_SCHEMA, tiny_flows, toy_packets

FLOW_ROWS = 60          # tiny flows a generator fits on
METRIC_ROWS = 300       # tiny flows a metric scores
SAMPLE_N = 25           # rows (flows) or sequences (packets) asked of a generator

# ``--set`` overrides that shrink the ``quick`` profile to a few seconds on the tiny tables
SHRINK = {
    "ctgan": ["epochs=1", "batch_size=20"],
    "tvae": ["epochs=1", "batch_size=20"],
    "ewgan-gp": ["ip2vec_epochs=1", "hidden=32", "layers=2", "iterations=20", "batch_size=16"],
    "netshare": ["ip2vec_epochs=1", "meta_hidden=16", "rnn_hidden=16", "d_hidden=32", "epochs=3", "batch_size=16",
                 "max_len=4"],
    "transformer": ["n_layer=1", "d_model=32", "n_head=2", "train_steps=30", "context_flows=3", "batch_size=8"],
    "flowchronicle": ["max_rounds=3"],
    "tabddpm": ["timesteps=10", "iterations=20", "width=32", "batch_size=32"],
    "independent-bn": ["max_iter=10"],
    "sequence-bn": ["max_iter=10"],
    "tadam": ["max_iterations=3", "max_words=200"],
    "hmm": ["n_iter=5"],
    "packet-transformer": ["n_layer=1", "n_head=2", "d_model=16", "train_steps=20"],
}


def tiny_data(track: str, rows: int, seed: int = 0) -> tuple[pd.DataFrame, object]:
    """The tiny table of a track and its schema; skips a track that has none."""
    if track == "flows":
        return tiny_flows(rows, seed), TINY_SCHEMA
    if track == "packets":
        return toy_packets(seed=seed), PACKETS
    pytest.skip(f"no tiny table for track {track!r}")


def load(kind_registry, name: str):
    """The plugin class, or a skip naming why it cannot load (a missing extra)."""
    cls, reason = kind_registry.resolve(name)
    if reason:
        pytest.skip(f"{name}: {reason}")
    return cls


# ---- generators ---------------------------------------------------------------------------------------------
def fit(name: str):
    """``name`` fitted with seed 0 on its track's tiny table, options shrunk by ``SHRINK``."""
    cls = load(registry.generators, name)
    table, schema = tiny_data(cls.track, FLOW_ROWS)
    return cls(profile="quick", **parse_overrides(SHRINK.get(name))).fit(table, schema, seed=0)


_fitted: dict[str, object] = {}


def fitted(name: str):
    """``fit(name)``, done once for the module (the tests only sample from it)."""
    if name not in _fitted:
        _fitted[name] = fit(name)
    return _fitted[name]


def assert_keeps_contract(gen, sample: pd.DataFrame, n: int, name: str) -> None:
    check_sample(sample, n, gen.columns_, gen.dtypes_, gen.schema_, who=name, unit=type(gen).unit)


GENERATORS = registry.generators.names()


@pytest.mark.parametrize("name", GENERATORS)
def test_generator_fit_sample_keeps_the_contract(name):
    gen = fitted(name)
    table, _ = tiny_data(type(gen).track, FLOW_ROWS)
    assert gen.columns_ == list(table.columns)
    assert gen.dtypes_ == {c: str(t) for c, t in table.dtypes.items()}
    assert_keeps_contract(gen, gen.sample(SAMPLE_N, seed=1), SAMPLE_N, name)
    empty = gen.sample(0, seed=1)
    assert_keeps_contract(gen, empty, 0, name)
    assert len(empty) == 0 and list(empty.columns) == gen.columns_


@pytest.mark.parametrize("name", GENERATORS)
def test_generator_same_seed_same_sample_other_seed_other_sample(name):
    gen = fitted(name)
    again = fit(name)                                   # a second fit with the same seed
    first = gen.sample(SAMPLE_N, seed=1)
    pd.testing.assert_frame_equal(first, again.sample(SAMPLE_N, seed=1))
    pd.testing.assert_frame_equal(first, gen.sample(SAMPLE_N, seed=1))
    assert not first.equals(gen.sample(SAMPLE_N, seed=2)), f"{name}: sample seeds 1 and 2 gave the same sample"


@pytest.mark.parametrize("name", GENERATORS)
def test_generator_save_then_load_samples_the_same(name, tmp_path):
    gen = fitted(name)
    path = tmp_path / "model"
    gen.save(path)
    with zipfile.ZipFile(path) as zf:     # data only (secgen_bench.persistence), never a pickle
        assert sorted(zf.namelist()) == ["arrays.npz", "state.json"]
    loaded = type(gen).load(path)
    assert type(loaded) is type(gen) and loaded is not gen
    pd.testing.assert_frame_equal(loaded.sample(SAMPLE_N, seed=3), gen.sample(SAMPLE_N, seed=3))


# ---- metrics --------------------------------------------------------------------------------------------------
def perturbed(table: pd.DataFrame, schema, seed: int = 7) -> pd.DataFrame:
    """Clearly not the real data: rows (or sequences) redrawn with the rarest value of the first discrete column
    ten times as likely (every marginal and the sequence lengths move), then every column but the timestamp
    and the sequence id shuffled on its own (dependences broken) and the continuous columns tripled."""
    rng = np.random.default_rng(seed)
    seq = schema.by_role("sequence_id")
    key = seq[0] if seq else None
    column = next(c for c in schema.discrete if c != key)
    if key:
        groups = [g for _, g in table.groupby(key, sort=False)]
        first = np.array([g[column].iloc[0] for g in groups], dtype=object)
    else:
        first = table[column].to_numpy(dtype=object)
    values, counts = np.unique(first, return_counts=True)
    weights = np.where(first == values[counts.argmin()], 10.0, 1.0)
    picks = rng.choice(len(first), len(first), replace=True, p=weights / weights.sum())
    if key:
        out = pd.concat([groups[p].assign(**{key: f"p{i}"}) for i, p in enumerate(picks)], ignore_index=True)
    else:
        out = table.iloc[picks].reset_index(drop=True)
    if schema.timestamp:
        out = out.sort_values(schema.timestamp, kind="stable").reset_index(drop=True)
    keep = {schema.timestamp, key} - {None}
    for col in out.columns:
        if col not in keep:
            out[col] = out[col].to_numpy()[rng.permutation(len(out))]
    for col in schema.continuous:
        out[col] = out[col] * 3
    return schema.validate(out, ranges=False)


def score(metric, real, synthetic, schema, holdout, seed: int = 0) -> MetricResult:
    result = metric(real, synthetic, schema, holdout=holdout, seed=seed)
    assert isinstance(result, MetricResult)
    assert isinstance(result.value, float) and math.isfinite(result.value), result.value
    low, high = type(metric).bounds
    assert low - 1e-9 <= result.value <= high + 1e-9, (result.value, (low, high))
    return result


# metrics for which real data scored against itself reaches the best bound (distances, coverage, violations);
# others are only checked for finite, bounded, deterministic values (precision/recall estimates, privacy,
# model-based utility scores do not reach a bound on identity)
IDENTITY_IS_BEST = frozenset({
    "acf", "cmd", "coverage", "emd", "emd-w1", "jsd", "lagcorr", "pcd", "seq-coverage", "seq-dkc", "seq-emd-iat",
    "seq-emd-size", "seq-jsd-ngrams", "seq-jsd-symbols", "seq-length-jsd",
})
SCORED_INPUTS = {"real", "synthetic", "holdout"}   # what the tiny tables provide


def best_value(cls) -> float | None:
    """The value identity must reach, where the metric defines one: its lower bound for lower-is-better and its
    upper bound for higher-is-better metrics of ``IDENTITY_IS_BEST``; else None."""
    if cls.name not in IDENTITY_IS_BEST:
        return None
    return cls.bounds[0] if cls.direction is Direction.LOWER else cls.bounds[1]


def test_identity_is_best_names_registered_metrics():
    assert IDENTITY_IS_BEST <= set(registry.metrics.names())


def worse_or_equal(direction: Direction, a: float, b: float) -> bool:
    """``a`` is no better than ``b``."""
    return a >= b - 1e-12 if direction is Direction.LOWER else a <= b + 1e-12


@pytest.mark.parametrize("name", registry.metrics.names())
def test_metric_scores_identity_and_a_perturbed_copy(name):
    cls = load(registry.metrics, name)
    assert isinstance(cls.direction, Direction) and cls.direction.value in {d.value for d in Direction}
    real, schema = tiny_data(cls.track, METRIC_ROWS)
    holdout, _ = tiny_data(cls.track, METRIC_ROWS, seed=1)
    other = perturbed(real, schema)
    if cls.inputs - SCORED_INPUTS:
        pytest.skip(f"{name}: needs {', '.join(sorted(cls.inputs - SCORED_INPUTS))}, which the tiny tables lack")
    metric = cls()
    try:
        same = score(metric, real, real.copy(), schema, holdout)
    except ValueError as exc:
        if "label" not in str(exc):
            raise
        pytest.skip(f"{exc} (the tiny tables are unlabelled)")
    moved = score(metric, real, other, schema, holdout)
    # deterministic for a seed: value and breakdown
    again = score(cls(), real, other, schema, holdout)
    assert again.value == moved.value and again.breakdown == moved.breakdown
    best = best_value(cls)
    if best is not None:
        assert same.value == pytest.approx(best, abs=1e-9), f"{name}: real against itself gave {same.value}"
        assert worse_or_equal(cls.direction, moved.value, same.value), (same.value, moved.value)
        assert moved.value != pytest.approx(same.value, abs=1e-9), f"{name}: a perturbed copy scores like identity"

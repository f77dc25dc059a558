"""The example plugins keep secgen-bench's contracts: the checks the harness applies to every job.

Run from anywhere once the package is installed (``pip install ./examples/plugin``):
``python -m pytest examples/plugin/tests -q``.
"""
from __future__ import annotations

import math
import zipfile
from importlib.metadata import PackageNotFoundError, distribution

import numpy as np
import pandas as pd
import pytest

from secgen_bench import registry
from secgen_bench.config import ConfigError
from secgen_bench.generators.base import check_sample
from secgen_bench.schema import Column, FlowSchema, Role
from secgen_bench_example import GaussianCopulaLite, KSMean

SCHEMA = FlowSchema("example", (
    Column("ts", Role.TIMESTAMP), Column("proto", Role.PROTOCOL), Column("src", Role.IP),
    Column("dport", Role.PORT), Column("bytes", Role.BYTES, "out"), Column("packets", Role.PACKETS, "out"),
    Column("dur", Role.DURATION),
))


def flows(n: int = 500, seed: int = 0) -> pd.DataFrame:
    """Flows whose port follows the protocol and whose bytes grow with packets (dependences to keep)."""
    rng = np.random.default_rng(seed)
    proto = rng.choice(["TCP", "UDP"], n, p=[0.7, 0.3])
    packets = rng.integers(1, 60, n)
    return SCHEMA.validate(pd.DataFrame({
        "ts": pd.Timestamp("2024-01-01") + pd.to_timedelta(np.sort(rng.uniform(0, 86400, n)), unit="s"),
        "proto": proto,
        "src": rng.choice([f"10.0.0.{i}" for i in range(5)], n),
        "dport": np.where(proto == "UDP", 53, rng.choice([80, 443], n)),
        "bytes": 60 * packets + rng.integers(0, 200, n),
        "packets": packets,
        "dur": rng.exponential(1.5, n),
    }))


@pytest.fixture(scope="module")
def fitted() -> GaussianCopulaLite:
    return GaussianCopulaLite(profile="quick").fit(flows(), SCHEMA, seed=0)


def test_sample_keeps_the_contract(fitted):
    for n in (0, 1, 250):
        sample = fitted.sample(n, seed=1)
        check_sample(sample, n, fitted.columns_, fitted.dtypes_, fitted.schema_, who=fitted.name, unit=fitted.unit)
    assert fitted.sample(250, seed=1)["ts"].is_monotonic_increasing


def test_marginals_are_training_values_and_dependences_survive(fitted):
    real, sample = flows(), fitted.sample(2000, seed=4)
    for col in ("bytes", "dur", "ts"):
        assert set(sample[col]) <= set(real[col])
    assert set(sample[sample["proto"] == "UDP"]["dport"]) == {53}     # discrete columns come from one row
    assert np.corrcoef(sample["bytes"], sample["packets"])[0, 1] > 0.8  # the copula keeps bytes ~ packets


def test_same_seed_same_sample_other_seed_other_sample(fitted):
    again = GaussianCopulaLite(profile="quick").fit(flows(), SCHEMA, seed=0)
    pd.testing.assert_frame_equal(fitted.sample(100, seed=1), again.sample(100, seed=1))
    assert not fitted.sample(100, seed=1).equals(fitted.sample(100, seed=2))


def test_save_then_load_samples_the_same(fitted, tmp_path):
    path = tmp_path / "model"
    fitted.save(path)
    with zipfile.ZipFile(path) as zf:                       # data (JSON + npz), never a pickle
        assert sorted(zf.namelist()) == ["arrays.npz", "state.json"]
    loaded = GaussianCopulaLite.load(path)
    assert type(loaded) is GaussianCopulaLite and loaded.config == fitted.config
    pd.testing.assert_frame_equal(loaded.sample(100, seed=3), fitted.sample(100, seed=3))


def test_profiles_and_options_feed_the_cache_key():
    quick, default = GaussianCopulaLite(profile="quick"), GaussianCopulaLite()
    assert quick.config.max_fit_rows == 2000 and quick.config_hash != default.config_hash
    with pytest.raises(ConfigError, match="max_fit_rows"):
        GaussianCopulaLite(max_fit_rows=0)
    with pytest.raises(ConfigError, match="unknown option 'depth'"):
        GaussianCopulaLite(depth=3)


def test_ks_mean_is_zero_on_identity_and_grows_with_a_shift():
    real = flows()
    metric = KSMean()
    assert metric(real, real.copy(), SCHEMA).value == 0.0
    shifted = real.assign(dur=real["dur"] * 3, bytes=real["bytes"] * 2)
    result = metric(real, shifted, SCHEMA)
    low, high = KSMean.bounds
    assert low < result.value <= high and math.isfinite(result.value)
    assert set(result.breakdown) == set(SCHEMA.continuous) and result.breakdown["packets"] == 0.0


def test_both_plugins_are_found_through_their_entry_points():
    try:
        distribution("secgen-bench-example")
    except PackageNotFoundError:
        pytest.skip("secgen-bench-example is not installed (pip install ./examples/plugin)")
    assert registry.generators.get("gaussian-copula-lite") is GaussianCopulaLite
    assert registry.metrics.get("ks-mean") is KSMean
    assert registry.generators.entry("gaussian-copula-lite").source == "entry point of secgen-bench-example"

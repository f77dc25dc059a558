"""Shared fixtures: the real-data folder (skips when absent), isolated cache, the tiny flow table (built in
tests/tiny_tables.py beside the toy packet sequences), and the one registration of the test plugins."""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Mapping

import pandas as pd
import pytest

from tests.tiny_tables import tiny_flows

REPO = Path(__file__).resolve().parent.parent


def shared_data_dir() -> Path | None:
    """``$SECGEN_BENCH_DATA`` or ``../shared/data`` beside the checkout, when it exists."""
    env = os.environ.get("SECGEN_BENCH_DATA")
    path = Path(env) if env else REPO.parent / "shared" / "data"
    return path if path.is_dir() else None


def shared_specs_dir() -> Path | None:
    path = REPO.parent / "shared" / "specs"
    return path if path.is_dir() else None


@pytest.fixture
def shared_data() -> Path:
    path = shared_data_dir()
    if path is None:
        pytest.skip("real data folder absent (set SECGEN_BENCH_DATA)")
    return path


@pytest.fixture
def shared_specs() -> Path:
    path = shared_specs_dir()
    if path is None:
        pytest.skip("../shared/specs absent")
    return path


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Never touch the user's cache from tests."""
    monkeypatch.setenv("SECGEN_BENCH_CACHE", str(tmp_path_factory.mktemp("cache")))


# ---- the tiny flow table ------------------------------------------------------------------------------------
@pytest.fixture
def tiny_table() -> pd.DataFrame:
    """400 tiny flows (``tiny_flows()``), a fresh copy per test."""
    return tiny_flows()


# ---- the test plugins ------------------------------------------------------------------------------------------
TEST_GENERATORS = {
    "copycat": "tests.plugins:Copycat", "sleeper": "tests.plugins:Sleeper", "crasher": "tests.plugins:Crasher",
    "memory-hog": "tests.plugins:MemoryHog", "wrong-columns": "tests.plugins:WrongColumns",
    "wrong-dtype": "tests.plugins:WrongDtype", "exiter": "tests.plugins:Exiter",
}


@contextmanager
def registered_test_plugins(extra_generators: Mapping[str, str] | None = None) -> Iterator[None]:
    """Register the tiny dataset, the mean-bytes-gap metric and the test generators (plus
    ``extra_generators``: name -> "module:attr"); unregister them all on exit."""
    from secgen_bench import registry

    generators = {**TEST_GENERATORS, **(extra_generators or {})}
    registry.datasets.register("tiny", "tests.plugins:TinyDataset", source="test")
    registry.metrics.register("mean-bytes-gap", "tests.plugins:MeanBytesGap", source="test")
    try:
        for name, target in generators.items():
            registry.generators.register(name, target, source="test")
        yield
    finally:
        for name in generators:
            registry.generators.unregister(name)
        registry.datasets.unregister("tiny")
        registry.metrics.unregister("mean-bytes-gap")


@pytest.fixture
def plugins(request) -> Iterator[None]:
    """The test plugins, registered for one test; a module adds its own in ``EXTRA_GENERATORS``."""
    with registered_test_plugins(getattr(request.module, "EXTRA_GENERATORS", None)):
        yield

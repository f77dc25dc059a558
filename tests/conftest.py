"""Shared fixtures: the real-data folder (skips when absent) and isolated cache/run dirs."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

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

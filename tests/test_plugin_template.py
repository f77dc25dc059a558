"""The plugin template (examples/plugin) installs as a third-party package and its plugins keep the contract.

Installed the way a user installs it (pip, from a copy so that the build leaves nothing in the checkout), then
found only through its entry points, as the registry finds any third-party plugin.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from secgen_bench.generators.base import check_sample
from secgen_bench.metrics.base import Direction, Metric
from secgen_bench.registry import Registry
from tests.tiny_tables import TINY_SCHEMA, tiny_flows

TEMPLATE = Path(__file__).resolve().parents[1] / "examples" / "plugin"


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The template pip-installed into a fresh folder that goes first on sys.path for this module's tests."""
    root = tmp_path_factory.mktemp("plugin-template")
    source = root / "src"
    shutil.copytree(TEMPLATE, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    site = root / "site"
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                           "--target", str(site), str(source)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    mp = pytest.MonkeyPatch()
    mp.syspath_prepend(str(site))
    stale = [m for m in sys.modules if m.partition(".")[0] == "secgen_bench_example"]
    for name in stale:                              # an installed copy elsewhere must not answer for this one
        mp.delitem(sys.modules, name)
    yield site
    for name in [m for m in sys.modules if m.partition(".")[0] == "secgen_bench_example"]:
        del sys.modules[name]
    mp.undo()


def entry_point_registry(kind: str, group: str) -> Registry:
    """A registry that knows only the installed entry points (no built-ins)."""
    return Registry(kind, group, lambda: {})


def test_generator_is_found_through_its_entry_point_and_keeps_the_contract(installed):
    generators = entry_point_registry("generator", "secgen_bench.generators")
    entry = generators.entry("gaussian-copula-lite")
    assert entry.source == "entry point of secgen-bench-example"
    cls = generators.get("gaussian-copula-lite")
    assert Path(sys.modules[cls.__module__].__file__).is_relative_to(installed)
    gen = cls(profile="quick").fit(tiny_flows(120), TINY_SCHEMA, seed=0)
    for n in (0, 40):
        check_sample(gen.sample(n, seed=1), n, gen.columns_, gen.dtypes_, gen.schema_, who=cls.name, unit=cls.unit)


def test_metric_is_found_through_its_entry_point_and_scores_in_its_bounds(installed):
    metrics = entry_point_registry("metric", "secgen_bench.metrics")
    assert metrics.entry("ks-mean").source == "entry point of secgen-bench-example"
    cls = metrics.get("ks-mean")
    assert issubclass(cls, Metric) and cls.direction is Direction.LOWER
    real, other = tiny_flows(200, seed=0), tiny_flows(200, seed=1)
    assert cls()(real, real.copy(), TINY_SCHEMA).value == 0.0
    low, high = cls.bounds
    assert low < cls()(real, other.assign(dur=other["dur"] * 4), TINY_SCHEMA).value <= high

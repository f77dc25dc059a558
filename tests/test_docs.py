"""The docs site builds with ``mkdocs build --strict`` and holds the generated reference pages.

Skipped when the ``docs`` extra (mkdocs and its plugins) is not installed.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mkdocs")
pytest.importorskip("mkdocs_gen_files")
pytest.importorskip("mkdocstrings_handlers.python")

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    env = dict(os.environ, DISABLE_MKDOCS_2_WARNING="true", NO_MKDOCS_2_WARNING="1",
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stderr[-4000:]}"
    return out


def test_every_generator_and_metric_has_a_page(site: Path) -> None:
    from secgen_bench import registry

    for folder, reg in (("generators", registry.generators), ("metrics", registry.metrics)):
        missing = [name for name in reg.names() if not (site / folder / name / "index.html").is_file()]
        assert not missing, f"no {folder} page for {missing}"


def test_generator_page_lists_config_and_profiles(site: Path) -> None:
    page = (site / "generators" / "independent-bn" / "index.html").read_text(encoding="utf-8")
    assert "BNConfig" in page and "max_indegree" in page
    assert "Profiles" in page and "paper" in page


def test_cli_page_has_every_subcommand_help(site: Path) -> None:
    from secgen_bench.cli import build_parser

    page = (site / "cli" / "index.html").read_text(encoding="utf-8")
    parser = build_parser()
    commands = next(a for a in parser._actions if hasattr(a, "choices") and isinstance(a.choices, dict)).choices
    for name in commands:
        assert f"usage: secgen-bench {name}" in page, f"CLI page lacks `{name} --help`"

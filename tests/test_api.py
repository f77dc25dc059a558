"""The public Python API: the README's example and the quickstart notebook run as written, and the inline
executor gives the local executor's numbers and the same failure records."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import secgen_bench as sb
from secgen_bench import registry
from secgen_bench.generators.base import Generator
from secgen_bench.runner.store import RunStore
from tests.conftest import REPO, registered_test_plugins


def _run_code(code: str, where: str) -> dict:
    namespace: dict = {"__name__": "__main__"}   # as in a notebook: classes defined here are not importable
    exec(compile(code, where, "exec"), namespace)
    return namespace


def readme_api_block() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Python API\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert blocks, "the README's Python API section has no python block"
    return blocks[0]


def test_readme_python_api_example_runs_as_written(capsys):
    ns = _run_code(readme_api_block(), "README.md")
    frame = ns["board"].frame
    assert set(frame["generator"]) == {"reference", "bootstrap", "row-resampler", "marginals"}
    assert (frame["status"] == "ok").all()
    assert set(frame["metric"]) == {"jsd", "emd"}
    assert "row-resampler" not in registry.generators.names()   # registered for the run only
    out = capsys.readouterr().out
    assert "| row-resampler |" in out and "ci_high" in out


@pytest.mark.slow
def test_quickstart_notebook_cells_run_in_order():
    nb = json.loads((REPO / "examples" / "quickstart.ipynb").read_text(encoding="utf-8"))
    code = [("".join(c["source"])) for c in nb["cells"] if c["cell_type"] == "code"]
    assert len(code) >= 3
    ns: dict = {"__name__": "__main__"}
    for i, cell in enumerate(code):
        exec(compile(cell, f"quickstart.ipynb cell {i}", "exec"), ns)
    frame = ns["board"].frame
    assert {"row-resampler", "marginals", "independent-bn"} <= set(frame["generator"])
    assert (frame["status"] == "ok").all(), frame[frame["status"] != "ok"]
    ranked = frame[~frame["generator"].isin(["reference", "bootstrap"])]
    assert ranked["rank"].notna().all() and ranked["avg_rank"].notna().all()


class Shuffled(Generator):
    """Training rows in a seeded random order: a generator a spawned job process cannot import (defined in a test)."""

    name = "shuffled-rows"

    def _fit(self, table, schema, *, seed):
        self.table_ = table.reset_index(drop=True)

    def _sample(self, n, *, seed):
        return self.table_.sample(n=n, replace=True, random_state=seed).reset_index(drop=True)


Shuffled.__module__ = "__main__"   # what a notebook cell gives a class


def test_inline_executor_scores_exactly_what_the_local_one_scores(tmp_path):
    with registered_test_plugins():
        kwargs = dict(datasets=["tiny"], profile="quick", metrics=["mean-bytes-gap", "jsd"], use_cache=False)
        local = sb.run(["marginals", "copycat"], out=tmp_path / "local", executor="local", **kwargs).frame
        inline = sb.run(["marginals", "copycat"], out=tmp_path / "inline", executor="inline", **kwargs).frame
    pd.testing.assert_frame_equal(local, inline)
    assert (inline["status"] == "ok").all()


def test_inline_executor_records_a_failure_with_its_phase(tmp_path):
    with registered_test_plugins():
        board = sb.run(["crasher"], ["tiny"], profile="quick", out=tmp_path / "run", executor="inline",
                       metrics=["mean-bytes-gap"])
    frame = board.frame.set_index("generator")
    assert frame.loc["crasher", "status"] == "error"
    rec = next(r for r in RunStore(board.run_dir).job_records() if r["generator"]["name"] == "crasher")
    assert rec["status"] == "error" and rec["phase"] == "sample"
    assert rec["error"] == "RuntimeError: boom in sample" and "Traceback" in rec["traceback"]
    assert not list(Path(board.run_dir).rglob(".phase"))


def test_a_notebook_class_needs_the_inline_executor(tmp_path):
    with pytest.raises(ValueError, match="executor='inline'"):
        sb.run([Shuffled], ["simnet"], out=tmp_path / "run", executor="local")
    assert "shuffled-rows" not in registry.generators.names()


def test_a_class_may_not_take_a_registered_name(tmp_path):
    class Marginals(Shuffled):
        name = "marginals"

    with pytest.raises(ValueError, match="'marginals' is taken by builtin"):
        sb.run([Marginals], ["simnet"], out=tmp_path / "run", executor="inline")


def test_evaluate_gives_one_row_per_metric_with_an_interval_around_the_value():
    data = sb.load_dataset("simnet", profile="quick")
    sample = sb.get_generator("marginals", profile="quick").fit(data.table, data.schema).sample(400, seed=1)
    frame = sb.evaluate(data, sample, metrics=["jsd", "emd"], repeats=4, sample_size=300, seed=3)
    assert list(frame.columns) == ["metric", "value", "ci_low", "ci_high", "std", "direction", "error"]
    assert list(frame["metric"]) == ["jsd", "emd"] and set(frame["direction"]) == {"lower"}
    assert ((frame["ci_low"] <= frame["value"]) & (frame["value"] <= frame["ci_high"])).all()
    assert (frame["std"] > 0).all()
    again = sb.evaluate(data.table, sample, schema=data.schema, metrics=["jsd", "emd"], repeats=4, sample_size=300,
                        seed=3)
    pd.testing.assert_frame_equal(frame, again)   # same seed, same numbers


def test_bad_api_input_is_one_line_naming_the_value():
    data = sb.load_dataset("simnet", profile="quick")
    with pytest.raises(ValueError, match="pass schema="):
        sb.evaluate(data.table, data.table)
    with pytest.raises(ValueError, match="'no-such-set'.*no registered dataset"):
        sb.load_dataset("no-such-set")
    with pytest.raises(ValueError, match="Generator subclass"):
        sb.get_generator(int)
    with pytest.raises(ValueError, match="unknown executor 'threads'"):
        sb.run(["marginals"], executor="threads")


def test_get_generator_builds_a_class_with_its_options():
    gen = sb.get_generator(Shuffled, profile="quick")
    assert isinstance(gen, Shuffled) and gen.profile == "quick" and gen.device == "cpu"
    bn = sb.get_generator("marginals")
    assert type(bn).__name__ == "IndependentMarginals"


def test_the_api_loads_lazily_and_the_package_is_typed():
    code = ("import sys, secgen_bench; secgen_bench.registry.generators.names(); "
            "assert 'secgen_bench.api' not in sys.modules and 'pandas' not in sys.modules; "
            "from secgen_bench.api import run; assert secgen_bench.run is run; "
            "assert not hasattr(secgen_bench, 'no_such_name')")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)
    assert (REPO / "secgen_bench" / "py.typed").is_file()
    assert '"secgen_bench" = ["py.typed"]' in (REPO / "pyproject.toml").read_text()


class SysExiter(Shuffled):
    name = "sys-exiter"

    def _fit(self, table, schema, *, seed):
        raise SystemExit(3)


def test_inline_failures_in_fit_and_check_stay_in_their_job(tmp_path):
    with registered_test_plugins():
        board = sb.run([SysExiter, "wrong-columns", "copycat"], ["tiny"], profile="quick", out=tmp_path / "run",
                       executor="inline", metrics=["mean-bytes-gap"])
    jobs = {r["generator"]["name"]: r for r in RunStore(board.run_dir).job_records()}
    assert jobs["sys-exiter"]["phase"] == "fit" and jobs["sys-exiter"]["error"] == "SystemExit: 3"
    assert jobs["wrong-columns"]["phase"] == "check" and "missing column 'bytes'" in jobs["wrong-columns"]["error"]
    assert jobs["copycat"]["status"] == "ok"


def test_a_decorated_notebook_class_runs_inline_by_name_and_keeps_its_registration(tmp_path):
    namespace = _run_code(
        "import secgen_bench as sb\n"
        "from secgen_bench.generators.marginals import IndependentMarginals\n"
        "@sb.register_generator('cell-marginals')\n"
        "class CellMarginals(IndependentMarginals):\n"
        "    pass\n", "cell")
    cls = namespace["CellMarginals"]
    try:
        with pytest.raises(ValueError, match="executor='inline'"):
            sb.run(["cell-marginals"], ["simnet"], out=tmp_path / "local", executor="local")
        board = sb.run(["cell-marginals"], ["simnet"], out=tmp_path / "inline", executor="inline", metrics=["jsd"])
        assert (board.frame["status"] == "ok").all()
        assert registry.generators.get("cell-marginals") is cls          # the decorator's registration is back
        assert registry.generators.entry("cell-marginals").source == "decorator"
    finally:
        registry.generators.unregister("cell-marginals")


@pytest.mark.slow
def test_leaderboard_renders_markdown_and_the_html_report_of_its_run(tmp_path):
    pytest.importorskip("matplotlib")
    board = sb.run(["marginals"], ["simnet"], out=tmp_path / "run", executor="inline", metrics=["jsd", "emd"])
    again = sb.Leaderboard.from_run(tmp_path / "run")
    pd.testing.assert_frame_equal(board.frame, again.frame)
    assert board.to_markdown().startswith("### simnet") and "| marginals |" in board.to_markdown()
    path = board.report(tmp_path / "out.html")
    assert path == tmp_path / "out.html" and "marginals" in path.read_text(encoding="utf-8")

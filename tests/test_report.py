"""The HTML report: every section for a small run, failures shown, missing data explained, the CLI verb."""
from __future__ import annotations

import base64
import re
import shutil

import pytest

pytest.importorskip("matplotlib")

from secgen_bench.cli import main  # noqa: E402
from secgen_bench.report.collect import RunView  # noqa: E402
from secgen_bench.report.html import SECTION_IDS, render  # noqa: E402
from secgen_bench.runner.executor import LocalExecutor  # noqa: E402
from secgen_bench.runner.plan import protocol_for  # noqa: E402
from secgen_bench.datasets.loading import DatasetSource  # noqa: E402
from secgen_bench.runner.request import RunRequest  # noqa: E402
from secgen_bench.runner.run import run_benchmark  # noqa: E402
from tests.conftest import registered_test_plugins  # noqa: E402


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """reference + marginals + copycat + crasher (fails in sample) on the tiny dataset, 2 seeds."""
    with registered_test_plugins():
        out = tmp_path_factory.mktemp("report") / "run"
        proto = protocol_for("quick", seeds=(0, 1), sample_size=100, timeout_s=120)
        run_benchmark(RunRequest(["marginals", "copycat", "crasher"], [DatasetSource("tiny")], proto, out,
                                 profile="quick", metrics=["mean-bytes-gap", "dkc", "acf"], use_cache=False),
                      LocalExecutor(2))
    return out


def sections(page: str) -> dict[str, str]:
    parts = re.findall(r'<section id="([^"]+)">(.*?)</section>', page, flags=re.S)
    return dict(parts)


def test_every_section_present_with_its_plots(run_dir, tmp_path):
    out = tmp_path / "report.html"
    assert main(["report", str(run_dir), "-o", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    found = sections(page)
    assert list(found) == SECTION_IDS
    for sid in ("marginals", "correlations", "dkc", "temporal", "resources", "metric-bars"):
        assert "section-error" not in found[sid], found[sid][:500]
    # the leaderboard: one sortable table with a row per generator and the failed one marked ERROR
    table = re.search(r'<table class="leaderboard sortable".*?</table>', found["leaderboard"], flags=re.S).group(0)
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table.split("<tbody>")[1], flags=re.S)
    assert [re.findall(r"<td[^>]*>(.*?)</td>", r)[1] for r in rows][0] == "reference"
    assert [re.findall(r"<td[^>]*>(.*?)</td>", r)[:2] for r in rows][1] == ["", "bootstrap"]   # unnumbered
    assert re.findall(r"<td[^>]*>(.*?)</td>", rows[2])[0] == "1"
    assert len(rows) == 5
    crasher = next(r for r in rows if ">crasher<" in r)
    assert crasher.count('class="failed"') == 3 and "ERROR" in crasher
    # every scored cell carries its interval, hidden until the toggle is ticked
    assert 'id="show-ci"' in found["leaderboard"]
    n_scored = sum(len(re.findall(r'<td(?: class="partial")? data-sort="[^"]+">[^<]*±', r)) for r in rows)
    assert n_scored == 12 and table.count('<span class="ci">(95% CI ') == n_scored   # 5 rows x 3 metrics - 3 failed
    # critical difference: 2 seeds x 1 dataset = 2 blocks, 3 generators: the Friedman line and the SVG diagram
    cd = found["critical-difference"]
    assert "Friedman" in cd and "Demsar 2006" in cd and "2 (dataset, seed) pairs" in cd
    svg = re.search(r'<svg class="cd-diagram".*?</svg>', cd, flags=re.S).group(0)
    assert sorted(re.findall(r'<text class="cd-name"[^>]*>([^ <]+) \(', svg)) == ["copycat", "crasher", "marginals"]
    assert "CD = " in svg
    # plots: 3 metric bar charts, one marginal per column (9), correlations per generator with a sample (4:
    # reference, bootstrap, copycat, marginals), DKC heatmap, one ACF grid, one resource chart
    counts = {k: page.count(f'data-plot="{k}"') for k in
              ("metric-bars", "marginal", "correlation", "dkc", "acf", "resources")}
    assert counts == {"metric-bars": 3, "marginal": 9, "correlation": 4, "dkc": 1, "acf": 1, "resources": 1}
    for blob in re.findall(r'src="data:image/png;base64,([^"]+)"', page):
        assert base64.b64decode(blob)[:8] == b"\x89PNG\r\n\x1a\n"
    # the crasher has no sample: said so where samples are drawn
    assert "No sample to draw for: crasher (ERROR)" in found["marginals"]
    # DKC per-rule table lists the physical rules with their descriptions
    assert "tcp-to-udp-only-port" in found["dkc"] and "UDP-only service port" in found["dkc"]
    # metadata: seeds and versions from run.json
    assert "pandas" in found["metadata"] and re.search(r"<th>seeds</th><td>0, 1</td>", found["metadata"])
    # self-contained: nothing fetched from elsewhere
    assert not re.search(r'(src|href)="(https?:)?//', page) and "<script src" not in page


def test_missing_data_is_explained_not_fatal(run_dir, tmp_path):
    broken = tmp_path / "run"
    shutil.copytree(run_dir, broken)
    (broken / "run.json").unlink()
    for data in (broken / "data").iterdir():
        (data / "train.parquet").unlink()
    for rec in broken.glob("jobs/*/metrics/dkc.json"):
        rec.unlink()
    found = sections(render(RunView(broken)))
    assert list(found) == SECTION_IDS
    assert "section-error" not in "".join(found.values())
    assert "train.parquet / schema.json) is missing" in found["marginals"]
    assert "train.parquet / schema.json) is missing" in found["correlations"]
    assert "train.parquet / schema.json) is missing" in found["temporal"]
    assert "no DKC records" in found["dkc"]
    assert "run.json is missing" in found["metadata"] and "train.parquet is missing" in found["metadata"]
    assert "ERROR" in found["leaderboard"]


def test_one_seed_explains_why_there_is_no_critical_difference_diagram(run_dir, tmp_path):
    one_seed = tmp_path / "run"
    shutil.copytree(run_dir, one_seed)
    for job in one_seed.glob("jobs/*--s1--*"):
        shutil.rmtree(job)
    cd = sections(render(RunView(one_seed)))["critical-difference"]
    assert "<svg" not in cd and "needs at least 2" in cd and "1 (dataset, seed) block" in cd


def test_run_without_any_job_record_still_renders(tmp_path):
    (tmp_path / "empty" / "jobs").mkdir(parents=True)
    found = sections(render(RunView(tmp_path / "empty")))
    assert list(found) == SECTION_IDS
    assert "No metric records yet" in found["leaderboard"]
    assert "nothing to compare" in found["critical-difference"]
    assert "section-error" not in "".join(found.values())


def test_report_defaults_to_the_run_directory_and_refuses_a_missing_one(tmp_path, capsys):
    run = tmp_path / "run"
    (run / "jobs").mkdir(parents=True)   # an empty run: quick to draw
    assert main(["report", str(run)]) == 0
    assert (run / "report.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert main(["report", str(tmp_path / "nope")]) == 2
    assert "no such run directory" in capsys.readouterr().err
    (tmp_path / "not-a-run").mkdir()
    assert main(["report", str(tmp_path / "not-a-run")]) == 2
    assert "not a run directory" in capsys.readouterr().err


def test_pareto_front_and_the_quality_vs_fit_time_plot():
    from secgen_bench.leaderboard import board_from_frame
    from secgen_bench.report import html as report_html
    from secgen_bench.report import plots
    from tests.test_leaderboard import frame, rec

    points = {"fast-bad": (1.0, 4.0), "slow-good": (100.0, 1.0), "dominated": (50.0, 5.0), "middle": (10.0, 2.0)}
    assert plots.pareto_front(points) == ["fast-bad", "middle", "slow-good"]
    board = board_from_frame("d", frame([rec("a", "jsd", "lower", 0.1), rec("b", "jsd", "lower", 0.3),
                                         rec("c", "jsd", "lower", 0.2)]), info={
        "a": {"fit_s": 30.0, "budget": {"converged": False, "text": "25/300 ep ✗"}},
        "b": {"fit_s": 0.5}, "c": {"fit_s": None}})
    section = report_html._pareto(board, ["a", "b", "c"])
    assert 'data-plot="pareto"' in section and "Pareto front" in section and "front (no other generator is both faster and better ranked): b, a." in section
    assert "no quality-vs-fit-time plot" in report_html._pareto(board, ["a", "c"])

"""What the runner refuses or distrusts: a resume that changes the plan, paths outside the run, stale samples."""
import json
import shutil
from dataclasses import replace

import pandas as pd
import pytest

from secgen_bench import leaderboard
from secgen_bench.errors import RunError
from secgen_bench.runner.run import run_benchmark
from secgen_bench.cache import cache_dir
from tests.plugins import Copycat
from tests.test_runner import jobs_by_generator, request


def test_resume_refuses_a_different_plan_unless_extended(plugins, tmp_path, monkeypatch):
    out = tmp_path / "run"
    run_benchmark(request(out, ["copycat"], seeds=(0,), use_cache=False))
    with pytest.raises(RunError, match=r"job reference--tiny--s1--\w+ is not in the run's plan; pass --extend to "
                                       r"add the 3 new jobs"):
        run_benchmark(request(out, ["copycat"], seeds=(0, 1), resume=True))
    more_repeats = request(out, ["copycat"], seeds=(0,), resume=True)
    more_repeats.protocol = replace(more_repeats.protocol, repeats=3)
    with pytest.raises(RunError, match="protocol has repeats=2, this one repeats=3"):
        run_benchmark(more_repeats)
    with monkeypatch.context() as patch:
        patch.setattr(Copycat, "version", "9.9")
        with pytest.raises(RunError, match="differs from the run's copycat--tiny--s0--"):
            run_benchmark(request(out, ["copycat"], seeds=(0,), resume=True))
    assert len(json.loads((out / "run.json").read_text())["jobs"]) == 3     # nothing was changed
    events = []
    run_benchmark(request(out, ["copycat"], seeds=(0, 1), resume=True, extend=True), on_event=events.append)
    assert [e.kind for e in events].count("skipped") == 3
    assert len(json.loads((out / "run.json").read_text())["jobs"]) == 6
    # resuming part of the plan keeps the whole plan
    run_benchmark(request(out, ["copycat"], seeds=(1,), resume=True))
    plan = json.loads((out / "run.json").read_text())
    assert len(plan["jobs"]) == 6 and plan["generators"] == ["copycat"]
    with pytest.raises(RunError, match="--extend adds jobs to a run: it needs --resume"):
        run_benchmark(request(tmp_path / "other", ["copycat"], extend=True))


def test_the_leaderboard_holds_the_plans_jobs_only(plugins, tmp_path):
    out = tmp_path / "run"
    store = run_benchmark(request(out, ["copycat"], use_cache=False))
    key = jobs_by_generator(store)["copycat"]["job_key"]
    stray = store.job_dir(key.replace("copycat", "stray"))
    shutil.copytree(store.job_dir(key), stray)
    for path in [stray / "job.json", *(stray / "metrics").glob("*.json")]:
        rec = json.loads(path.read_text())
        rec["generator"]["name"] = "stray"
        path.write_text(json.dumps(rec))
    (board,) = leaderboard.build(out)
    assert set(board.rows) == {"reference", "bootstrap", "copycat"}
    from secgen_bench.report.collect import RunView

    view = RunView(out)   # the report reads the same jobs as the leaderboard
    assert {r["generator"]["name"] for r in view.job_records} == {"reference", "bootstrap", "copycat"}
    assert set(view.metric_frame()["generator"]) == {"reference", "bootstrap", "copycat"}


def test_a_job_folder_that_leaves_the_run_directory_is_refused(plugins, tmp_path):
    out = tmp_path / "run"
    store = run_benchmark(request(out, ["copycat"], use_cache=False))
    key = jobs_by_generator(store)["copycat"]["job_key"]
    outside = tmp_path / "outside"
    store.job_dir(key).rename(outside)
    (outside / "job.json").unlink()                        # so that the resumed run would redo the job
    store.job_dir(key).symlink_to(outside, target_is_directory=True)
    with pytest.raises(RunError, match=f"job folder .*{key}.* outside"):
        run_benchmark(request(out, ["copycat"], use_cache=False, resume=True))
    assert not (outside / "job.json").exists()


def test_a_cached_sample_that_breaks_the_contract_is_regenerated(plugins, tmp_path):
    a = run_benchmark(request(tmp_path / "a", ["copycat"]))
    key = jobs_by_generator(a)["copycat"]["job_key"]
    cached = cache_dir() / "synthetic" / f"{key}.csv"
    full = pd.read_csv(cached)
    full.head(10).to_csv(cached, index=False)          # too few rows, still a readable table
    b = run_benchmark(request(tmp_path / "b", ["copycat"]))
    job = jobs_by_generator(b)["copycat"]
    assert job["status"] == "ok" and job["reused_synthetic"] is False
    assert len(pd.read_csv(b.job_dir(key) / "synthetic.csv")) == len(full)


def test_the_cli_refuses_extend_without_resume(capsys):
    from secgen_bench.cli import main

    assert main(["run", "-g", "marginals", "--quick", "--extend", "--no-progress"]) == 2
    assert "--extend adds jobs to a run: use it with --resume --out DIR" in capsys.readouterr().err

"""Isolation, contract checks, records and resume of the runner, on tiny data."""
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from secgen_bench.runner.executor import LocalExecutor
from secgen_bench.runner.plan import protocol_for
from secgen_bench.datasets.loading import DatasetSource
from secgen_bench.errors import RunError
from secgen_bench.runner.request import RunRequest
from secgen_bench.runner.run import run_benchmark
from secgen_bench.runner.store import RunStore

REPO = Path(__file__).resolve().parent.parent


def request(out, generators, **kw):
    proto = protocol_for("quick", seeds=kw.pop("seeds", (0,)), timeout_s=kw.pop("timeout_s", 60),
                         memory_limit_mb=kw.pop("memory_limit_mb", None), sample_size=50)
    return RunRequest(generators=generators, datasets=[DatasetSource("tiny")], protocol=proto, out=out,
                      profile="quick", metrics=["mean-bytes-gap"], **kw)


def jobs_by_generator(store):
    return {r["generator"]["name"]: r for r in store.job_records()}


def test_failures_are_isolated_and_recorded(plugins, tmp_path):
    gens = ["copycat", "crasher", "sleeper", "wrong-columns", "wrong-dtype", "exiter", "memory-hog"]
    store = run_benchmark(request(tmp_path / "run", gens, timeout_s=8, memory_limit_mb=700), LocalExecutor(2))
    jobs = jobs_by_generator(store)
    assert jobs["reference"]["status"] == "ok" and jobs["copycat"]["status"] == "ok"
    assert jobs["crasher"]["status"] == "error" and jobs["crasher"]["phase"] == "sample"
    assert "RuntimeError: boom in sample" in jobs["crasher"]["error"]
    assert jobs["sleeper"]["status"] == "timeout" and jobs["sleeper"]["phase"] == "fit"
    assert jobs["wrong-columns"]["phase"] == "check" and "missing column 'bytes'" in jobs["wrong-columns"]["error"]
    assert "'dport' has dtype float64, training dtype is int64" in jobs["wrong-dtype"]["error"]
    assert jobs["exiter"]["status"] == "error" and "exit code 3" in jobs["exiter"]["error"]
    assert jobs["memory-hog"]["status"] == "error" and "memory limit exceeded" in jobs["memory-hog"]["error"]
    assert jobs["memory-hog"]["resources"]["peak_rss_mb"] > 700
    assert jobs["copycat"]["resources"]["peak_rss_mb"] > 10
    assert jobs["copycat"]["timings"]["fit_s"] >= 0
    # one record per (job, metric), failures included, never a silent NaN
    recs = {(r["generator"]["name"], r["metric"]): r for r in store.metric_records()}
    assert len(recs) == len(gens) + 2   # the reference and bootstrap rows too
    ok = recs[("copycat", "mean-bytes-gap")]
    assert ok["status"] == "ok" and 0 <= ok["value"] < 0.5 and len(ok["values"]) == 2
    assert ok["direction"] == "lower" and ok["environment"]["python"]
    assert recs[("sleeper", "mean-bytes-gap")]["status"] == "timeout"
    assert recs[("sleeper", "mean-bytes-gap")]["value"] is None
    assert (store.job_dir(jobs["copycat"]["job_key"]) / "synthetic.csv").exists()


def test_reference_row_scores_holdout_like_a_generator(plugins, tmp_path):
    store = run_benchmark(request(tmp_path / "run", ["copycat"]))
    ref = [r for r in store.metric_records() if r["generator"]["name"] == "reference"][0]
    assert ref["status"] == "ok" and ref["value"] >= 0


def test_resume_skips_finished_jobs_and_refuses_to_overwrite(plugins, tmp_path):
    out = tmp_path / "run"
    store = run_benchmark(request(out, ["copycat"], seeds=(0, 1)))
    first = {r["job_key"]: r["finished_at"] for r in store.job_records()}
    assert len(first) == 6   # copycat, reference, bootstrap x 2 seeds
    with pytest.raises(RunError, match="already holds results; pass --resume"):
        run_benchmark(request(out, ["copycat"], seeds=(0, 1)))
    events = []
    run_benchmark(request(out, ["copycat"], seeds=(0, 1), resume=True), on_event=events.append)
    assert [e.kind for e in events].count("skipped") == 6
    assert {r["job_key"]: r["finished_at"] for r in store.job_records()} == first
    # a job whose record is gone is redone, the others are not
    victim = sorted(first)[0]
    store.job_record_path(victim).unlink()
    time.sleep(1.1)
    run_benchmark(request(out, ["copycat"], seeds=(0, 1), resume=True))
    again = {r["job_key"]: r["finished_at"] for r in store.job_records()}
    assert again[victim] != first[victim]
    assert all(again[k] == first[k] for k in first if k != victim)


def test_same_seed_same_synthetic_and_metric_values(plugins, tmp_path):
    a = run_benchmark(request(tmp_path / "a", ["copycat"], use_cache=False))
    b = run_benchmark(request(tmp_path / "b", ["copycat"], use_cache=False))
    ka = jobs_by_generator(a)["copycat"]["job_key"]
    kb = jobs_by_generator(b)["copycat"]["job_key"]
    assert ka == kb
    assert (a.job_dir(ka) / "synthetic.csv").read_bytes() == (b.job_dir(kb) / "synthetic.csv").read_bytes()
    assert a.metric_record(ka, "mean-bytes-gap")["values"] == b.metric_record(kb, "mean-bytes-gap")["values"]


def test_cache_reuses_synthetic_data_across_runs(plugins, tmp_path):
    run_benchmark(request(tmp_path / "a", ["copycat"]))
    b = run_benchmark(request(tmp_path / "b", ["copycat"]))
    assert jobs_by_generator(b)["copycat"]["reused_synthetic"] is True


KILL_SCRIPT = textwrap.dedent("""
    import sys
    from tests.plugins import IndependentMarginals
    from secgen_bench.runner.plan import protocol_for
    from secgen_bench.datasets.loading import DatasetSource
    from secgen_bench.runner.request import RunRequest
    from secgen_bench.runner.run import run_benchmark
    from tests.conftest import registered_test_plugins
    proto = protocol_for("quick", seeds=(0, 1, 2, 3), sample_size=50)
    with registered_test_plugins({"slowpoke": "tests.slow_plugins:Slowpoke"}):
        run_benchmark(RunRequest(["slowpoke"], [DatasetSource("tiny")], proto, sys.argv[1], profile="quick",
                                 metrics=["mean-bytes-gap"], resume="--resume" in sys.argv))
""")


def test_run_killed_midway_loses_no_finished_job(tmp_path):
    out = tmp_path / "run"
    script = tmp_path / "driver.py"
    script.write_text(KILL_SCRIPT)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, str(script), str(out)], cwd=REPO, env=env, start_new_session=True)
    store = RunStore(out)
    deadline = time.time() + 120
    while time.time() < deadline and len(list(store.job_records())) < 5:
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    before = {r["job_key"]: r["finished_at"] for r in store.job_records()}
    assert 5 <= len(before) < 12, "the kill should land midway"
    subprocess.run([sys.executable, str(script), str(out), "--resume"], cwd=REPO, env=env, check=True, timeout=300)
    after = {r["job_key"]: r["finished_at"] for r in store.job_records()}
    assert len(after) == 12 and all(r["status"] == "ok" for r in store.job_records())
    assert all(after[k] == v for k, v in before.items()), "finished jobs must not be redone"
    assert not list(out.rglob("*.tmp")), "no half-written file may survive"


def test_bootstrap_row_resamples_training_rows_with_the_job_seed(plugins, tmp_path):
    from secgen_bench.runner.prepare import load_prepared
    from secgen_bench.runner.samples import read_synthetic

    store = run_benchmark(request(tmp_path / "run", ["copycat"], seeds=(0, 1)))
    boot = sorted((r for r in store.job_records() if r["generator"]["name"] == "bootstrap"), key=lambda r: r["seed"])
    assert [r["status"] for r in boot] == ["ok", "ok"]
    train, _, schema = load_prepared(store.data_dir(boot[0]["dataset"]["key"]))
    dtypes = {c: str(t) for c, t in train.dtypes.items()}
    samples = [read_synthetic(store.job_dir(r["job_key"]) / "synthetic.csv", schema, dtypes) for r in boot]
    assert all(len(s) == r["n_synthetic"] for s, r in zip(samples, boot))
    exact = [c for c in train.columns if train[c].dtype.kind in "iuOb"]   # survive the CSV round trip bit for bit
    rows = set(map(tuple, train[exact].to_numpy()))
    assert all(set(map(tuple, s[exact].to_numpy())) <= rows for s in samples), "only training rows"
    assert samples[0].duplicated().any(), "drawn with replacement"
    assert not samples[0].equals(samples[1]), "each seed draws its own sample"
    recs = [r for r in store.metric_records() if r["generator"]["name"] == "bootstrap"]
    assert recs and all(r["status"] == "ok" for r in recs)


def test_an_iterative_generator_records_its_budget_in_job_json_and_the_board(plugins, tmp_path):
    from secgen_bench import leaderboard

    store = run_benchmark(request(tmp_path / "run", ["copycat", "flowchronicle"]))
    jobs = jobs_by_generator(store)
    budget = jobs["flowchronicle"]["budget"]
    assert budget["units"] == "rounds" and budget["done"] >= 1 and budget["criterion"]
    assert budget["converged"] is (budget["stopped"] == "converged") and budget["wall_s"] > 0
    assert "budget" not in jobs["copycat"] and "budget" not in jobs["bootstrap"]
    board = leaderboard.build(store.root)[0]
    assert board.info["flowchronicle"]["budget"]["text"].startswith(f"{budget['done']} rd ")
    assert "| budget |" in leaderboard.to_markdown([board])

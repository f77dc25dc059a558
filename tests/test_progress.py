"""Run progress: a line per running job with its phase, an ETA from the jobs done, cached jobs marked with their
original times (kept in the record), no source links."""
import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from secgen_bench.progress import RunProgress, RunTracker, duration
from secgen_bench.runner.plan import DatasetRef, GeneratorRef, Job
from secgen_bench.runner.request import RunEvent



@pytest.fixture
def copycat():
    """The tiny dataset, its metric and a generator that fits in no time (from tests.plugins), for one test."""
    from secgen_bench import registry

    registry.generators.register("copycat", "tests.plugins:Copycat", source="test")
    registry.datasets.register("tiny", "tests.plugins:TinyDataset", source="test")
    registry.metrics.register("mean-bytes-gap", "tests.plugins:MeanBytesGap", source="test")
    yield
    registry.generators.unregister("copycat")
    registry.datasets.unregister("tiny")
    registry.metrics.unregister("mean-bytes-gap")


def tiny_run(out):
    from secgen_bench.datasets.loading import DatasetSource
    from secgen_bench.runner.plan import protocol_for
    from secgen_bench.runner.request import RunRequest

    proto = protocol_for("quick", seeds=(0,), timeout_s=60, sample_size=50)
    return RunRequest(generators=["copycat"], datasets=[DatasetSource("tiny")], protocol=proto, out=out,
                      profile="quick", metrics=["mean-bytes-gap"])


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def job(gen: str, seed: int = 0) -> Job:
    ref = GeneratorRef(gen, f"tests.plugins:{gen}", "1", {}, "h")
    return Job(ref, DatasetRef("simnet", "k", 10, 5), seed, 10, "quick")


def start(tracker_or_progress, j, workdir: Path, cached=False):
    workdir.mkdir(parents=True, exist_ok=True)
    tracker_or_progress.event(RunEvent("started", job=j, workdir=workdir, cached=cached))


def test_running_jobs_show_phase_and_elapsed_and_the_run_an_eta(tmp_path):
    clock = Clock()
    t = RunTracker(clock)
    a, b, c = job("tvae"), job("ctgan"), job("tvae", seed=1)
    for j in (a, b, c):
        start(t, j, tmp_path / j.key)
    t.event(RunEvent("planned", total=3))
    assert t.lines() == ["0/3 jobs done, 0 running, 3 queued; elapsed 0.0s, ETA after the first job"]
    (tmp_path / a.key / ".phase").write_text("fit")
    assert t.lines()[0].split() == ["tvae", "on", "simnet", "seed", "0", "fit", "0.0s"]
    clock.now += 30
    (tmp_path / a.key / ".phase").write_text("evaluate")   # the job's name for the metrics phase
    assert t.lines()[0].endswith("tvae on simnet seed 0  metrics  30s")
    (tmp_path / a.key / ".phase").unlink()
    (tmp_path / a.key / "job.json").write_text(json.dumps({"timings": {"wall_s": 30.2, "fit_s": 25.0, "sample_s": 2.0}}))
    line = t.event(RunEvent("finished", job=a, status="ok"))
    assert line == "OK      tvae on simnet seed 0 in 30s (fit 25s, sample 2.0s) [1/3, ETA 1m00s]"
    (tmp_path / b.key / ".phase").write_text("sample")
    clock.now += 30
    assert t.lines()[-1] == "1/3 jobs done, 1 running, 1 queued; elapsed 1m00s, ETA 2m00s"
    assert "ctgan on simnet seed 0  sample" in t.lines()[0]


def test_a_stale_phase_file_of_an_earlier_run_is_not_a_running_job(tmp_path):
    import os

    t = RunTracker(Clock())
    a = job("tvae")
    start(t, a, tmp_path / a.key)
    (tmp_path / a.key / ".phase").write_text("fit")
    os.utime(tmp_path / a.key / ".phase", (t.opened - 3600, t.opened - 3600))
    t.event(RunEvent("planned", total=1))
    assert t.running() == []


def test_cached_jobs_are_marked_with_the_fit_time_of_the_run_that_made_the_sample(tmp_path):
    t = RunTracker(Clock())
    a = job("tvae")
    start(t, a, tmp_path / a.key, cached=True)
    t.event(RunEvent("planned", total=1))
    (tmp_path / a.key / ".phase").write_text("evaluate")
    assert "metrics (cached sample)" in t.lines()[0]
    (tmp_path / a.key / "job.json").write_text(json.dumps({"timings": {"wall_s": 1.0, "fit_s": 95.0}}))
    line = t.event(RunEvent("finished", job=a, status="ok"))
    assert line == "OK      tvae on simnet seed 0 in 1.0s (cached sample; fit 1m35s when made) [1/1]"


def test_plain_progress_prints_one_line_per_finished_job_and_the_live_one_no_source_links(tmp_path, capsys):
    a = job("tvae")
    with RunProgress(enabled=False) as p:
        start(p, a, tmp_path / a.key)
        p.event(RunEvent("planned", total=1))
        p.event(RunEvent("finished", job=a, status="error", message="boom in fit"))
    out = capsys.readouterr().out.splitlines()
    assert out == ["1 job(s) to run", "ERROR   tvae on simnet seed 0 [1/1]: boom in fit"]
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=80, color_system=None)
    with RunProgress(enabled=True, console=console) as p:
        start(p, a, tmp_path / a.key)
        p.event(RunEvent("planned", total=1))
        (tmp_path / a.key / ".phase").write_text("fit")
        console.print(p)   # what the live display draws
        p.event(RunEvent("finished", job=a, status="ok"))
    text = screen.getvalue()
    assert "tvae on simnet seed 0  fit" in text and "0/1 jobs done, 1 running" in text
    assert "OK      tvae on simnet seed 0" in text and ".py:" not in text


def test_durations_read_short():
    assert [duration(s) for s in (None, 4.4, 65, 3725)] == ["-", "4.4s", "1m05s", "1h02m"]


def test_a_run_that_reuses_a_cached_sample_keeps_the_original_times(copycat, tmp_path):
    from secgen_bench.runner.run import run_benchmark

    def copycat_record(store):
        return next(r for r in store.job_records() if r["generator"]["name"] == "copycat")

    first = copycat_record(run_benchmark(tiny_run(tmp_path / "a")))
    events = []
    again = copycat_record(run_benchmark(tiny_run(tmp_path / "b"), on_event=events.append))
    assert again["reused_synthetic"] is True and first["timings"]["fit_s"] is not None
    assert again["timings"]["fit_s"] == first["timings"]["fit_s"]
    assert again["timings"]["sample_s"] == first["timings"]["sample_s"]
    started = {e.job.generator.name: e for e in events if e.kind == "started"}
    assert started["copycat"].cached and not started["reference"].cached
    assert started["copycat"].workdir == tmp_path / "b" / "jobs" / started["copycat"].job.key

"""The Ray executor on a real local Ray cluster: same records as the local executor, retries only infrastructure."""
from __future__ import annotations

import hashlib
import os
import signal
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from secgen_bench.generators.marginals import IndependentMarginals
from secgen_bench.runner.executor import LocalExecutor
from secgen_bench.runner.plan import protocol_for
from secgen_bench.datasets.loading import DatasetSource
from secgen_bench.runner.request import RunRequest
from secgen_bench.runner.run import run_benchmark

EXTRA_GENERATORS = {  # registered by the conftest ``plugins`` fixture beside the test plugins
    "counting-crasher": "tests.test_ray_executor:CountingCrasher",
    "worker-killer": "tests.test_ray_executor:WorkerKiller",
}


@dataclass(frozen=True)
class MarkerConfig:
    marker: str = ""   # a folder where each attempt leaves a file


def _attempt(marker: str) -> int:
    """Leave one file per attempt in ``marker``; return how many attempts there were before this one."""
    folder = Path(marker)
    before = len(list(folder.glob("attempt-*")))
    (folder / f"attempt-{os.getpid()}").write_text("")
    return before


class CountingCrasher(IndependentMarginals):
    """A generator error: fails in sample, every attempt counted (it must run once only)."""

    name = "counting-crasher"
    Config = MarkerConfig

    def _sample(self, n, *, seed):
        _attempt(self.config.marker)
        raise RuntimeError("boom in sample")


class WorkerKiller(IndependentMarginals):
    """An infrastructure failure: the first attempt kills its Ray worker process (the job's parent)."""

    name = "worker-killer"
    Config = MarkerConfig

    def _fit(self, table, schema, *, seed):
        if _attempt(self.config.marker) == 0:
            os.kill(os.getppid(), signal.SIGKILL)
            os._exit(1)
        super()._fit(table, schema, seed=seed)


@pytest.fixture(scope="module")
def ray_cluster():
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


def request(out, generators, seeds=(0, 1), **kw):
    proto = protocol_for("quick", seeds=seeds, timeout_s=60, sample_size=50)
    return RunRequest(generators=generators, datasets=[DatasetSource("tiny")], protocol=proto, out=out,
                      profile="quick", metrics=["mean-bytes-gap"], use_cache=False, **kw)


def snapshot(store):
    """Everything that must not depend on the executor: per job, its status and values and sample bytes."""
    out = {}
    for job in store.job_records():
        key = job["job_key"]
        metric = store.metric_record(key, "mean-bytes-gap")
        sample = store.job_dir(key) / "synthetic.csv"
        out[key] = (job["status"], job["phase"], job["error"], metric["status"], metric["value"], metric.get("values"),
                    metric.get("breakdown"), sample.read_bytes() if sample.exists() else None)
    return out


def test_ray_records_equal_local_executor(ray_cluster, plugins, tmp_path):
    from secgen_bench.runner.ray_executor import RayExecutor

    gens = ["copycat", "crasher"]
    local = snapshot(run_benchmark(request(tmp_path / "local", gens), LocalExecutor(2)))
    on_ray = snapshot(run_benchmark(request(tmp_path / "ray", gens), RayExecutor()))
    assert len(local) == 8  # reference, bootstrap, copycat, crasher x 2 seeds
    assert on_ray == local
    by_gen = {k.split("--")[0]: v for k, v in on_ray.items()}
    assert by_gen["copycat"][0] == "ok" and by_gen["copycat"][7] and by_gen["copycat"][4] < 0.5
    assert by_gen["crasher"][:2] == ("error", "sample") and "RuntimeError: boom in sample" in by_gen["crasher"][2]
    assert by_gen["crasher"][3] == "error" and by_gen["crasher"][4] is None
    # the driver still owns the cluster it did not start
    assert ray_cluster.is_initialized()


def test_generator_error_is_not_retried(ray_cluster, plugins, tmp_path):
    from secgen_bench.runner.ray_executor import RayExecutor

    marker = tmp_path / "attempts"
    marker.mkdir()
    req = request(tmp_path / "run", ["counting-crasher"], seeds=(0,),
                  overrides={"counting-crasher": {"marker": str(marker)}})
    store = run_benchmark(req, RayExecutor(max_retries=2))
    job = {r["generator"]["name"]: r for r in store.job_records()}["counting-crasher"]
    assert job["status"] == "error" and "boom in sample" in job["error"]
    assert len(list(marker.glob("attempt-*"))) == 1


def test_lost_worker_is_retried_and_its_result_written(ray_cluster, plugins, tmp_path):
    from secgen_bench.runner.ray_executor import RayExecutor

    marker = tmp_path / "attempts"
    marker.mkdir()
    req = request(tmp_path / "run", ["worker-killer"], seeds=(0,),
                  overrides={"worker-killer": {"marker": str(marker)}})
    store = run_benchmark(req, RayExecutor(max_retries=2))
    job = {r["generator"]["name"]: r for r in store.job_records()}["worker-killer"]
    assert len(list(marker.glob("attempt-*"))) == 2
    assert job["status"] == "ok", job["error"]
    assert (store.job_dir(job["job_key"]) / "synthetic.csv").exists()
    assert store.metric_record(job["job_key"], "mean-bytes-gap")["status"] == "ok"
    # the crashed attempt's scratch files on the worker were cleared by the retry
    digest = hashlib.sha256(str(store.job_dir(job["job_key"])).encode()).hexdigest()[:16]
    assert not (Path(tempfile.gettempdir()) / "secgen-bench-ray" / digest).exists()


def test_resume_on_ray_skips_jobs_finished_by_the_local_executor(ray_cluster, plugins, tmp_path):
    from secgen_bench.runner.ray_executor import RayExecutor

    out = tmp_path / "run"
    run_benchmark(request(out, ["copycat"], seeds=(0,)), LocalExecutor(1))
    events = []
    run_benchmark(request(out, ["copycat"], seeds=(0, 1), resume=True, extend=True), RayExecutor(),
                  on_event=events.append)
    kinds = [e.kind for e in events]
    assert kinds.count("skipped") == 3 and kinds.count("finished") == 3


def test_bad_workers_is_refused():
    pytest.importorskip("ray")
    from secgen_bench.runner.ray_executor import RayExecutor

    with pytest.raises(ValueError, match="workers must be >= 1"):
        RayExecutor(workers=0)

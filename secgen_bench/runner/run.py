"""The driver: prepare each dataset, plan its track's jobs, skip finished ones, execute, write every record.

Data flows one way: dataset -> schema-checked table -> split (by the track)
-> jobs (each run in its own process by the track's job body) -> records in
the run directory. Only the driver writes records, atomically, as each job
finishes.
"""
from __future__ import annotations

import uuid
from dataclasses import asdict
from pathlib import Path
from typing import Callable, Iterator

from secgen_bench import __version__
from secgen_bench.datasets.base import LoadedData
from secgen_bench.errors import RunError
from secgen_bench.runner.environment import environment
from secgen_bench.runner.executor import Executor, LocalExecutor
from secgen_bench.runner.isolation import Outcome
from secgen_bench.runner.paths import child_of
from secgen_bench.runner.plan import BOOTSTRAP, PCAP, REFERENCE, UNRANKED, DatasetRef, Job, PlannedJob
from secgen_bench.runner.prepare import prepare_dataset
from secgen_bench.runner.real_baselines import add_real_baseline_notes
from secgen_bench.runner.records import metric_current, utc_now, write_records
from secgen_bench.runner.refs import bootstrap_ref, missing_roles, pcap_ref, reference_ref
from secgen_bench.runner.request import RunContext, RunEvent, RunRequest
from secgen_bench.runner.resume import check_protocol, merged_jobs, merged_plan
from secgen_bench.runner.samples import cache_sample, restore_cached_sample
from secgen_bench.runner.spec import JobSpec
from secgen_bench.runner.store import RunStore, read_json, write_json
from secgen_bench.runner.task import Task
from secgen_bench.tracks import track_of
from secgen_bench.tracks.base import Track

__all__ = ["run_benchmark", "plan_jobs"]


def run_benchmark(request: RunRequest, executor: Executor | None = None,
                  on_event: Callable[[RunEvent], None] | None = None) -> RunStore:
    """Execute ``request`` into ``request.out``; returns the store to build a leaderboard from."""
    executor = executor or LocalExecutor(1)
    emit = on_event or (lambda e: None)
    if request.extend and not request.resume:
        raise RunError("--extend adds jobs to a run: it needs --resume and the run's --out")
    store = _open_run_dir(request)
    previous = read_json(store.plan_path) if request.resume and store.plan_path.is_file() else None
    if previous is not None:
        check_protocol(previous, request.profile, request.protocol)
    ctx = RunContext(request, store, uuid.uuid4().hex[:12], environment())

    planned_jobs: list[PlannedJob] = []
    notes: dict[str, str] = {}
    dropped: dict[str, dict] = {}   # rows each loader left out, by reason (e.g. --drop-invalid's non-finite numbers)
    for source in request.datasets:
        track = track_of(source, request.track)
        ds_ref, data = prepare_dataset(store, source, request.protocol, request.profile, track)
        note = track.note(data)
        if note is not None:
            notes[ds_ref.label] = note
        if isinstance(data.meta.get("dropped"), dict):
            dropped[ds_ref.label] = {k: v for k, v in data.meta["dropped"].items() if isinstance(v, (int, float))}
        planned_jobs.extend(plan_jobs(request, track, ds_ref, data))
    plan_rows = [p.job.key for p in planned_jobs]
    if previous is not None:
        plan_rows = merged_jobs(previous, plan_rows, request.extend)
    planned_by_key = {p.job.key: p for p in planned_jobs}
    tasks = [t for t in (_task_for(ctx, p, emit) for p in planned_jobs) if t is not None]
    plan = {
        "run_id": ctx.run_id, "created": utc_now(), "profile": request.profile, "protocol": asdict(request.protocol),
        "generators": list(request.generators), "datasets": [asdict(d) for d in request.datasets],
        "metrics": list(request.metrics or []), "device": request.device, "jobs": plan_rows, "notes": notes,
        "dropped_rows": dropped,
        "config": request.config,   # what ``run --config RUN_DIR/run.json`` replays
        "secgen_bench": __version__, "environment": ctx.environment,
    }
    write_json(store.plan_path, merged_plan(previous, plan) if previous is not None else plan)
    emit(RunEvent("planned", total=len(tasks)))

    def done(task: Task, outcome: Outcome) -> None:
        planned = planned_by_key[task.key]
        write_records(ctx, planned, outcome)
        if outcome.status == "ok" and planned.cacheable:
            cache_sample(task.key, store.job_dir(task.key))
        emit(RunEvent("finished", job=planned.job, status=outcome.status, message=outcome.error or ""))

    executor.run(tasks, done)
    add_real_baseline_notes(store)   # what the utility metrics' real-trained models reached
    return store


def _open_run_dir(request: RunRequest) -> RunStore:
    store = RunStore(request.out)
    if store.root.exists() and any(store.root.glob("jobs/*/job.json")) and not request.resume:
        raise RunError(f"{store.root} already holds results; pass --resume to continue it or choose another --out")
    store.root.mkdir(parents=True, exist_ok=True)
    for stale in store.root.rglob(".*.tmp"):  # left by a run killed in the middle of a write
        stale.unlink()
    return store


def plan_jobs(request: RunRequest, track: Track, ds_ref: DatasetRef, data: LoadedData) -> Iterator[PlannedJob]:
    """The (plugin x seed) jobs of one prepared dataset, the reference and bootstrap rows first when the track has
    them."""
    metrics = track.metric_refs(request.metrics)
    metric_errors = {m.name: r for m, r in metrics if r}
    mrefs = tuple(m for m, _ in metrics)
    names = list(request.generators) or track.default_plugins()
    for name in list(track.unranked_rows()) + [n for n in names if n not in UNRANKED]:
        if name == REFERENCE:
            gref, reason = reference_ref(), None
        elif name == BOOTSTRAP:
            gref, reason = bootstrap_ref("sequences" if data.schema.by_role("sequence_id") else "rows"), None
        elif name == PCAP:
            gref, reason = pcap_ref()
        else:
            gref, reason = track.plugin_ref(name, request.profile, request.overrides.get(name, {}))
        not_applicable = None if name in UNRANKED or reason else missing_roles(name, data.schema)
        n_syn = track.n_synthetic(data, gref.unit, request.protocol)
        for seed in request.protocol.seeds:
            job = Job(gref, ds_ref, seed, n_syn, request.profile)
            child_of(Path(request.out) / "jobs", Path(request.out) / "jobs" / job.key, "job folder")  # before any write
            yield PlannedJob(job, track.name, mrefs, metric_errors, reason,
                             cacheable=(request.use_cache and not job.is_reference and not job.is_bootstrap and name != PCAP
                                        and track.caches_samples),
                             not_applicable=not_applicable)


def _task_for(ctx: RunContext, planned: PlannedJob, emit: Callable[[RunEvent], None]) -> Task | None:
    """The task that runs ``planned``, or None when nothing is left to run (finished, or cannot run)."""
    request, store, job = ctx.request, ctx.store, planned.job
    key = job.key
    job_dir = store.job_dir(key)              # both checked to stay inside the run (plan_jobs, prepare_dataset)
    data_dir = store.data_dir(job.dataset.key)
    previous = store.job_record(key) if request.resume else None
    runnable = [m for m in planned.metrics if m.name not in planned.metric_errors]
    if previous and previous.get("status") == "ok":
        missing = [m for m in runnable if not metric_current(store, key, m, request.protocol)]
        if not missing:
            emit(RunEvent("skipped", job=job, status="ok"))
            return None
        runnable = missing
    if planned.unavailable is not None:  # the generator cannot even be imported: record it, run nothing
        write_records(ctx, planned, Outcome("error", "load", error=f"generator unavailable: {planned.unavailable}"))
        emit(RunEvent("finished", job=job, status="error", message=planned.unavailable))
        return None
    if planned.not_applicable is not None:  # the dataset lacks a role the generator needs: n/a, not a failure
        write_records(ctx, planned, Outcome("n/a", "plan", error=planned.not_applicable))
        emit(RunEvent("finished", job=job, status="n/a", message=planned.not_applicable))
        return None
    reuse = bool(previous and previous.get("status") == "ok")
    if not reuse and planned.cacheable and restore_cached_sample(key, job_dir):
        reuse = True
    spec = JobSpec(
        job_key=key, track=planned.track, generator=job.generator.name, generator_target=job.generator.target,
        profile=request.profile, seed=job.seed, device=request.device, data_dir=str(data_dir),
        job_dir=str(job_dir), n_synthetic=job.n_synthetic, unit=job.generator.unit, reference=job.is_reference,
        reuse_output=reuse, repeats=request.protocol.repeats, sample_size=request.protocol.sample_size,
        holdout_fraction=request.protocol.holdout_fraction, overrides=job.generator.overrides,
        metrics=tuple(runnable),
    )
    emit(RunEvent("started", job=job, workdir=job_dir, cached=reuse))
    return Task(key, spec, job_dir, request.protocol.timeout_s, request.protocol.memory_limit_mb,
                uses_gpu=request.device != "cpu")

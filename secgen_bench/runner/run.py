"""The driver: prepare datasets, plan jobs, skip finished ones, execute, write every record.

Data flows one way: dataset -> schema-checked table -> split -> jobs (each
fit -> sample -> metrics in its own process) -> records in the run directory.
Only the driver writes records, atomically, as each job finishes.
"""
from __future__ import annotations

import shutil
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Sequence

from secgen_bench import __version__, registry
from secgen_bench.config import build_config, config_dict, config_hash
from secgen_bench.datasets.base import LoadedData
from secgen_bench.errors import RunError
from secgen_bench.runner.environment import environment
from secgen_bench.runner.executor import Executor, LocalExecutor, Task
from secgen_bench.runner.isolation import Outcome
from secgen_bench.runner.plan import (REFERENCE, DatasetRef, GeneratorRef, Job, MetricRef, Protocol, metric_key)
from secgen_bench.runner.store import RunStore, write_json, write_pickle
from secgen_bench.schema import table_fingerprint


@dataclass
class DatasetSource:
    name: str | None = None        # registry name (-d NAME)
    path: str | None = None        # user file (--data PATH)
    format: str = "auto"

    @property
    def label(self) -> str:
        return self.name or Path(self.path).name


@dataclass
class RunRequest:
    generators: Sequence[str]
    datasets: Sequence[DatasetSource]
    protocol: Protocol
    out: Path
    profile: str = "default"
    metrics: Sequence[str] | None = None       # None: every metric of the dataset's track
    resume: bool = False
    device: str = "cpu"
    overrides: dict[str, dict] = field(default_factory=dict)   # generator -> {option: value}
    use_cache: bool = True
    track: str | None = None


@dataclass
class RunEvent:
    kind: str            # "planned", "skipped", "started", "finished"
    job: Job | None = None
    status: str | None = None
    total: int = 0
    message: str = ""


def load_dataset(source: DatasetSource, profile: str, seed: int = 0, track: str | None = None) -> LoadedData:
    """The source's table for ``track`` (None: the dataset's own track)."""
    if source.path is not None:
        from secgen_bench.datasets.detect import load_path, sniff_format

        if track in (None, "flows"):
            return load_path(source.path, source.format, seed=seed, profile=profile)
        fmt = sniff_format(source.path) if source.format == "auto" else source.format
        if fmt in (None, "csv"):
            return load_path(source.path, source.format, seed=seed, profile=profile)
        return registry.datasets.get(fmt)().load_view(track, source.path, seed=seed, profile=profile)
    obj = registry.datasets.get(source.name)()
    return obj.load(seed=seed, profile=profile) if track is None else obj.load_view(track, seed=seed, profile=profile)


def prepare_dataset(store: RunStore, source: DatasetSource, protocol: Protocol, profile: str,
                    track: str | None = None) -> tuple[DatasetRef, LoadedData]:
    """Load, validate, split and store a dataset once per run (identified by its content)."""
    from secgen_bench.datasets.split import split_holdout

    data = load_dataset(source, profile, track=track)
    table = data.schema.validate(data.table, source=source.label)
    labels = data.schema.by_role("label")
    anomaly = (track or _dataset_track(source)) == ANOMALY_TRACK
    if labels and not anomaly:  # ground truth is never generated from: generators see the traffic columns only
        schema = data.schema.select([c for c in data.schema.names if c not in labels], name=data.schema.name)
        table = table[schema.names]
        data = LoadedData(table, schema, {**data.meta, "dropped_label_columns": labels})
    if anomaly:  # --- anomaly track: labels kept, normal-only train, test at the natural ratio ---
        train, holdout, data = _anomaly_split(table, data, source, protocol, profile)
    else:
        train, holdout = split_holdout(table, data.schema, protocol.holdout_fraction, seed=0, method=protocol.split)
    key = f"{source.label}-{table_fingerprint(train)[:8]}{table_fingerprint(holdout)[:8]}{data.schema.fingerprint()[:8]}"
    ref = DatasetRef(source.label, key, len(train), len(holdout))
    ddir = store.data_dir(key)
    if not (ddir / "schema.json").exists():
        write_pickle(ddir / "train.pkl", train)
        write_pickle(ddir / "holdout.pkl", holdout)
        write_json(ddir / "meta.json", {"label": source.label, "n_train": len(train), "n_holdout": len(holdout),
                                        "track": getattr(data, "track", None), **_plain(data.meta)})
        if anomaly:  # each detector job draws its own seed's split from the whole labelled table
            write_pickle(ddir / "table.pkl", table)
        write_json(ddir / "schema.json", data.schema.to_dict())
    return ref, LoadedData(train, data.schema, data.meta)


def _plain(meta: dict) -> dict:
    """Keep only JSON-friendly scalars/strings/short lists of a loader's meta."""
    out = {}
    for k, v in (meta or {}).items():
        if isinstance(v, (str, int, float, bool)) or v is None:
            out[k] = v
        elif isinstance(v, (list, tuple)) and len(v) <= 100 and all(isinstance(x, (str, int, float)) for x in v):
            out[k] = list(v)
    return out


# ---- anomaly track (detectors instead of generators; see secgen_bench/anomaly/track.py) ----------------
ANOMALY_TRACK = "anomaly"


def _anomaly_split(table, data: LoadedData, source: DatasetSource, protocol: Protocol, profile: str):
    """(train, test, data with the protocol in its meta) by secgen_bench.anomaly.protocol.

    The split of seed 0 identifies the dataset (its key) and fills train.pkl/holdout.pkl; the jobs split
    table.pkl again with their own seed.
    """
    from secgen_bench.anomaly.protocol import anomaly_split

    split = anomaly_split(table, data.schema, profile=profile, holdout_fraction=protocol.holdout_fraction, seed=0,
                          source=source.label)
    meta = {**data.meta, **{f"anomaly_{k}": v for k, v in split.description.items()}}
    return split.train, split.test, LoadedData(table, data.schema, meta)


def detector_ref(name: str, profile: str, overrides: dict) -> tuple[GeneratorRef, str | None]:
    """A detector in the job's generator slot (the records and leaderboard call it "generator")."""
    from secgen_bench.anomaly.track import detector_config

    target, version, config, _, reason = detector_config(name, profile, overrides)
    return GeneratorRef(name, target, version, config, config_hash(config), dict(overrides), "sequences"), reason


def anomaly_metric_refs(names: Sequence[str] | None) -> list[tuple[MetricRef, str | None]]:
    from secgen_bench.anomaly.track import METRIC_VERSION, METRICS, METRICS_TARGET, metric_names

    try:
        chosen = metric_names(names)
    except ValueError as exc:
        raise RunError(str(exc)) from None
    return [(MetricRef(n, METRICS_TARGET, METRIC_VERSION, METRICS[n][1]), None) for n in chosen]
# ---- end anomaly track --------------------------------------------------------------------------------


def _dataset_track(source: DatasetSource) -> str:
    if source.name is None:
        return "flows"
    cls = registry.datasets.peek(source.name)
    return getattr(cls, "track", "flows") if cls is not None else "flows"


def generator_ref(name: str, profile: str, overrides: dict) -> tuple[GeneratorRef, str | None]:
    """Resolve a generator's configuration; the second value is why it cannot run (or None)."""
    entry = registry.generators.entry(name)
    cls, reason = registry.generators.resolve(name)
    if cls is None or not hasattr(cls, "Config"):
        return GeneratorRef(name, entry.target, "?", {}, "unavailable"), reason or "cannot be imported"
    config = build_config(cls.Config, name, profile, getattr(cls, "PROFILES", {}), overrides)
    return GeneratorRef(name, entry.target, getattr(cls, "version", "?"), config_dict(config), config_hash(config),
                        dict(overrides), getattr(cls, "unit", "rows")), reason


def metric_refs(names: Sequence[str] | None, track: str) -> list[tuple[MetricRef, str | None]]:
    names = list(names) if names else [n for n in registry.metrics.names()
                                       if getattr(registry.metrics.peek(n), "track", "flows") == track
                                       and getattr(registry.metrics.peek(n), "default", True)]  # opt-in metrics
    out = []
    for name in names:
        entry = registry.metrics.entry(name)
        cls, reason = registry.metrics.resolve(name)
        direction = getattr(getattr(cls, "direction", None), "value", "lower")
        out.append((MetricRef(name, entry.target, getattr(cls, "version", "?"), direction,
                              bool(getattr(cls, "in_average_rank", True))), reason))
    return out


def generators_for_track(track: str) -> list[str]:
    return [n for n in registry.generators.names()
            if getattr(registry.generators.peek(n), "track", "flows") == track]


def run_benchmark(request: RunRequest, executor: Executor | None = None,
                  on_event: Callable[[RunEvent], None] | None = None) -> RunStore:
    """Execute ``request`` into ``request.out``; returns the store to build a leaderboard from."""
    executor = executor or LocalExecutor(1)
    emit = on_event or (lambda e: None)
    store = RunStore(request.out)
    if store.root.exists() and any(store.root.glob("jobs/*/job.json")) and not request.resume:
        raise RunError(f"{store.root} already holds results; pass --resume to continue it or choose another --out")
    store.root.mkdir(parents=True, exist_ok=True)
    for stale in store.root.rglob(".*.tmp"):  # left by a run killed in the middle of a write
        stale.unlink()
    run_id = uuid.uuid4().hex[:12]
    env = environment()

    tasks: list[Task] = []
    jobs_by_key: dict[str, tuple[Job, list[MetricRef], dict[str, str]]] = {}
    plan_rows = []
    notes: dict[str, str] = {}
    for source in request.datasets:
        track = request.track or _dataset_track(source)
        ds_ref, data = prepare_dataset(store, source, request.protocol, request.profile, request.track)
        anomaly = track == ANOMALY_TRACK
        if anomaly and "anomaly_protocol" in data.meta:
            notes[ds_ref.label] = data.meta["anomaly_protocol"]
        metrics = anomaly_metric_refs(request.metrics) if anomaly else metric_refs(request.metrics, track)
        metric_errors = {m.name: r for m, r in metrics if r}
        mrefs = [m for m, _ in metrics]
        gens = list(request.generators) or (registry.detectors.names() if anomaly else generators_for_track(track))
        for gname in ([] if anomaly else [REFERENCE]) + gens:   # detectors have no Reference row
            if gname == REFERENCE:
                gref, reason = GeneratorRef(REFERENCE, "", __version__, {}, "holdout"), None
            elif anomaly:
                gref, reason = detector_ref(gname, request.profile, request.overrides.get(gname, {}))
            else:
                gref, reason = generator_ref(gname, request.profile, request.overrides.get(gname, {}))
            n_syn = 0 if anomaly else _n_synthetic(data, gref.unit, request.protocol)
            for seed in request.protocol.seeds:
                job = Job(gref, ds_ref, seed, n_syn, request.profile)
                plan_rows.append(job.key)
                jobs_by_key[job.key] = (job, mrefs, metric_errors)
                task = _task_for(store, request, job, mrefs, metric_errors, reason, run_id, env, emit, track)
                if task is not None:
                    tasks.append(task)
    write_json(store.plan_path, {
        "run_id": run_id, "created": _now(), "profile": request.profile, "protocol": asdict(request.protocol),
        "generators": list(request.generators), "datasets": [asdict(d) for d in request.datasets],
        "metrics": list(request.metrics or []), "device": request.device, "jobs": plan_rows, "notes": notes,
        "secgen_bench": __version__, "environment": env,
    })
    emit(RunEvent("planned", total=len(tasks)))

    def done(task: Task, outcome: Outcome) -> None:
        job, mrefs, metric_errors = jobs_by_key[task.key]
        _write_records(store, request, job, mrefs, metric_errors, outcome, run_id, env, task.spec)
        emit(RunEvent("finished", job=job, status=outcome.status, message=outcome.error or ""))

    executor.run(tasks, done)
    return store


def _n_synthetic(data: LoadedData, unit: str, protocol: Protocol) -> int:
    if unit == "sequences":
        seq = data.schema.by_role("sequence_id")
        n = int(data.table[seq[0]].nunique()) if seq else len(data.table)
    else:
        n = len(data.table)
    return min(n, protocol.max_synthetic) if protocol.max_synthetic else n


def _task_for(store: RunStore, request: RunRequest, job: Job, mrefs: list[MetricRef], metric_errors: dict,
              reason: str | None, run_id: str, env: dict, emit, track: str | None = None) -> Task | None:
    key = job.key
    job_dir = store.job_dir(key)
    previous = store.job_record(key) if request.resume else None
    runnable = [m for m in mrefs if m.name not in metric_errors]
    if previous and previous.get("status") == "ok":
        missing = [m for m in runnable if not _metric_current(store, key, m, request.protocol)]
        if not missing:
            emit(RunEvent("skipped", job=job, status="ok"))
            return None
        runnable = missing
    if reason is not None:  # the generator cannot even be imported: record it, run nothing
        _write_records(store, request, job, mrefs, metric_errors,
                       Outcome("error", "load", error=f"generator unavailable: {reason}"), run_id, env, {})
        emit(RunEvent("finished", job=job, status="error", message=reason))
        return None
    reuse = bool(previous and previous.get("status") == "ok")
    cached = _cache_path(key) if request.use_cache and not job.is_reference and track != ANOMALY_TRACK else None
    if not reuse and cached is not None and cached.exists():
        job_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(cached, job_dir / "synthetic.csv")
        reuse = True
    spec = {
        "job_key": key, "generator": job.generator.name, "generator_target": job.generator.target,
        "profile": request.profile, "overrides": job.generator.overrides, "seed": job.seed,
        "device": request.device, "data_dir": str(store.data_dir(job.dataset.key)), "job_dir": str(job_dir),
        "n_synthetic": job.n_synthetic, "reference": job.is_reference, "reuse_synthetic": reuse,
        "metrics": [asdict(m) for m in runnable], "repeats": request.protocol.repeats,
        "sample_size": request.protocol.sample_size, "track": track,
        "holdout_fraction": request.protocol.holdout_fraction,
    }
    emit(RunEvent("started", job=job))
    return Task(key, spec, job_dir, request.protocol.timeout_s, request.protocol.memory_limit_mb,
                uses_gpu=request.device != "cpu")


def _metric_current(store: RunStore, key: str, metric: MetricRef, protocol: Protocol) -> bool:
    rec = store.metric_record(key, metric.name)
    if not rec or rec.get("status") != "ok":
        return False
    want = metric_key(metric, protocol)
    return all(rec.get(k) == v for k, v in want.items())


def _write_records(store: RunStore, request: RunRequest, job: Job, mrefs: list[MetricRef], metric_errors: dict,
                   outcome: Outcome, run_id: str, env: dict, spec: dict) -> None:
    key = job.key
    previous = store.job_record(key) or {}
    result = outcome.result or {}
    timings = {
        "fit_s": result.get("fit_s"), "sample_s": result.get("sample_s"), "evaluate_s": result.get("evaluate_s"),
        "wall_s": round(outcome.wall_s, 3),
    }
    if result.get("reused_synthetic") and previous.get("timings"):
        timings["fit_s"] = previous["timings"].get("fit_s")
        timings["sample_s"] = previous["timings"].get("sample_s")
    resources = {"peak_rss_mb": round(outcome.peak_rss_mb, 1), "peak_cuda_mb": result.get("peak_cuda_mb")}
    if result.get("reused_synthetic") and previous.get("resources"):
        resources["peak_rss_mb"] = max(resources["peak_rss_mb"], previous["resources"].get("peak_rss_mb") or 0)
    base = {"run_id": run_id, **job.identity(), "environment": env, "finished_at": _now()}
    job_rec = {**base, "status": outcome.status, "phase": outcome.phase, "error": outcome.error,
               "traceback": outcome.traceback, "timings": timings, "resources": resources,
               "reused_synthetic": bool(result.get("reused_synthetic"))}
    if outcome.status == "ok":
        job_rec["phase"] = "done"
    proto = {"repeats": request.protocol.repeats, "sample_size": request.protocol.sample_size}
    computed = result.get("metrics", {})
    for m in mrefs:
        rec = {**base, "metric": m.name, "direction": m.direction, "metric_version": m.version,
               "in_average_rank": m.in_average_rank, **proto,
               "timings": timings, "resources": resources}
        if m.name in metric_errors:
            rec.update(status="error", value=None, error=f"metric unavailable: {metric_errors[m.name]}")
        elif outcome.status != "ok":
            rec.update(status=outcome.status, value=None, error=f"job {outcome.status} in {outcome.phase}: {outcome.error}")
        elif m.name in computed:
            c = computed[m.name]
            rec.update({k: v for k, v in c.items() if k not in ("metric", "direction")})
            rec["status"] = "ok" if c.get("error") is None else "error"
        else:
            continue  # kept from an earlier, still current record (resume)
        write_json(store.metric_record_path(key, m.name), rec)
    write_json(store.job_record_path(key), job_rec)
    if outcome.status == "ok" and request.use_cache and not job.is_reference:
        synthetic = store.job_dir(key) / "synthetic.csv"
        cached = _cache_path(key)
        if synthetic.exists() and not cached.exists():
            cached.parent.mkdir(parents=True, exist_ok=True)
            tmp = cached.with_suffix(".tmp")
            shutil.copyfile(synthetic, tmp)
            tmp.replace(cached)


def _cache_path(key: str) -> Path:
    from secgen_bench.cache import cache_dir

    return cache_dir() / "synthetic" / f"{key}.csv"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")



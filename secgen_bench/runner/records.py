"""The records of a run: one ``job.json`` per job and one ``metrics/<metric>.json`` per (job, metric).

Only the driver writes them, atomically, as each job finishes (or at once for a
job that cannot run). On --resume a metric record is reused when it is still
current (same metric version and protocol).
"""
from __future__ import annotations

from datetime import datetime, timezone

from secgen_bench.runner.isolation import Outcome
from secgen_bench.runner.plan import MetricRef, PlannedJob, Protocol, metric_key
from secgen_bench.runner.request import RunContext
from secgen_bench.runner.samples import cached_making_of
from secgen_bench.runner.store import RunStore, write_json


def metric_current(store: RunStore, key: str, metric: MetricRef, protocol: Protocol) -> bool:
    rec = store.metric_record(key, metric.name)
    if not rec or rec.get("status") != "ok":
        return False
    want = metric_key(metric, protocol)
    return all(rec.get(k) == v for k, v in want.items())


def write_records(ctx: RunContext, planned: PlannedJob, outcome: Outcome) -> None:
    store, protocol, job = ctx.store, ctx.request.protocol, planned.job
    key = job.key
    previous = store.job_record(key) or {}
    result = outcome.result or {}
    if result.get("reused_synthetic") and not previous.get("timings"):   # a sample from the cross-run cache
        previous = cached_making_of(key)
    timings = {
        "fit_s": result.get("fit_s"), "sample_s": result.get("sample_s"), "evaluate_s": result.get("evaluate_s"),
        "wall_s": round(outcome.wall_s, 3),
    }
    if result.get("reused_synthetic") and previous.get("timings"):
        timings["fit_s"] = previous["timings"].get("fit_s")
        timings["sample_s"] = previous["timings"].get("sample_s")
    if isinstance(result.get("class_conditional"), dict):   # ids-tstr's per-class fits (tracks/conditional.py)
        timings["class_conditional_s"] = round(result["class_conditional"]["seconds"], 3)
    resources = {"peak_rss_mb": round(outcome.peak_rss_mb, 1), "peak_cuda_mb": result.get("peak_cuda_mb")}
    if result.get("reused_synthetic") and previous.get("resources"):
        resources["peak_rss_mb"] = max(resources["peak_rss_mb"], previous["resources"].get("peak_rss_mb") or 0)
    base = {"run_id": ctx.run_id, **job.identity(), "environment": ctx.environment, "finished_at": utc_now()}
    job_rec = {**base, "status": outcome.status, "phase": outcome.phase, "error": outcome.error,
               "traceback": outcome.traceback, "timings": timings, "resources": resources,
               "reused_synthetic": bool(result.get("reused_synthetic"))}
    if outcome.status == "ok":
        job_rec["phase"] = "done"
    budget = result.get("budget") or (previous.get("budget") if result.get("reused_synthetic") else None)
    if budget is not None:   # units, done, paper, cap, converged, criterion, stopped, wall_s (secgen_bench.budget)
        job_rec["budget"] = budget
    rows = result.get("training_rows") or (previous.get("training_rows") if result.get("reused_synthetic") else None)
    if rows is not None:   # used, offered, cap (secgen_bench.generators.common.subsample.training_rows)
        job_rec["training_rows"] = rows
    proto = {"repeats": protocol.repeats, "sample_size": protocol.sample_size}
    computed = result.get("metrics", {})
    for m in planned.metrics:
        rec = {**base, "metric": m.name, "direction": m.direction, "metric_version": m.version,
               "in_average_rank": m.in_average_rank, **proto,
               "timings": timings, "resources": resources}
        if m.name in planned.metric_errors:
            rec.update(status="error", value=None, error=f"metric unavailable: {planned.metric_errors[m.name]}")
        elif outcome.status == "n/a":
            rec.update(status="n/a", value=None, error=outcome.error)
        elif outcome.status != "ok":
            rec.update(status=outcome.status, value=None, error=f"job {outcome.status} in {outcome.phase}: {outcome.error}")
        elif m.name in computed:
            c = computed[m.name]
            rec.update({k: v for k, v in c.items() if k not in ("metric", "direction")})
            rec["status"] = c.get("status") or ("ok" if c.get("error") is None else "error")   # or "n/a"
        else:
            continue  # kept from an earlier, still current record (resume)
        write_json(store.metric_record_path(key, m.name), rec)
    write_json(store.job_record_path(key), job_rec)


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")

"""Real-size costs on simulated flows: loading, the BN baselines, FlowChronicle and `evaluate`, at 100k-1M flows.

Every case runs in a fresh subprocess with a time limit, so its peak RSS (``ru_maxrss``) is its own
and a case that runs past the limit is reported as TIMEOUT instead of stopping the script. Each
line gives wall seconds, the subprocess's CPU seconds (the fair figure when other work shares the
machine), peak MB and the 1-minute load at its start.

Cases, for each ``--sizes`` n (simnet flows, default profile's generator options):
- ``load``: generating and validating n simnet flows (the zero-download dataset);
- ``independent-bn``, ``sequence-bn``: fit on all n rows (the default profile has no row cap);
- ``flowchronicle``: the default profile (its work budget ``max_test_rows``; the budget says if it ran out)
  and ``flowchronicle-full`` (``max_test_rows=0, time_budget_s=0``: the search to convergence), both
  single-pass (``chunks=1``);
- ``flowchronicle-chunked``: the default profile's chunked mining with ceil(n / 50,000) chunks (what
  ``chunks=auto`` picks from 200,000 flows up; at 100k, where ``auto`` is one pass, 2 chunks) in a local
  process pool; ``flowchronicle-ray``: the same chunks as Ray tasks on a two-node local cluster
  (``ray start --head`` plus one worker node, one CPU each; :mod:`secgen_bench.runner.ray_local`);
- ``evaluate``: every default flows metric, 2 repetitions of the protocol's 10,000-row samples
  plus the full-table temporal metrics, simnet seed 1 scored against seed 0.

    python benchmarks/scale.py                              # 100,000 and 1,000,000 flows
    python benchmarks/scale.py --sizes 100000 --cases load,independent-bn,evaluate --timeout 900

CPU seconds and peak MB count every process of the case: its own, its pool's children (CPU from
``RUSAGE_CHILDREN``) and, for the Ray case, the cluster's processes (peak of the summed PSS of the
process tree, sampled every 0.5 s with psutil: pages a forked pool child shares with its parent count once).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CASES = ("load", "independent-bn", "sequence-bn", "flowchronicle", "flowchronicle-full", "flowchronicle-chunked",
         "flowchronicle-ray", "evaluate")

CASE = r"""
import contextlib, json, math, os, resource, sys, threading, time
case, n = sys.argv[1], int(sys.argv[2])
peak = {"mb": 0.0}
cluster_marker = {}
def sample_rss():
    try:
        import psutil
    except ImportError:
        return
    me = psutil.Process()
    while True:
        procs = {p.pid: p for p in [me] + me.children(recursive=True)}
        if cluster_marker:
            procs.update({p.pid: p for p in cluster_marker["cluster"].processes()})
        total = 0
        for p in procs.values():
            try:   # PSS: a forked child's pages shared with its parent count once, not once per process
                total += p.memory_full_info().pss
            except Exception:
                try:
                    total += p.memory_info().rss
                except Exception:
                    pass
        peak["mb"] = max(peak["mb"], total / 2**20)
        time.sleep(0.5)
threading.Thread(target=sample_rss, daemon=True).start()
from secgen_bench.datasets.simnet import SimNet
t0, c0 = time.perf_counter(), time.process_time()
data = SimNet().load(profile="default", seed=0, n_flows=n)
table = data.schema.validate(data.table, source="simnet")
extra = {}
if case != "load":
    t0, c0 = time.perf_counter(), time.process_time()
if case in ("independent-bn", "sequence-bn") or case.startswith("flowchronicle"):
    from secgen_bench import registry
    name = "flowchronicle" if case.startswith("flowchronicle") else case
    cls = registry.generators.get(name)
    options = {"flowchronicle": {"chunks": 1}, "flowchronicle-full": {"time_budget_s": 0.0, "max_test_rows": 0, "chunks": 1}}.get(case, {})
    cluster = contextlib.nullcontext()
    if case in ("flowchronicle-chunked", "flowchronicle-ray"):
        from secgen_bench.generators.flowchronicle.chunked import AUTO_CHUNK_ROWS
        options = {"chunks": max(2, math.ceil(n / AUTO_CHUNK_ROWS))}
    if case == "flowchronicle-ray":
        import ray
        from secgen_bench.runner.ray_local import local_ray_cluster
        options["chunk_executor"] = "ray"
        cluster = local_ray_cluster(nodes=2, cpus_per_node=1, pythonpath=os.getcwd())
    with cluster as running:
        if running:
            cluster_marker["cluster"] = running
            ray.init(address=running.address, log_to_driver=False, configure_logging=False)
            cpu0 = sum(p.cpu_times().user + p.cpu_times().system for p in running.processes())
            t0, c0 = time.perf_counter(), time.process_time()
        gen = cls(profile="default", **options).fit(table, data.schema, seed=0)
        if running:
            # the chunks ran in the cluster's worker processes, not in this one's children
            extra["ray_cluster_cpu_s"] = round(sum(p.cpu_times().user + p.cpu_times().system
                                                   for p in running.processes()) - cpu0, 1)
            ray.shutdown()
    if name == "flowchronicle":        # compiled loops (the [fast] extra) or numpy: same patterns, other cost
        from secgen_bench.generators.flowchronicle import kernels
        extra["loops"] = "compiled" if kernels.enabled(n) else "numpy"
    budget = getattr(gen, "budget_", None)
    if budget is not None:
        b = budget if isinstance(budget, dict) else getattr(budget, "to_dict", lambda: vars(budget))()
        extra.update({"stopped": b.get("stopped"), "done": b.get("done"), "units": b.get("units")})
        d = b.get("details") or {}
        if "tests" in d:   # candidate tests: with cpu_s, the cost of one test at this size
            extra.update({"tests": d["tests"], "patterns": d.get("patterns")})
        if "chunks" in d:
            extra.update({"chunks": d["chunks"], "chunk_stops": sorted(c["stopped"] for c in d["per_chunk"]),
                          "merged": d["merged_candidates"], "rescore": d["rescore"], "patterns": d["patterns"]})
elif case == "evaluate":
    from secgen_bench.evaluation import evaluate, select_metrics
    synth = SimNet().load(profile="default", seed=1, n_flows=n).table
    t0, c0 = time.perf_counter(), time.process_time()
    classes, _ = select_metrics(None, have_holdout=False)
    out = evaluate(table, synth, data.schema, [c() for c in classes], repeats=2, sample_size=10_000, seed=0)
    extra = {"n/a or error": sorted(m for m, o in out.items() if o.mean is None)}
kids = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"seconds": round(time.perf_counter() - t0, 1),
                  "cpu_s": round(time.process_time() - c0 + kids.ru_utime + kids.ru_stime, 1),
                  "peak_mb": round(max(peak["mb"], resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)), **extra}))
"""


def run_case(case: str, n: int, timeout: float) -> dict:
    load = os.getloadavg()[0]
    try:
        proc = subprocess.run([sys.executable, "-c", CASE, case, str(n)], capture_output=True, text=True,
                              cwd=REPO, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"status": f"TIMEOUT ({timeout:.0f} s)", "load": load}
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["?"])[-1]
        return {"status": f"ERROR: {tail[:120]}", "load": load}
    return {"status": "ok", "load": load, **json.loads(proc.stdout.strip().splitlines()[-1])}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100000,1000000", help="comma-separated flow counts")
    ap.add_argument("--cases", default=",".join(CASES), help=f"comma-separated, of {', '.join(CASES)}")
    ap.add_argument("--timeout", type=float, default=1800.0, help="seconds per case before it is TIMEOUT")
    args = ap.parse_args(argv)
    cases = [c for c in args.cases.split(",") if c]
    unknown = [c for c in cases if c not in CASES]
    if unknown:
        sys.exit(f"scale.py: unknown case {unknown[0]!r}; choose from {', '.join(CASES)}")
    print(f"# {time.strftime('%Y-%m-%d %H:%M')} on {os.cpu_count()} cores")
    print("| flows | case | status | wall s | CPU s | peak MB | load | notes |")
    print("|---|---|---|---|---|---|---|---|")
    for n in (int(s) for s in args.sizes.split(",")):
        for case in cases:
            r = run_case(case, n, args.timeout)
            notes = {k: v for k, v in r.items() if k not in ("status", "load", "seconds", "cpu_s", "peak_mb")}
            print(f"| {n:,} | {case} | {r['status']} | {r.get('seconds', '')} | {r.get('cpu_s', '')} | "
                  f"{r.get('peak_mb', '')} | {r['load']:.1f} | {json.dumps(notes) if notes else ''} |", flush=True)


if __name__ == "__main__":
    main()

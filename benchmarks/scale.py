"""Real-size costs on simulated flows: loading, the BN baselines, FlowChronicle and `evaluate`, at 100k-1M flows.

Every case runs in a fresh subprocess with a time limit, so its peak RSS (``ru_maxrss``) is its own
and a case that runs past the limit is reported as TIMEOUT instead of stopping the script. Each
line gives wall seconds, the subprocess's CPU seconds (the fair figure when other work shares the
machine), peak MB and the 1-minute load at its start.

Cases, for each ``--sizes`` n (simnet flows, default profile's generator options):
- ``load``: generating and validating n simnet flows (the zero-download dataset);
- ``independent-bn``, ``sequence-bn``: fit on all n rows (the default profile has no row cap);
- ``flowchronicle``: the default profile (its 120 s search cap; the budget says if the cap fired)
  and ``flowchronicle-full`` (``time_budget_s=0``: the search to convergence);
- ``evaluate``: every default flows metric, 2 repetitions of the protocol's 10,000-row samples
  plus the full-table temporal metrics, simnet seed 1 scored against seed 0.

    python benchmarks/scale.py                              # 100,000 and 1,000,000 flows
    python benchmarks/scale.py --sizes 100000 --cases load,independent-bn,evaluate --timeout 900

Chunked FlowChronicle mining is not built yet, so it has no case here.
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
CASES = ("load", "independent-bn", "sequence-bn", "flowchronicle", "flowchronicle-full", "evaluate")

CASE = r"""
import json, os, resource, sys, time
case, n = sys.argv[1], int(sys.argv[2])
from secgen_bench.datasets.simnet import SimNet
t0, c0 = time.perf_counter(), time.process_time()
data = SimNet().load(profile="default", seed=0, n_flows=n)
table = data.schema.validate(data.table, source="simnet")
extra = {}
if case != "load":
    t0, c0 = time.perf_counter(), time.process_time()
if case in ("independent-bn", "sequence-bn", "flowchronicle", "flowchronicle-full"):
    from secgen_bench import registry
    name = "flowchronicle" if case.startswith("flowchronicle") else case
    cls = registry.generators.get(name)
    options = {"time_budget_s": 0.0} if case == "flowchronicle-full" else {}
    gen = cls(profile="default", **options).fit(table, data.schema, seed=0)
    budget = getattr(gen, "budget_", None)
    if budget is not None:
        b = budget if isinstance(budget, dict) else getattr(budget, "to_dict", lambda: vars(budget))()
        extra = {"stopped": b.get("stopped"), "done": b.get("done"), "units": b.get("units")}
elif case == "evaluate":
    from secgen_bench.evaluation import evaluate, select_metrics
    synth = SimNet().load(profile="default", seed=1, n_flows=n).table
    t0, c0 = time.perf_counter(), time.process_time()
    classes, _ = select_metrics(None, have_holdout=False)
    out = evaluate(table, synth, data.schema, [c() for c in classes], repeats=2, sample_size=10_000, seed=0)
    extra = {"n/a or error": sorted(m for m, o in out.items() if o.mean is None)}
print(json.dumps({"seconds": round(time.perf_counter() - t0, 1), "cpu_s": round(time.process_time() - c0, 1),
                  "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024), **extra}))
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

"""FlowChronicle fit time, peak memory and MDL on the bidirectional CIDDS sample (1k, 2k, 4k, 8k flows).

Each size runs in a fresh subprocess so its peak RSS (resource ru_maxrss) is its own. Fit time is
reported as wall time and as the process's CPU time (the honest figure when other work shares the
machine), with the 1-minute load average at the start; ``stopped`` says whether the search converged
or hit a cap (the ``default`` profile's 120 s safety cap should not be reached here).
Also reports CMD and JSD of a same-size sample against the training flows (and against the
held-out rest of the 8k sample when there is one), beside the independent-marginals floor.

    python benchmarks/flowchronicle_fit.py [--sizes 1000,2000,4000,8192] [--profile default|paper|quick]

Reference (issue 6): the published package needs ~7 min of search for 1,000 flows on one core.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys


def run_one(size: int, profile: str, seed: int) -> dict:
    import resource
    import time

    from secgen_bench.generators.flowchronicle import FlowChronicle
    from secgen_bench.generators.marginals import IndependentMarginals
    from secgen_bench.registry import datasets, metrics

    data = datasets.get("cidds001-bi")().load(profile="default")
    table, schema = data.table, data.schema
    train = table.iloc[:size].reset_index(drop=True)
    rest = table.iloc[size:].reset_index(drop=True)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    load1 = os.getloadavg()[0]
    t0, c0 = time.perf_counter(), time.process_time()
    gen = FlowChronicle(profile=profile).fit(train, schema, seed=seed)
    fit_s, fit_cpu_s = time.perf_counter() - t0, time.process_time() - c0
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t1 = time.perf_counter()
    synth = gen.sample(len(train), seed=seed)
    sample_s = time.perf_counter() - t1
    floor = IndependentMarginals().fit(train, schema, seed=seed).sample(len(train), seed=seed)
    out = {
        "flows": len(train), "profile": profile, "fit_s": round(fit_s, 2), "fit_cpu_s": round(fit_cpu_s, 2),
        "load1": round(load1, 2), "sample_s": round(sample_s, 2),
        "peak_rss_mb": round(rss1 / 1024, 1), "rss_before_fit_mb": round(rss0 / 1024, 1),
        "patterns": len(gen.model_.entries), "multi_row_patterns": sum(p["rows"] > 1 for p in gen.patterns()),
        "total_bits": round(gen.total_bits_, 1), "empty_model_bits": round(gen.empty_bits_, 1),
        "search": {k: (round(v, 2) if isinstance(v, float) else v) for k, v in gen.search_stats_.items()},
    }
    for name in ("cmd", "jsd"):
        try:
            metric = metrics.get(name)()
        except Exception as exc:  # metric not available yet
            out[name] = f"unavailable: {exc}"
            continue
        out[f"{name}_vs_train"] = round(metric(train, synth, schema, seed=seed).value, 4)
        out[f"{name}_marginals_vs_train"] = round(metric(train, floor, schema, seed=seed).value, 4)
        if len(rest) >= 500:
            out[f"{name}_vs_holdout"] = round(metric(rest, synth, schema, seed=seed).value, 4)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,2000,4000,8192")
    ap.add_argument("--profile", default="default", choices=["quick", "default", "paper"])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one is not None:
        print(json.dumps(run_one(args.one, args.profile, args.seed)))
        return
    rows = []
    for size in [int(s) for s in args.sizes.split(",")]:
        proc = subprocess.run([sys.executable, __file__, "--one", str(size), "--profile", args.profile,
                               "--seed", str(args.seed)], capture_output=True, text=True)
        if proc.returncode != 0:
            print(proc.stderr, file=sys.stderr)
            raise SystemExit(f"size {size} failed")
        row = json.loads(proc.stdout.strip().splitlines()[-1])
        rows.append(row)
        print(json.dumps(row), flush=True)
    print(f"\n{'flows':>6} {'profile':>8} {'fit s':>7} {'cpu s':>7} {'load':>5} {'peak MB':>8} {'patterns':>8} "
          f"{'bits':>10} {'empty':>10} {'stopped':>13} {'CMD':>7} {'JSD':>7}")
    for r in rows:
        print(f"{r['flows']:>6} {r['profile']:>8} {r['fit_s']:>7.1f} {r['fit_cpu_s']:>7.1f} {r['load1']:>5.1f} "
              f"{r['peak_rss_mb']:>8.0f} {r['patterns']:>8} {r['total_bits']:>10.0f} {r['empty_model_bits']:>10.0f} "
              f"{r['search'].get('stopped', '?'):>13} {r.get('cmd_vs_train', float('nan')):>7} "
              f"{r.get('jsd_vs_train', float('nan')):>7}")


if __name__ == "__main__":
    main()

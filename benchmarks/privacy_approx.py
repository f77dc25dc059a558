"""Approximate (FAISS) vs exact privacy kNN metrics on simulated flow tables: error, time, peak memory.

Real, synthetic and holdout are three simnet captures of ``n`` flows (seeds 0, 1, 2). One case is
dcr (real, synthetic, holdout) then alpha-precision / beta-recall / authenticity (one pass) in a
fresh process, so its peak RSS is its own; seconds are wall time, cpu the process's CPU seconds
(all its threads). The exact kernels are skipped above ``--exact-max``.

    python benchmarks/privacy_approx.py                                 # 20k, 50k: both paths
    python benchmarks/privacy_approx.py --sizes 1000000 --exact-max 0
"""
from __future__ import annotations

import argparse

from density_coverage_approx import run_case

CASE = r"""
import json, resource, sys, time
from secgen_bench.datasets.simnet import SimNet
from secgen_bench.metrics.privacy import DCR, alpha_beta_authenticity
n, mode = int(sys.argv[1]), sys.argv[2]
real = SimNet().load(profile="default", seed=0, n_flows=n)
synth = SimNet().load(profile="default", seed=1, n_flows=n).table
hold = SimNet().load(profile="default", seed=2, n_flows=n).table
t0, c0 = time.perf_counter(), time.process_time()
dcr = DCR(mode=mode)(real.table, synth, real.schema, holdout=hold, seed=0)
t1, c1 = time.perf_counter(), time.process_time()
alaa = alpha_beta_authenticity(real.table, synth, real.schema, mode=mode, seed=0)
t2, c2 = time.perf_counter(), time.process_time()
print(json.dumps({"n": n, "mode": mode, "dcr": dcr.value, "dcr_p5": dcr.breakdown["dcr_p5"],
                  "exact_copies": dcr.breakdown["exact_copies"], "alpha": alaa["alpha-precision"],
                  "beta": alaa["beta-recall"], "auth": alaa["authenticity"],
                  "dcr_s": round(t1 - t0, 1), "dcr_cpu": round(c1 - c0, 1),
                  "alaa_s": round(t2 - t1, 1), "alaa_cpu": round(c2 - c1, 1),
                  "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                  "approximate": dcr.breakdown.get("approximate", 0.0)}))
"""

VALUES = ("dcr", "dcr_p5", "exact_copies", "alpha", "beta", "auth")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="20000,50000", help="comma-separated flow counts")
    ap.add_argument("--exact-max", type=int, default=50_000, help="largest n the exact kernels are run at")
    args = ap.parse_args(argv)
    print("| n | path | dcr | dcr_p5 | exact copies | alpha-precision | beta-recall | authenticity "
          "| dcr s (cpu) | alpha/beta/auth s (cpu) | peak MB |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for n in (int(s) for s in args.sizes.split(",")):
        results = {m: run_case(n, m, CASE) for m in ["approx"] + (["exact"] if n <= args.exact_max else [])}
        for m, r in results.items():
            print(f"| {n:,} | {m} | " + " | ".join(f"{r[v]:.4f}" for v in VALUES)
                  + f" | {r['dcr_s']} ({r['dcr_cpu']}) | {r['alaa_s']} ({r['alaa_cpu']}) | {r['peak_mb']} |", flush=True)
        if "exact" in results:
            a, e = results["approx"], results["exact"]
            print(f"|  | error | " + " | ".join(f"{a[v] - e[v]:+.4f}" for v in VALUES) + " | | | |", flush=True)


if __name__ == "__main__":
    main()

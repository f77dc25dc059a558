"""Approximate (FAISS) vs exact Density/Coverage on simulated flow tables: error, time, peak memory.

Real and synthetic are two simnet captures of ``n`` flows (seeds 0 and 1), encoded as the metric
encodes them (one-hot codes for IPs, ports, protocol, flags; min-max numeric). Each case runs in
a fresh subprocess, so its peak RSS is its own. The exact engine is skipped above ``--exact-max``.

    python benchmarks/density_coverage_approx.py                      # 20k, 50k, 100k: both engines
    python benchmarks/density_coverage_approx.py --sizes 1000000 --exact-max 0
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

CASE = r"""
import json, resource, sys, time
from secgen_bench.datasets.simnet import SimNet
from secgen_bench.metrics.density_coverage import density_coverage_result
n, mode = int(sys.argv[1]), sys.argv[2]
real = SimNet().load(profile="default", seed=0, n_flows=n)
synth = SimNet().load(profile="default", seed=1, n_flows=n).table
t0 = time.perf_counter()
out = density_coverage_result(real.table, synth, real.schema, mode=mode)
dt = time.perf_counter() - t0
print(json.dumps({"n": n, "mode": out["mode"], "density": out["density"], "coverage": out["coverage"],
                  "seconds": round(dt, 1), "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                  **out["extra"]}))
"""


def run_case(n: int, mode: str, case: str = CASE) -> dict:
    """Run ``case`` (a script printing one JSON line last) for n flows and a mode in a fresh process."""
    proc = subprocess.run([sys.executable, "-c", case, str(n), mode], capture_output=True, text=True, cwd=REPO)
    if proc.returncode != 0:
        raise SystemExit(f"case n={n} mode={mode} failed: {proc.stderr.strip().splitlines()[-1]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="20000,50000,100000", help="comma-separated flow counts")
    ap.add_argument("--exact-max", type=int, default=100_000, help="largest n the exact engine is run at")
    args = ap.parse_args(argv)
    print("| n | engine | density | coverage | seconds | peak MB | saturated |")
    print("|---|---|---|---|---|---|---|")
    for n in (int(s) for s in args.sizes.split(",")):
        cases = ["approx"] + (["auto"] if n <= args.exact_max else [])  # auto = the exact engines up to 200k
        results = {m: run_case(n, m) for m in cases}
        for m, r in results.items():
            print(f"| {n:,} | {r['mode']} | {r['density']:.4f} | {r['coverage']:.4f} | {r['seconds']} | "
                  f"{r['peak_mb']} | {r.get('saturated_share', '')} |", flush=True)
        if "auto" in results:
            a, e = results["approx"], results["auto"]
            print(f"|  | error | {a['density'] - e['density']:+.4f} | {a['coverage'] - e['coverage']:+.4f} | | | |",
                  flush=True)


if __name__ == "__main__":
    main()

"""Our Density/Coverage (exact and fast modes) against the prdc package on real-like flows: time, peak RSS, values.

Data: the CIDDS-001 week-3 sample in its bidirectional view (the loader of
``cidds001-bi``), resampled with replacement to ``n`` rows and jittered so
that the tables look like real traffic without exact duplicates (timestamps
spread over the sample's week at nanosecond resolution, byte counts and
durations scaled by a small log-normal factor, rounded as the columns are).
"Real" and "synthetic" are two such draws with different seeds. Both are
encoded once as the ``density`` metric does (``density_coverage.encode``:
one-hot IP/port/flags/low-cardinality columns, min-max scaled numbers);
prdc gets the dense one-hot matrix, our engine the numeric part plus integer
codes (same Euclidean distances).

Each (method, n) runs in a fresh subprocess so that its peak RSS is its own.
The time is that of the Density/Coverage computation only (the encoding is
timed separately); ``prdc.compute_prdc`` also computes precision and recall,
which needs the synthetic-synthetic distances: that is the cost a prdc user
pays. Values are asserted equal: exact mode and prdc to 1e-12 (identical
counts), fast mode (float32 matrix products) to ``--fast-tol``.

    python benchmarks/density_coverage_prdc.py                       # 5k, 10k, 20k
    python benchmarks/density_coverage_prdc.py --sizes 5000 --big 200000  # + 200k x 200k, ours (fast) only
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def peak_rss_mib() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return rss / 1024.0 if sys.platform != "darwin" else rss / 2**20


def default_data() -> Path:
    root = Path(os.environ.get("SECGEN_BENCH_DATA", REPO.parent / "shared" / "data"))
    return root / "cidds001" / "cidds_wk3_8k.csv"


def real_like(base, n: int, seed: int):
    """``n`` rows drawn with replacement from ``base`` and jittered (no exact duplicates)."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    t = base.iloc[rng.integers(0, len(base), n)].reset_index(drop=True)
    ts = t["Date first seen"]
    span = int((ts.max() - ts.min()).value)
    t["Date first seen"] = ts.min() + pd.to_timedelta(rng.integers(0, span, n), unit="ns")
    for c in ("In Byte", "Out Byte"):
        t[c] = np.round(t[c].to_numpy() * rng.lognormal(0.0, 0.05, n)).astype("int64")
    t["Duration"] = np.round(t["Duration"].to_numpy() * rng.lognormal(0.0, 0.05, n), 3)
    return t.sort_values("Date first seen", kind="stable").reset_index(drop=True)


def encoded(n: int, data: Path):
    from secgen_bench import registry
    from secgen_bench.metrics.density_coverage import encode

    d = registry.datasets.get("cidds001-bi")().load(data)
    real, synth = real_like(d.table, n, 1), real_like(d.table, n, 2)
    t0 = time.perf_counter()
    enc = encode(real, synth, d.schema)
    return enc, time.perf_counter() - t0


def dense(num: np.ndarray, codes: np.ndarray | None, sizes: list[int]) -> np.ndarray:
    parts = [num]
    for j, size in enumerate(sizes):
        hot = np.zeros((len(codes), size))
        hot[np.arange(len(codes)), codes[:, j]] = 1.0
        parts.append(hot)
    return np.hstack(parts)


def worker(method: str, n: int, data: Path) -> dict:
    (r_num, s_num, r_codes, s_codes, hot, num), enc_s = encoded(n, data)
    width = r_num.shape[1]
    if method == "prdc":
        import prdc

        sizes = [int(max(r_codes[:, j].max(), s_codes[:, j].max())) + 1 for j in range(r_codes.shape[1])]
        real, fake = dense(r_num, r_codes, sizes), dense(s_num, s_codes, sizes)
        width = real.shape[1]
        del r_num, s_num, r_codes, s_codes
        base_rss = peak_rss_mib()
        t0 = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            out = prdc.compute_prdc(real, fake, 5)
        seconds = time.perf_counter() - t0
        density, coverage, mode = float(out["density"]), float(out["coverage"]), "prdc"
    else:
        import torch

        from secgen_bench.metrics._prdc_torch import density_coverage

        base_rss = peak_rss_mib()
        t0 = time.perf_counter()
        res = density_coverage(r_num, s_num, r_codes, s_codes, k=5, mode=method, device="cpu")
        seconds = time.perf_counter() - t0
        density, coverage, mode = res.density, res.coverage, f"{res.mode} (torch {torch.get_num_threads()} threads)"
    return {"method": method, "n": n, "mode": mode, "seconds": seconds, "encode_seconds": enc_s,
            "density": density, "coverage": coverage, "features": width, "one_hot_columns": len(hot),
            "peak_rss_mib": peak_rss_mib(), "rss_before_mib": base_rss}


def run_case(method: str, n: int, data: Path, timeout: float | None) -> dict:
    cmd = [sys.executable, __file__, "--worker", method, "--n", str(n), "--data", str(data)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError(f"{method} n={n} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def show(r: dict) -> None:
    print(f"{r['method']:>5} n={r['n']:>7} {r['mode']:<24} time={r['seconds']:8.2f}s "
          f"peak_rss={r['peak_rss_mib']:7.0f}MiB (before: {r['rss_before_mib']:.0f}) "
          f"density={r['density']:.12f} coverage={r['coverage']:.12f} features={r['features']}", flush=True)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="5000,10000,20000", help="rows of real and synthetic, comma-separated")
    ap.add_argument("--big", type=int, default=0, help="also run n x n with our fast mode only (e.g. 200000)")
    ap.add_argument("--data", type=Path, default=default_data())
    ap.add_argument("--fast-tol", type=float, default=1e-3,
                    help="allowed |fast - prdc|: float32 products decide a few near-ties the other way")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--n", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.n, args.data)))
        return
    print(f"load average: {os.getloadavg()}  cpus: {os.cpu_count()}  data: {args.data}", flush=True)
    results = []
    for n in [int(s) for s in args.sizes.split(",") if s]:
        rows = {m: run_case(m, n, args.data, None) for m in ("exact", "fast", "prdc")}
        for r in rows.values():
            show(r)
        ref = rows["prdc"]
        for m, tol in (("exact", 1e-12), ("fast", args.fast_tol)):
            for key in ("density", "coverage"):
                diff = abs(rows[m][key] - ref[key])
                assert diff <= tol, f"n={n}: {m} {key} {rows[m][key]!r} != prdc {ref[key]!r} (|diff|={diff:.3g} > {tol})"
        print(f"n={n}: exact == prdc (1e-12), fast within {args.fast_tol} of prdc "
              f"(|diff| density {abs(rows['fast']['density'] - ref['density']):.2g}, "
              f"coverage {abs(rows['fast']['coverage'] - ref['coverage']):.2g}); load {os.getloadavg()}", flush=True)
        results.extend(rows.values())
    if args.big:
        r = run_case("fast", args.big, args.data, None)
        show(r)
        print(f"load {os.getloadavg()}")
        results.append(r)


if __name__ == "__main__":
    main()

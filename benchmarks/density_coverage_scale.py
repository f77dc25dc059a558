"""Time and peak memory of our blocked Density/Coverage at scale (and, optionally, prdc at small sizes).

Random flows already encoded: ``--dims`` numeric columns in [0, 1] (11 ~ the
numeric width of a flow table), real and synthetic of ``--n`` rows each.
Prints wall time, the mode used ("exact" up to ~1e9 pairs on CPU, else "fast"
float32 matrix products) and the process's peak RSS.

    python benchmarks/density_coverage_scale.py --n 200000
    python benchmarks/density_coverage_scale.py --n 10000 --prdc     # also time prdc, check equality
"""
from __future__ import annotations

import argparse
import contextlib
import io
import resource
import sys
import time

import numpy as np


def peak_rss_mib() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return rss / 1024.0 if sys.platform != "darwin" else rss / 2**20


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200_000, help="rows of real and of synthetic")
    ap.add_argument("--dims", type=int, default=11)
    ap.add_argument("--mode", default="auto", choices=["auto", "exact", "fast"])
    ap.add_argument("--device", default="auto")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch default)")
    ap.add_argument("--prdc", action="store_true", help="also run the prdc package (n x n matrices: small n only)")
    args = ap.parse_args(argv)

    import torch

    from secgen_bench.metrics._prdc_torch import density_coverage

    if args.threads:
        torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    real = rng.random((args.n, args.dims))
    synth = rng.random((args.n, args.dims)) ** 1.1
    t0 = time.perf_counter()
    res = density_coverage(real, synth, k=5, mode=args.mode, device=args.device)
    dt = time.perf_counter() - t0
    print(f"ours : n={args.n} dims={args.dims} mode={res.mode} device={res.device} threads={torch.get_num_threads()} "
          f"time={dt:.1f}s density={res.density:.6f} coverage={res.coverage:.6f} peak_rss={peak_rss_mib():.0f}MiB")
    if args.prdc:
        import prdc

        t0 = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            ref = prdc.compute_prdc(real, synth, 5)
        dt = time.perf_counter() - t0
        print(f"prdc : time={dt:.1f}s density={ref['density']:.6f} coverage={ref['coverage']:.6f} "
              f"peak_rss={peak_rss_mib():.0f}MiB (cumulative process peak)")


if __name__ == "__main__":
    main()

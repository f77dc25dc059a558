"""Fit + sample times of the PyTorch baselines (transformer, ewgan-gp, netshare) on CIDDS fixture flows.

Usage: python benchmarks/time_torch_generators.py [--profile quick|default] [--rows N] [NAME ...]
Reads ../shared/specs/metric-fixtures/{real,holdout}_2000.csv (4,000 bidirectional CIDDS flows).
Prints wall and CPU seconds (CPU time is the fairer number when other processes share the cores).
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from secgen_bench.datasets.schemas import CIDDS_BI
from secgen_bench.generators.base import check_sample
from secgen_bench.registry import generators

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "specs" / "metric-fixtures"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("names", nargs="*", default=["transformer", "ewgan-gp", "netshare"])
    parser.add_argument("--profile", default="quick")
    parser.add_argument("--rows", type=int, default=1500)
    args = parser.parse_args()
    table = pd.concat([pd.read_csv(FIXTURES / "real_2000.csv"), pd.read_csv(FIXTURES / "holdout_2000.csv")])
    table = CIDDS_BI.validate(table.iloc[: args.rows])
    for name in args.names:
        gen = generators.get(name)(profile=args.profile)
        w0, c0 = time.perf_counter(), time.process_time()
        gen.fit(table, CIDDS_BI, seed=0)
        w1, c1 = time.perf_counter(), time.process_time()
        sample = gen.sample(len(table), seed=0)
        w2, c2 = time.perf_counter(), time.process_time()
        check_sample(sample, len(table), gen.columns_, gen.dtypes_, CIDDS_BI)
        print(f"{name:12s} {args.profile:8s} rows={len(table)} fit {w1 - w0:6.1f}s wall {c1 - c0:6.1f}s cpu | "
              f"sample {w2 - w1:5.1f}s wall {c2 - c1:5.1f}s cpu", flush=True)


if __name__ == "__main__":
    main()

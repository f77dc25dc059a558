"""What the `paper` profile costs on this machine, per generator, on the CIDDS bidirectional training split.

Usage: python benchmarks/paper_profile_cost.py [--data RAW.csv] [--rows N] [NAME ...]

Generators without a training length (the BNs, FlowChronicle) are fitted to the end. The
iterative ones are fitted at the paper's sizes (layers, widths, batch) twice with a short
training length (epochs, steps or iterations), and the full length is extrapolated from the
line through the two points (fixed cost + cost per unit). Printed: both measured fits, wall and
CPU seconds, and the extrapolation, marked as such. CPU time is the fairer number when other
processes share the cores. Reads the CIDDS-001 sample through the dataset layer
(``$SECGEN_BENCH_DATA`` or ``--data``).
"""
from __future__ import annotations

import argparse
import time

from secgen_bench.registry import datasets, generators

# generator -> (its training-length option, the two short lengths measured)
LENGTH_OPTION = {
    "tvae": ("epochs", (2, 6)),
    "ctgan": ("epochs", (2, 6)),
    "transformer": ("train_steps", (20, 60)),
    "ewgan-gp": ("iterations", (200, 600)),
    "netshare": ("epochs", (2, 6)),
}
ALL = ["independent-bn", "sequence-bn", "flowchronicle", "tvae", "ctgan", "netshare", "ewgan-gp", "transformer"]


def timed_fit(name: str, table, schema, **overrides) -> tuple[float, float]:
    gen = generators.get(name)(profile="paper", **overrides)
    w0, c0 = time.perf_counter(), time.process_time()
    gen.fit(table, schema, seed=0)
    gen.sample(len(table), seed=0)
    return time.perf_counter() - w0, time.process_time() - c0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("names", nargs="*", default=ALL)
    parser.add_argument("--data", default=None, help="raw CIDDS-001 CSV (default: the shared sample)")
    parser.add_argument("--rows", type=int, default=0, help="training rows (0 = the whole 70 %% split)")
    args = parser.parse_args()
    from secgen_bench.datasets.split import split_holdout

    loaded = datasets.get("cidds001-bi")().load(path=args.data)
    train, _ = split_holdout(loaded.table, loaded.schema, 0.3, seed=0)
    if args.rows:
        train = train.iloc[: args.rows]
    print(f"training rows: {len(train)}", flush=True)
    for name in args.names:
        if name not in LENGTH_OPTION:
            wall, cpu = timed_fit(name, train, loaded.schema)
            print(f"{name:15s} full paper fit+sample: {wall:8.1f} s wall {cpu:8.1f} s cpu (measured)", flush=True)
            continue
        option, (a, b) = LENGTH_OPTION[name]
        cls = generators.get(name)
        full = getattr(cls.Config(**cls.PROFILES["paper"]), option)
        (wa, ca), (wb, cb) = (timed_fit(name, train, loaded.schema, **{option: n}) for n in (a, b))
        per_unit = (wb - wa) / (b - a)
        est = wa + per_unit * (full - a)
        print(f"{name:15s} {option}={a}: {wa:7.1f} s wall {ca:7.1f} s cpu | {option}={b}: {wb:7.1f} s wall "
              f"{cb:7.1f} s cpu | paper {option}={full}: ~{est / 3600:6.2f} h wall (extrapolated)", flush=True)


if __name__ == "__main__":
    main()

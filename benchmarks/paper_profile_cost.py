"""What the `paper` profile costs on this machine, per generator, on the CIDDS bidirectional training split.

Usage: python benchmarks/paper_profile_cost.py [--data RAW.csv] [--rows N] [NAME ...]

Generators without a training length (the BNs, FlowChronicle) are fitted to the end and sample
as many rows as they trained on. The iterative ones are fitted at the paper's sizes (layers,
widths, batch) twice with a short training length (epochs, steps or iterations), and the full
length is extrapolated from the line through the two points (fixed cost + cost per unit), after one untimed warm-up fit (SDV
starts worker processes on its first fit in a process); their sampling is timed on
``--sample-rows`` rows and scaled to the training size. Printed: both measured fits, wall and
CPU seconds, and the extrapolations, marked as such. CPU time is the fairer number when other
processes share the cores. Reads the CIDDS-001 sample through the dataset layer
(``$SECGEN_BENCH_DATA`` or ``--data``).
"""
from __future__ import annotations

import argparse
import time

from secgen_bench.registry import datasets, generators

# generator -> (its training-length option, the two short lengths measured)
LENGTH_OPTION = {
    "tvae": ("epochs", (5, 25)),
    "ctgan": ("epochs", (2, 6)),
    "transformer": ("train_steps", (20, 60)),
    "ewgan-gp": ("iterations", (200, 600)),
    "netshare": ("epochs", (2, 6)),
}
ALL = ["independent-bn", "sequence-bn", "flowchronicle", "tvae", "ctgan", "netshare", "ewgan-gp", "transformer"]


def timed_fit(name: str, table, schema, n_sample: int = 0, **overrides) -> tuple[float, float, float]:
    """Wall and CPU seconds of the fit, and wall seconds per sampled row (n_sample rows; 0 = none)."""
    gen = generators.get(name)(profile="paper", **overrides)
    w0, c0 = time.perf_counter(), time.process_time()
    gen.fit(table, schema, seed=0)
    w1, c1 = time.perf_counter(), time.process_time()
    if n_sample:
        gen.sample(n_sample, seed=0)
    return w1 - w0, c1 - c0, (time.perf_counter() - w1) / max(n_sample, 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("names", nargs="*", default=ALL)
    parser.add_argument("--data", default=None, help="raw CIDDS-001 CSV (default: the shared sample)")
    parser.add_argument("--rows", type=int, default=0, help="training rows (0 = the whole 70 %% split)")
    parser.add_argument("--sample-rows", type=int, default=500, help="rows sampled from the iterative generators")
    args = parser.parse_args()
    from secgen_bench.datasets.split import split_holdout

    loaded = datasets.get("cidds001-bi")().load(path=args.data)
    train, _ = split_holdout(loaded.table, loaded.schema, 0.3, seed=0)
    if args.rows:
        train = train.iloc[: args.rows]
    print(f"training rows: {len(train)}", flush=True)
    n = len(train)
    for name in args.names:
        if name not in LENGTH_OPTION:
            wall, cpu, per_row = timed_fit(name, train, loaded.schema, n_sample=n)
            print(f"{name:15s} paper fit {wall:7.1f} s wall {cpu:7.1f} s cpu, sample {n} rows {per_row * n:6.1f} s "
                  "(measured)", flush=True)
            continue
        option, (a, b) = LENGTH_OPTION[name]
        timed_fit(name, train.iloc[:500], loaded.schema, **{option: 1})   # warm-up: worker start, first-call costs
        cls = generators.get(name)
        full = getattr(cls.Config(**cls.PROFILES["paper"]), option)
        wa, ca, _ = timed_fit(name, train, loaded.schema, **{option: a})
        wb, cb, per_row = timed_fit(name, train, loaded.schema, n_sample=args.sample_rows, **{option: b})
        est = wa + (wb - wa) / (b - a) * (full - a)
        print(f"{name:15s} fit {option}={a}: {wa:7.1f} s wall {ca:7.1f} s cpu | {option}={b}: {wb:7.1f} s wall "
              f"{cb:7.1f} s cpu | paper {option}={full}: fit ~{est / 3600:6.2f} h (extrapolated) | sample "
              f"{args.sample_rows} rows: {per_row * args.sample_rows:6.1f} s (~{per_row * n / 60:6.1f} min for {n}, "
              "extrapolated)", flush=True)

if __name__ == "__main__":
    main()

"""How fast TADAM learns: HDFS sessions (untimed) and packet words (2-D values).

The published ``tadam-learner`` 0.2.1 took 71 s for 100 toy words and did not finish
300 HDFS sessions in 40 minutes on this kind of machine. Prints fit seconds, search
iterations, final states/edges and bits for each size.

    python benchmarks/tadam_fit.py --hdfs 500 1000 2000 4000 --packets 1000
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

from secgen_bench.generators.tadam.learner import TADAMLearner

REPO = Path(__file__).resolve().parent.parent


def hdfs_words(data: Path, n: int, seed: int = 0):
    with open(data / "hdfs" / "deeplog_sequences" / "hdfs_train") as fh:
        sessions = [line.split() for line in fh if line.strip()]
    order = np.random.default_rng(seed).permutation(len(sessions))[:n]
    return [[(f"E{e}", None) for e in sessions[i]] for i in order]


def packet_words(data: Path, n: int):
    """The busiest service's flows of CESNET-MINER22 as (flags+direction+payload, [iat ms, size]) words."""
    import pandas as pd

    df = pd.read_csv(data / "cesnet-miner22" / "miner22-sampled.csv", nrows=4000)
    port = df["uint16 DST_PORT"].mode().iloc[0]
    df = df[df["uint16 DST_PORT"] == port].head(n)
    bits, words = "FSRPAUEC", []
    for _, r in df.iterrows():
        dirs = str(r["int8* PPI_PKT_DIRECTIONS"]).strip("[]").split("|")
        flags = str(r["uint8* PPI_PKT_FLAGS"]).strip("[]").split("|")
        sizes = str(r["uint16* PPI_PKT_LENGTHS"]).strip("[]").split("|")
        t = pd.to_datetime(str(r["time* PPI_PKT_TIMES"]).strip("[]").split("|"), format="ISO8601").to_numpy()
        word = []
        for i in range(len(dirs)):
            f = "".join(ch for b, ch in enumerate(bits) if int(flags[i]) >> b & 1) or "-"
            iat = 0.0 if i == 0 else max((t[i] - t[i - 1]) / np.timedelta64(1, "ms"), 0.0)
            word.append((f + (">" if dirs[i] == "1" else "<") + ("d" if int(sizes[i]) else "."),
                         [round(iat), int(sizes[i])]))
        words.append(word)
    return words, int(port)


def report(label: str, words, **options) -> None:
    t0 = time.perf_counter()
    model = TADAMLearner(**options).fit(words, seed=0)
    seconds = time.perf_counter() - t0
    aut, ev = model.automaton_, model.evaluation_
    print(f"{label:34s} fit {seconds:7.1f} s  iterations {model.log_.iterations:3d}  states {aut.n_states:3d}  "
          f"edges {len(aut.edges):4d}  bits {model.log_.history[0][1]:9.0f} -> {ev.total:9.0f}  "
          f"unique words {len(model.corpus_.syms)}", flush=True)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=os.environ.get("SECGEN_BENCH_DATA", str(REPO.parent / "shared" / "data")))
    ap.add_argument("--hdfs", type=int, nargs="*", default=[500, 1000, 2000, 4000])
    ap.add_argument("--packets", type=int, nargs="*", default=[1000])
    ap.add_argument("--max-seconds", type=float, default=600.0)
    args = ap.parse_args(argv)
    data = Path(args.data)
    for n in args.hdfs:
        report(f"HDFS {n} sessions", hdfs_words(data, n), max_seconds=args.max_seconds)
    for n in args.packets:
        words, port = packet_words(data, n)
        report(f"CESNET TCP/{port} {len(words)} flows", words, max_seconds=args.max_seconds)


if __name__ == "__main__":
    main()

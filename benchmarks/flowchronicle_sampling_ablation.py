"""How FlowChronicle's generation settings move the paper's eight metrics on the CIDDS sample.

Usage: python benchmarks/flowchronicle_sampling_ablation.py [--seeds 0 1 2] [--data RAW.csv]

Same protocol as ``secgen-bench reproduce flowchronicle-table2`` (random 30 % Reference split,
20 repetitions of min(10,000, available) rows), one fit per seed, for:
FlowChronicle with the artefact's generation (K2 CPTs, uniform draw inside each bin), with each
of our two changes alone and with both (the default); IndependentBN with per-cell and joint
decoding; and a bootstrap resample of the training flows (a "generator" that is the training
distribution itself: the floor sampling noise puts under each metric at this sample size).
Prints one line per (setting, seed) and the mean per setting.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from secgen_bench.datasets.split import split_holdout
from secgen_bench.evaluation import evaluate
from secgen_bench.registry import datasets, generators, metrics

METRICS = ["density", "coverage", "cmd", "pcd", "emd", "jsd", "dkc", "md"]
SETTINGS = {
    "flowchronicle artefact (K2, uniform)": ("flowchronicle", {"sampling_pseudocount": 1.0, "decode": "uniform"}),
    "flowchronicle ML, uniform": ("flowchronicle", {"sampling_pseudocount": 0.0, "decode": "uniform"}),
    "flowchronicle K2, joint": ("flowchronicle", {"sampling_pseudocount": 1.0, "decode": "joint"}),
    "flowchronicle ML, joint (default)": ("flowchronicle", {}),
    "independent-bn per-cell decode": ("independent-bn", {"decode": "bin"}),
    "independent-bn joint (default)": ("independent-bn", {}),
    "bootstrap of the training flows": (None, {}),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--data", default=None, help="raw CIDDS-001 CSV (default: the shared sample)")
    args = parser.parse_args()
    loaded = datasets.get("cidds001-bi")().load(path=args.data)
    train, holdout = split_holdout(loaded.table, loaded.schema, 0.3, seed=0)
    scorers = [metrics.get(n)() for n in METRICS]
    n = min(10_000, len(train))
    print(f"train {len(train)} flows, Reference {len(holdout)}; 20 x {n} rows per repetition", flush=True)
    for label, (name, options) in SETTINGS.items():
        rows = []
        for seed in args.seeds:
            t0 = time.perf_counter()
            if name is None:
                synthetic = train.sample(len(train), replace=True, random_state=seed).reset_index(drop=True)
            else:
                gen = generators.get(name)(profile="default", **options).fit(train, loaded.schema, seed=seed)
                synthetic = gen.sample(len(train), seed=seed + 1000)
            out = evaluate(train, synthetic, loaded.schema, scorers, holdout=holdout, repeats=20, sample_size=n,
                           seed=seed)
            rows.append([out[m].mean for m in METRICS])
            print(f"{label:38s} seed {seed} {time.perf_counter() - t0:5.0f}s "
                  + " ".join(f"{m}={v:.4f}" for m, v in zip(METRICS, rows[-1])), flush=True)
        mean = np.mean(rows, axis=0)
        print(f"{label:38s} MEAN       " + " ".join(f"{m}={v:.4f}" for m, v in zip(METRICS, mean)), flush=True)


if __name__ == "__main__":
    main()

"""TADAM's HDFS anomaly-detection table (seed Table 3) under the offline protocol.

Protocol (what the offline data allows): the 4,855 normal DeepLog HDFS_v1 sessions
are shuffled with the seed; ``--train`` of them train every detector, the rest are
the normal test sessions; anomalous sessions are drawn (with the seed) from the
16,838 anomalous ones so that they are 3 per 100 normal test sessions (the natural
HDFS ratio). Sessions are untimed (delay 0). Scores: AU-ROC, and TPR, FPR, F1 at
the threshold maximising TPR - FPR, positive = anomaly. Mean (and std) over seeds.

    python benchmarks/tadam_hdfs.py --train 2000 --seeds 0 1 2 [--out table.md]
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

from secgen_bench.anomaly import DETECTORS, load_detector
from secgen_bench.anomaly.evaluate import evaluate_scores
from secgen_bench.schema import Column, FlowSchema, Role

REPO = Path(__file__).resolve().parent.parent
HDFS = FlowSchema("hdfs", (Column("block_id", Role.SEQUENCE_ID), Column("event", Role.CATEGORICAL),
                           Column("delay", Role.DURATION), Column("label", Role.LABEL)))
PAPER_NAMES = {"tadam": "TADAM", "tag": "TAG", "rti+": "RTI+", "hmm": "HMM"}
# extra rows: (detector, options)
VARIANTS = {"tadam-noise": ("tadam", {"method": "noise"}), "hmm-per-event": ("hmm", {"normalise": True})}


def read_sessions(path: Path) -> list[list[str]]:
    with open(path) as fh:
        return [line.split() for line in fh if line.strip()]


def to_table(sessions: list[list[str]], label: str, prefix: str) -> pd.DataFrame:
    rows = [(f"{prefix}{k}", f"E{e}", 0.0, label) for k, s in enumerate(sessions) for e in s]
    return pd.DataFrame(rows, columns=["block_id", "event", "delay", "label"])


def split(data: Path, n_train: int, seed: int, ratio: float = 0.03):
    normal = read_sessions(data / "hdfs" / "deeplog_sequences" / "hdfs_train")
    abnormal = read_sessions(data / "hdfs" / "deeplog_sequences" / "hdfs_test_abnormal")
    if not 0 < n_train < len(normal):
        raise ValueError(f"--train must be in 1..{len(normal) - 1}, got {n_train}")
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(normal))
    train = [normal[i] for i in order[:n_train]]
    test_normal = [normal[i] for i in order[n_train:]]
    n_anom = max(1, int(round(ratio * len(test_normal))))
    anomalies = [abnormal[i] for i in rng.choice(len(abnormal), size=n_anom, replace=False)]
    test = pd.concat([to_table(test_normal, "normal", "n"), to_table(anomalies, "anomaly", "a")], ignore_index=True)
    return to_table(train, "normal", "t"), test


def main(argv=None) -> pd.DataFrame:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=os.environ.get("SECGEN_BENCH_DATA", str(REPO.parent / "shared" / "data")))
    ap.add_argument("--train", type=int, default=2000)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--detectors", nargs="+", default=list(DETECTORS) + ["tadam-noise"],
                    help=f"names among {', '.join([*DETECTORS, *VARIANTS])}")
    ap.add_argument("--out", default=None, help="write the markdown table here")
    args = ap.parse_args(argv)
    data = Path(args.data)
    rows = []
    for seed in args.seeds:
        train, test = split(data, args.train, seed)
        labels = test.groupby("block_id", sort=False)["label"].first().eq("anomaly")
        for name in args.detectors:
            base, options = VARIANTS.get(name, (name, {}))
            det = load_detector(base)(**options)
            t0 = time.perf_counter()
            det.fit(train, HDFS, seed=seed)
            t1 = time.perf_counter()
            scores = det.score(test)
            t2 = time.perf_counter()
            res = evaluate_scores(scores, labels.reindex(scores.index))
            res.update(learner=PAPER_NAMES.get(name, name + " (variant)" if name in VARIANTS else name), seed=seed, fit_s=t1 - t0, score_s=t2 - t1)
            rows.append(res)
            print(f"seed {seed} {name:6s} AUROC {res['AUROC']:.3f} TPR {res['TPR']:.3f} FPR {res['FPR']:.3f} "
                  f"F1 {res['F1']:.3f}  fit {t1 - t0:.1f}s score {t2 - t1:.1f}s", flush=True)
    df = pd.DataFrame(rows)
    agg = df.groupby("learner", sort=False)[["AUROC", "TPR", "FPR", "F1", "fit_s"]].agg(["mean", "std"])
    paper = pd.read_csv(REPO.parent / "shared" / "specs" / "tadam_table3.csv").set_index("learner")
    lines = [f"HDFS anomaly detection, offline protocol: {args.train} of the 4,855 normal DeepLog sessions "
             f"train; the other {4855 - args.train} normal sessions + anomalous sessions at 3 % of them test; "
             f"untimed; seeds {args.seeds}; mean (std) over seeds. Paper: seed Table 3 (full HDFS_v1).", "",
             "| learner | AUROC | TPR | FPR | F1 | fit s | paper AUROC | paper TPR | paper FPR | paper F1 |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for learner in agg.index:
        cells = [f"{agg.loc[learner, (m, 'mean')]:.3f} ({agg.loc[learner, (m, 'std')]:.3f})"
                 if len(args.seeds) > 1 else f"{agg.loc[learner, (m, 'mean')]:.3f}"
                 for m in ("AUROC", "TPR", "FPR", "F1")]
        cells.append(f"{agg.loc[learner, ('fit_s', 'mean')]:.1f}")
        p = paper.loc[learner] if learner in paper.index else None
        cells += [f"{p[m]:.3f}" if p is not None else "-" for m in ("AUROC", "TPR", "FPR", "F1")]
        lines.append(f"| {learner} | " + " | ".join(cells) + " |")
    text = "\n".join(lines)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")
    return df


if __name__ == "__main__":
    main()

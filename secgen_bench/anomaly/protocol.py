"""The anomaly track's data protocol: train on normal sequences only, test at the natural anomaly ratio.

TADAM's evaluation (generators.md, seed Table 3) tests on HDFS with its natural
ratio of about 3 anomalous per 100 normal sessions. From a labelled sequence
table: the normal sequences are shuffled with the seed; the first
``min(cap, (1 - holdout_fraction) * n_normal)`` train every detector (``cap``
per profile: quick 500, default 2,000, paper none); the remaining normal
sequences (at most ``test_cap``: quick 1,000) plus anomalous sequences drawn
with the same generator, ``round(ratio * n_test_normal)`` of them (at least
one; all of them when fewer exist), form the test set. Sequences labelled
neither normal nor anomaly are left out. The procedure is the one of
``benchmarks/tadam_hdfs.py``, so for equal sizes and seed both draw the same
sessions. The runner draws one split per job seed, so the spread over seeds
includes the spread over splits.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from secgen_bench.schema import FlowSchema, Role, SchemaError

NORMAL, ANOMALY = "normal", "anomaly"
# profile -> (most training sequences, most normal test sequences); None = no cap
SIZES: dict[str, tuple[int | None, int | None]] = {
    "quick": (500, 1000),
    "default": (2000, None),
    "paper": (None, None),
}
NATURAL_RATIO = 0.03


@dataclass
class AnomalySplit:
    train: pd.DataFrame          # normal sequences only, label column kept
    test: pd.DataFrame           # normal + anomalous sequences, label column kept
    description: dict = field(default_factory=dict)

    @property
    def note(self) -> str:
        return self.description["protocol"]


def label_column(schema: FlowSchema) -> tuple[str, str]:
    """(sequence id column, label column) of a labelled sequence table."""
    ids, labels = schema.by_role(Role.SEQUENCE_ID), schema.by_role(Role.LABEL)
    if not ids or not labels:
        raise SchemaError(f"schema {schema.name!r}: the anomaly track needs a sequence_id and a label column")
    return ids[0], labels[0]


def anomaly_split(table: pd.DataFrame, schema: FlowSchema, *, profile: str = "default", holdout_fraction: float = 0.3,
                  ratio: float = NATURAL_RATIO, seed: int = 0, source: str = "dataset") -> AnomalySplit:
    """Split ``table`` by the protocol above; ValueError when a class is missing."""
    if profile not in SIZES:
        raise ValueError(f"unknown profile {profile!r}; choose one of {', '.join(SIZES)}")
    if not 0 < holdout_fraction < 1 or not 0 < ratio < 1:
        raise ValueError(f"holdout fraction and anomaly ratio must be in (0, 1), got {holdout_fraction}, {ratio}")
    id_col, lab_col = label_column(schema)
    ids = table[id_col]
    any_anomaly = (table[lab_col] == ANOMALY).groupby(ids, sort=False).any()
    all_normal = (table[lab_col] == NORMAL).groupby(ids, sort=False).all()
    per_seq = pd.Series(np.where(any_anomaly, ANOMALY, np.where(all_normal, NORMAL, "unknown")), index=any_anomaly.index)
    normal = per_seq.index[per_seq == NORMAL].to_list()
    anomalous = per_seq.index[per_seq == ANOMALY].to_list()
    if len(normal) < 2 or not anomalous:
        raise ValueError(f"{source}: the anomaly track needs labelled sequences of both classes "
                         f"(found {len(normal)} normal, {len(anomalous)} anomalous in column {lab_col!r})")
    train_cap, test_cap = SIZES[profile]
    n_train = max(1, int(round((1 - holdout_fraction) * len(normal))))
    n_train = min(n_train, train_cap or n_train, len(normal) - 1)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(normal))
    train_ids = [normal[i] for i in order[:n_train]]
    test_normal = [normal[i] for i in order[n_train:]]
    if test_cap is not None:
        test_normal = test_normal[:test_cap]
    wanted = max(1, int(round(ratio * len(test_normal))))
    n_anom = min(wanted, len(anomalous))
    test_anom = [anomalous[i] for i in rng.choice(len(anomalous), size=n_anom, replace=False)]

    def rows(ids: list) -> pd.DataFrame:
        pos = pd.Index(ids)
        part = table[table[id_col].isin(pos)]
        # sequences in the drawn order, events in their original order
        rank = part[id_col].map(pd.Series(np.arange(len(pos)), index=pos)).to_numpy()
        return part.iloc[np.argsort(rank, kind="stable")].reset_index(drop=True)

    train = rows(train_ids)
    test = rows(test_normal + test_anom)
    unknown = int((per_seq == "unknown").sum())
    text = (f"anomaly protocol: {n_train} of the {len(normal)} normal sequences train; test = the other "
            f"{len(test_normal)} normal sequences + {n_anom} of the {len(anomalous)} anomalous ones "
            f"({n_anom / len(test_normal):.1%}; natural ratio {ratio:.0%}); AUROC, and TPR/FPR/F1 at the threshold "
            f"maximising TPR - FPR, positive = anomaly; profile {profile}; each seed draws its own split")
    if n_anom < wanted:
        text += f"; only {n_anom} anomalous sequences exist, {wanted} were wanted"
    if unknown:
        text += f"; {unknown} unlabelled sequences left out"
    desc = {"protocol": text, "n_train": n_train, "n_normal": len(normal), "n_anomalous": len(anomalous),
            "n_test_normal": len(test_normal), "n_test_anomalous": n_anom, "ratio": ratio, "split_seed": seed,
            "unlabelled_left_out": unknown, "profile": profile}
    return AnomalySplit(train, test, desc)

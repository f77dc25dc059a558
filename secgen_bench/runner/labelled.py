"""Labelled datasets: the benign rows train the generator; labels and attack rows wait beside them for the metrics.

A dataset whose label column has declared benign values (a schema file's
``benign:``, a loader's ``meta["benign"]``) is split as usual, then each part
loses its attack rows and its label columns before a generator sees it. What
is left out is stored next to the generator's tables in ``data/<key>/``:

- ``train_labels.parquet`` / ``holdout_labels.parquet``: the label columns of
  the rows of ``train.parquet`` / ``holdout.parquet``, row for row;
- ``attacks.parquet``: every attack row with its labels, those of the training
  split first (``labels.json`` says how many), so that ``ids-tstr`` can train
  on the training split's attacks and test on the holdout's;
- ``labels.json``: the label columns, their benign values, that count and the
  labelled schema.

A row is benign when every label column with declared benign values holds
one of them (compared as text).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from secgen_bench.runner.store import read_json, read_table, refuse_pickled_tables, write_json, write_table
from secgen_bench.schema import FlowSchema, SchemaError, table_fingerprint


def declared_benign(meta: dict, labels: list[str]) -> dict[str, list[str]]:
    """Label column -> its benign values, for the ``labels`` that a loader or schema file declared them for."""
    declared = dict(meta.get("benign") or {}) if isinstance(meta.get("benign"), dict) else {}
    for col in labels:  # the flat form meta.json keeps: "benign:<column>"
        if f"benign:{col}" in meta and col not in declared:
            declared[col] = meta[f"benign:{col}"]
    return {c: [str(v) for v in declared[c]] for c in labels if declared.get(c)}


def benign_mask(table: pd.DataFrame, benign: dict[str, list[str]]) -> np.ndarray:
    """True for the rows whose every declared label column holds a benign value."""
    mask = np.ones(len(table), dtype=bool)
    for col, values in benign.items():
        mask &= table[col].astype(str).isin(set(values)).to_numpy()
    return mask


@dataclass
class LabelledSplit:
    train: pd.DataFrame            # benign training rows, no label columns: what the generator fits
    holdout: pd.DataFrame          # benign held-out rows, no label columns
    train_labels: pd.DataFrame     # the label columns of ``train``'s rows
    holdout_labels: pd.DataFrame
    attacks: pd.DataFrame          # every attack row, labels included, the training split's first
    attacks_from_train: int
    schema: FlowSchema             # the labelled schema (features + label columns)
    benign: dict[str, list[str]]

    @property
    def label(self) -> str:
        """The class column of the label-aware metrics (the schema's first label column)."""
        return self.schema.by_role("label")[0]

    def meta(self) -> dict:
        """What the dataset's meta.json says about the labels (plain values only)."""
        return {"label_column": self.label, "benign_values": self.benign.get(self.label, []),
                "benign_train_rows": len(self.train), "benign_holdout_rows": len(self.holdout),
                "attack_rows": len(self.attacks), "attack_rows_from_train": self.attacks_from_train}

    def fingerprint(self) -> str:
        return table_fingerprint(self.attacks)

    def write(self, ddir: Path) -> None:
        write_table(ddir / "train_labels.parquet", self.train_labels)
        write_table(ddir / "holdout_labels.parquet", self.holdout_labels)
        write_table(ddir / "attacks.parquet", self.attacks)
        write_json(ddir / "labels.json", {"columns": list(self.train_labels.columns), "benign": self.benign,
                                          "attacks_from_train": self.attacks_from_train,
                                          "schema": self.schema.to_dict()})


def split_by_label(train: pd.DataFrame, holdout: pd.DataFrame, schema: FlowSchema, benign: dict[str, list[str]],
                   source: str) -> LabelledSplit:
    """Separate the attack rows of a labelled (train, holdout) split; SchemaError when a part has no benign row."""
    labels = schema.by_role("label")
    features = [c for c in schema.names if c not in labels]
    parts = []
    for which, part in (("training", train), ("holdout", holdout)):
        ok = benign_mask(part, benign)
        if not ok.any():
            col, values = next(iter(benign.items()))
            raise SchemaError(f"{source}: column {col!r}: no {which} row is benign (benign values: "
                              f"{', '.join(values)})")
        parts.append((part[ok].reset_index(drop=True), part[~ok].reset_index(drop=True)))
    (tr, tr_att), (ho, ho_att) = parts
    return LabelledSplit(tr[features], ho[features], tr[labels], ho[labels],
                         pd.concat([tr_att, ho_att], ignore_index=True), len(tr_att), schema, benign)


# ---- job side ------------------------------------------------------------------------------------------
@dataclass
class LabelledData:
    """What a job of a labelled dataset reads beside the generator's tables."""

    schema: FlowSchema             # features + the class column
    label: str
    train: pd.DataFrame            # every training row (benign and attacks), with the class column
    holdout: pd.DataFrame          # every held-out row, with the class column
    attacks: pd.DataFrame          # every attack row, with the class column (the anomaly detectors' positives)


def load_labelled(data_dir: Path, train: pd.DataFrame, holdout: pd.DataFrame) -> LabelledData | None:
    """The labels of a prepared dataset (None when it has none), joined back to ``train``/``holdout``."""
    data_dir = Path(data_dir)
    if not (data_dir / "labels.json").exists():
        return None
    refuse_pickled_tables(data_dir)
    info = read_json(data_dir / "labels.json")
    full = FlowSchema.from_dict(info["schema"])
    label = full.by_role("label")[0]
    schema = full.select(list(train.columns) + [label])
    attacks = read_table(data_dir / "attacks.parquet")[schema.names]
    n = int(info["attacks_from_train"])

    def join(rows: pd.DataFrame, labels: pd.DataFrame, extra: pd.DataFrame) -> pd.DataFrame:
        return pd.concat([rows.assign(**{label: labels[label].to_numpy()}), extra], ignore_index=True)[schema.names]

    return LabelledData(schema, label,
                        join(train, read_table(data_dir / "train_labels.parquet"), attacks.iloc[:n]),
                        join(holdout, read_table(data_dir / "holdout_labels.parquet"), attacks.iloc[n:]),
                        attacks)

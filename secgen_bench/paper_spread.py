"""The FlowChronicle artefact's own spread behind each Table 2 cell, and which of our cells lie outside it.

``leaderboards/flowchronicle-table2/paper_table2_reps.csv`` is the artefact's
``results/independent_evaluation.csv``: 20 repetitions (fresh 10,000-flow samples) per metric and
model. Per cell we take the mean and the sample standard deviation (ddof = 1) over the
repetitions it has (empty Novelty cells, F1 = 0/0, are skipped). Rule: one of our cells
*exceeds the spread* when |ours - paper| > ``SPREAD_FACTOR`` x that standard deviation +
``ROUNDING``, with "paper" the printed Table 2 value: the table prints two decimals, so a
difference up to half its last digit may be rounding alone. A cell without repetitions is never
flagged.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

SPREAD_FACTOR = 2.0
ROUNDING = 0.005  # half a unit of the published table's second decimal
MODELS = {"Test": "reference", "BN_indep": "independent-bn", "BN_timedep_5step": "sequence-bn", "TVAE": "tvae",
          "CTGAN": "ctgan", "E-WGAN-GP": "ewgan-gp", "NetShare": "netshare", "Transformer": "transformer",
          "Our": "flowchronicle"}
METRICS = {"JSD": "jsd", "EMD": "emd", "PCD": "pcd", "CMD": "cmd", "Density": "density", "Coverage": "coverage",
           "Novelty": "md", "DKC": "dkc"}


@dataclass
class Spread:
    mean: pd.DataFrame     # our generator name x our metric name
    std: pd.DataFrame
    n_reps: pd.DataFrame

    def exceeds(self, ours: pd.DataFrame, paper: pd.DataFrame) -> pd.DataFrame:
        """True where |ours - paper| > SPREAD_FACTOR x std of the artefact's repetitions + ROUNDING (False when unknown)."""
        cols = [c for c in self.std.columns if c in ours.columns and c in paper.columns]
        diff = (ours[cols] - paper[cols].reindex(ours.index)).abs()
        limit = SPREAD_FACTOR * self.std[cols].reindex(ours.index) + ROUNDING
        return (diff > limit).fillna(False).astype(bool)


def reps_path() -> Path:
    path = Path(__file__).resolve().parent.parent / "leaderboards" / "flowchronicle-table2" / "paper_table2_reps.csv"
    if not path.exists():
        raise FileNotFoundError(f"{path}: the artefact's per-repetition Table 2 values are missing")
    return path


def load_spread(path: Path | None = None) -> Spread:
    """Mean, sample std and repetition count per (model, metric) from the per-repetition file."""
    raw = pd.read_csv(path or reps_path(), index_col=[0, 1])
    raw.index = raw.index.set_names(["metric", "row"])
    long = raw.rename(columns=MODELS).stack(future_stack=True).rename("value").reset_index()
    long.columns = ["metric", "row", "model", "value"]
    long["metric"] = long["metric"].map(METRICS)
    grouped = long.dropna(subset=["value"]).groupby(["model", "metric"])["value"]
    pivot = (lambda s: s.unstack("metric").reindex(index=list(MODELS.values()), columns=list(METRICS.values())))
    return Spread(pivot(grouped.mean()), pivot(grouped.std(ddof=1)), pivot(grouped.count()).fillna(0).astype(int))


def cell_text(mean: float, std: float) -> str:
    return "-" if np.isnan(mean) else f"{mean:.3f} ± {std:.3f}"

"""Ranked leaderboards from a run directory: mean +- std over seeds, per-metric ranks, average rank.

Ranking rules (the paper's Table 2, made explicit):
- each metric ranks the generators (the Reference row is scored but never ranked) with the ``min``
  method, so ties share the lower rank; ``higher`` metrics descending, ``lower`` ascending,
  ``closest`` by the distance to the Reference row's mean;
- a generator whose every seed failed on a metric shows ERROR or TIMEOUT there, never a blank,
  and takes the worst rank (one below the last generator that has a value), since a benchmark
  must not reward failing; a metric on which no generator has a value is not ranked;
- a ``closest`` metric without a Reference value cannot be ranked: its ranks stay empty and it is
  left out of the average rank (the cell still shows the value);
- the average rank is the mean over the ranked metrics that count for it (the paper's eight; corrected
  variants and temporal metrics, marked ``*``, are ranked but left out); rows are sorted by it.
"""
from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from secgen_bench.runner.plan import REFERENCE
from secgen_bench.runner.planned_store import PlannedRunStore
from secgen_bench.runner.store import RunStore


@dataclass
class Cell:
    mean: float | None
    std: float | None
    n_ok: int
    n_total: int
    status: str              # "ok", "partial", "error", "timeout"
    rank: float | None = None
    error: str | None = None
    rep_std: float | None = None   # spread over the protocol's repetitions (mean over seeds)

    def text(self, digits: int = 3) -> str:
        if self.mean is None:
            return self.status.upper()
        out = f"{self.mean:.{digits}f} ± {self.std:.{digits}f}" if self.n_ok > 1 else f"{self.mean:.{digits}f}"
        if self.status == "partial":
            out += f" ({self.n_ok}/{self.n_total})"
        return out


@dataclass
class Board:
    dataset: str
    metrics: list[str]
    directions: dict[str, str]
    rows: dict[str, dict[str, Cell]]              # generator -> metric -> cell
    avg_rank: dict[str, float | None]
    info: dict[str, dict] = field(default_factory=dict)   # generator -> fit_s, peak_rss_mb, status counts
    averaged: list[str] | None = None             # metrics in the average rank (None: all)

    @property
    def order(self) -> list[str]:
        gens = [g for g in self.rows if g != REFERENCE]
        gens.sort(key=lambda g: (math.inf if self.avg_rank.get(g) is None else self.avg_rank[g], g))
        return ([REFERENCE] if REFERENCE in self.rows else []) + gens

    def to_dict(self) -> dict:
        return {
            "dataset": self.dataset, "metrics": self.metrics, "directions": self.directions,
            "rows": {g: {m: vars(c) for m, c in cells.items()} for g, cells in self.rows.items()},
            "average_rank": self.avg_rank, "info": self.info, "order": self.order, "averaged": self.averaged,
        }


def records_frame(store: RunStore) -> pd.DataFrame:
    rows = []
    for rec in store.metric_records():
        rows.append({
            "dataset": rec["dataset"]["label"], "generator": rec["generator"]["name"], "seed": rec["seed"],
            "metric": rec["metric"], "direction": rec["direction"], "value": rec.get("value"),
            "status": rec.get("status"), "error": rec.get("error"), "std": rec.get("std"),
            "in_average_rank": rec.get("in_average_rank", True),
        })
    return pd.DataFrame(rows, columns=["dataset", "generator", "seed", "metric", "direction", "value", "status", "error",
                                       "std", "in_average_rank"])


def build(run_dir: str | Path) -> list[Board]:
    """One board per dataset of the run (the jobs of its plan)."""
    store = PlannedRunStore(run_dir)
    if not (store.root / "jobs").is_dir():
        raise FileNotFoundError(f"{store.root}: not a run directory (no jobs/ folder)")
    frame = records_frame(store)
    info = _job_info(store)
    return [board_from_frame(ds, sub, info.get(ds, {})) for ds, sub in frame.groupby("dataset", sort=True)]


def _job_info(store: RunStore) -> dict[str, dict[str, dict]]:
    acc: dict[str, dict[str, dict]] = {}
    for rec in store.job_records():
        d = acc.setdefault(rec["dataset"]["label"], {}).setdefault(
            rec["generator"]["name"], {"fit_s": [], "sample_s": [], "peak_rss_mb": [], "status": {}})
        t, r = rec.get("timings") or {}, rec.get("resources") or {}
        for k, src in (("fit_s", t), ("sample_s", t), ("peak_rss_mb", r)):
            if src.get(k) is not None:
                d[k].append(src[k])
        d["status"][rec["status"]] = d["status"].get(rec["status"], 0) + 1
    for gens in acc.values():
        for d in gens.values():
            for k in ("fit_s", "sample_s", "peak_rss_mb"):
                d[k] = float(np.mean(d[k])) if d[k] else None
    return acc


def board_from_frame(dataset: str, frame: pd.DataFrame, info: dict | None = None) -> Board:
    if "in_average_rank" not in frame:
        frame = frame.assign(in_average_rank=True)
    averaged_flags = frame.groupby("metric", sort=False)["in_average_rank"].agg(lambda s: bool(s.fillna(True).all()))
    metrics = sorted(dict.fromkeys(frame["metric"]), key=lambda m: (not averaged_flags[m], m))
    averaged = [m for m in metrics if averaged_flags[m]]
    directions = {m: frame.loc[frame["metric"] == m, "direction"].iloc[0] for m in metrics}
    rows: dict[str, dict[str, Cell]] = {}
    for (gen, metric), sub in frame.groupby(["generator", "metric"], sort=False):
        ok = sub[(sub["status"] == "ok") & sub["value"].notna()]
        vals = ok["value"].astype(float).to_numpy()
        n_total = len(sub)
        if len(vals):
            status = "ok" if len(vals) == n_total else "partial"
            cell = Cell(float(vals.mean()), float(vals.std(ddof=1)) if len(vals) > 1 else 0.0, len(vals), n_total, status)
            if "std" in ok and ok["std"].notna().any():
                cell.rep_std = float(ok["std"].astype(float).mean())
        else:
            failed = sub["status"].fillna("error")
            status = "timeout" if (failed == "timeout").any() else "error"
            errors = sub["error"].dropna()
            cell = Cell(None, None, 0, n_total, status, error=errors.iloc[0] if len(errors) else None)
        rows.setdefault(gen, {})[metric] = cell
    for gen in rows:
        for m in metrics:
            rows[gen].setdefault(m, Cell(None, None, 0, 0, "error", error="no record"))
    avg = rank_rows(rows, metrics, directions, averaged)
    return Board(dataset, metrics, directions, rows, avg, info or {}, averaged)


def rank_rows(rows: dict[str, dict[str, Cell]], metrics: list[str], directions: dict[str, str],
              averaged: list[str] | None = None) -> dict[str, float | None]:
    """Fill ``Cell.rank`` in place; return each generator's mean rank over the ``averaged`` metrics (default all)."""
    gens = [g for g in rows if g != REFERENCE]
    ranked_metrics = []
    for m in metrics:
        direction = directions[m]
        keyed: dict[str, float] = {}
        if direction == "closest":
            ref = rows.get(REFERENCE, {}).get(m)
            if ref is None or ref.mean is None:
                continue
            for g in gens:
                if rows[g][m].mean is not None:
                    keyed[g] = abs(rows[g][m].mean - ref.mean)
        else:
            sign = -1.0 if direction == "higher" else 1.0
            for g in gens:
                if rows[g][m].mean is not None:
                    keyed[g] = sign * rows[g][m].mean
        if not keyed:  # nobody has a value: nothing to rank
            continue
        ranked_metrics.append(m)
        ranks = pd.Series(keyed, dtype=float).rank(method="min") if keyed else pd.Series(dtype=float)
        worst = float(len(keyed) + 1)
        for g in gens:
            rows[g][m].rank = float(ranks[g]) if g in keyed else worst
    avg: dict[str, float | None] = {}
    in_avg = [m for m in ranked_metrics if averaged is None or m in averaged]
    for g in gens:
        ranks = [rows[g][m].rank for m in in_avg]
        avg[g] = float(np.mean(ranks)) if ranks else None
    if REFERENCE in rows:
        avg[REFERENCE] = None
    return avg


# ---- rendering ------------------------------------------------------------------------------
_ARROW = {"higher": "↑", "lower": "↓", "closest": "≈ref"}


def _header(board: Board) -> list[str]:
    def name(m: str) -> str:
        star = "" if board.averaged is None or m in board.averaged else "*"
        return f"{m}{star} {_ARROW.get(board.directions[m], '')}"

    return ["generator"] + [name(m) for m in board.metrics] + ["avg rank", "fit s", "peak MB"]


def _row(board: Board, gen: str, digits: int = 3, ranks: bool = True) -> list[str]:
    cells = []
    for m in board.metrics:
        c = board.rows[gen][m]
        t = c.text(digits)
        if ranks and gen != REFERENCE and c.rank is not None:
            t += f" [{c.rank:g}]"
        cells.append(t)
    avg = board.avg_rank.get(gen)
    i = board.info.get(gen, {})
    fmt = (lambda v, d=1: "-" if v is None else f"{v:.{d}f}")
    return [gen] + cells + ["-" if avg is None else f"{avg:.3f}", fmt(i.get("fit_s")), fmt(i.get("peak_rss_mb"), 0)]


def to_markdown(boards: list[Board], notes: dict[str, str] | None = None) -> str:
    """Markdown tables; ``notes`` (dataset label -> text, e.g. the anomaly protocol) go under each title."""
    out = io.StringIO()
    for b in boards:
        out.write(f"### {b.dataset}\n\n")
        if notes and notes.get(b.dataset):
            out.write(f"{notes[b.dataset]}\n\n")
        head = _header(b)
        out.write("| " + " | ".join(head) + " |\n|" + "---|" * len(head) + "\n")
        for g in b.order:
            out.write("| " + " | ".join(_row(b, g)) + " |\n")
        out.write("\nCells: mean ± std over seeds [rank]; ↑ higher is better, ↓ lower, ≈ref closest to the Reference row. "
                  "ERROR/TIMEOUT cells take the worst rank. Metrics marked * are ranked but not in the average rank.\n\n")
    return out.getvalue()


def to_csv(boards: list[Board]) -> str:
    rows = []
    for b in boards:
        for g in b.order:
            row = {"dataset": b.dataset, "generator": g, "average_rank": b.avg_rank.get(g)}
            for m in b.metrics:
                c = b.rows[g][m]
                row[f"{m}_mean"], row[f"{m}_std"], row[f"{m}_rank"], row[f"{m}_status"] = c.mean, c.std, c.rank, c.status
            rows.append(row)
    return pd.DataFrame(rows).to_csv(index=False)


def render_rich(boards: list[Board], console=None) -> None:
    from rich.console import Console
    from rich.table import Table

    import sys

    console = console or Console(width=None if sys.stdout.isatty() else 220)
    for b in boards:
        table = Table(title=f"secgen-bench leaderboard: {b.dataset}", show_lines=False)
        for i, h in enumerate(_header(b)):
            table.add_column(h, justify="left" if i == 0 else "right", no_wrap=i == 0)
        for g in b.order:
            cells = _row(b, g)
            style = "dim" if g == REFERENCE else None
            table.add_row(*[c if "ERROR" not in c and "TIMEOUT" not in c else f"[red]{c}[/red]" for c in cells], style=style)
        console.print(table)

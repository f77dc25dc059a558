"""Ranked leaderboards from a run directory: mean +- std over seeds, 95 % intervals, per-metric ranks, average rank.

Ranking rules (the paper's Table 2, made explicit):
- each metric ranks the generators (the Reference and bootstrap rows are scored but never ranked); ``higher`` metrics
  descending, ``lower`` ascending, ``closest`` by the distance to the Reference row's mean;
- ``ranking="ties"`` (default): generators whose difference is not significant share a rank (dense
  groups, paired bootstrap over matched seeds x repetitions, level 0.05: see ``secgen_bench.ranking``);
  ``ranking="strict"``: the paper's plain ``min`` ranking, only equal means share the lower rank;
  the board keeps both average ranks (``avg_ranks``), ``avg_rank`` and the cells' ranks are the chosen one;
- a generator whose every seed failed on a metric shows ERROR or TIMEOUT there, never a blank,
  and takes the worst rank (one below the last generator that has a value), since a benchmark
  must not reward failing; a metric on which no generator has a value is not ranked;
- a ``closest`` metric without a Reference value cannot be ranked: its ranks stay empty and it is
  left out of the average rank (the cell still shows the value);
- the average rank is the mean over the ranked metrics that count for it (the paper's eight; corrected
  variants and temporal metrics, marked ``*``, are ranked but left out); rows are sorted by it.

Every cell with a value carries ``ci_low``/``ci_high``: the 95 % percentile interval of its mean from a
two-stage bootstrap, seeds then repetitions within seed (``secgen_bench.stats``).
"""
from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from secgen_bench import ranking as ranking_rules
from secgen_bench import stats
from secgen_bench.budget import BUDGET_LEGEND, summarize_budgets, summarize_rows
from secgen_bench.metric_families import copy_side, families_text
from secgen_bench.runner.plan import REFERENCE, UNRANKED
from secgen_bench.runner.planned import planned_records
from secgen_bench.runner.store import RunStore

STRICT, TIES = ranking_rules.STRICT, ranking_rules.TIES


NOT_APPLICABLE = "n/a"
COPY_MARK = "⚠"
COPY_LEGEND = (f"{COPY_MARK}: the cell's 95 % interval lies wholly beyond the Reference row's on the side where "
               "synthetic flows sit closer to the training flows than held-out real flows do (copying).")


def not_applicable(cells: dict[str, "Cell"]) -> bool:
    """True when a generator's every cell is n/a: it could not run on this dataset and is not ranked."""
    return bool(cells) and all(c.status == NOT_APPLICABLE for c in cells.values())


@dataclass
class Cell:
    mean: float | None
    std: float | None
    n_ok: int
    n_total: int
    status: str              # "ok", "partial", "error", "timeout", "n/a" (the dataset lacks a role it needs)
    rank: float | None = None
    error: str | None = None
    rep_std: float | None = None   # spread over the protocol's repetitions (mean over seeds)
    ci_low: float | None = None    # 95 % bootstrap interval of the mean (seeds x repetitions)
    ci_high: float | None = None
    copies: bool = False           # a privacy metric says the synthetic rows copy the training rows

    def text(self, digits: int = 3, intervals: bool = False) -> str:
        if self.mean is None:
            return "n/a" if self.status == NOT_APPLICABLE else self.status.upper()
        out = f"{self.mean:.{digits}f} ± {self.std:.{digits}f}" if self.n_ok > 1 else f"{self.mean:.{digits}f}"
        if intervals and self.ci_low is not None:
            out += f" ({self.interval_text(digits)})"
        if self.status == "partial":
            out += f" ({self.n_ok}/{self.n_total})"
        if self.copies:
            out += f" {COPY_MARK}"
        return out

    def interval_text(self, digits: int = 3) -> str:
        return "" if self.ci_low is None else f"95% CI {self.ci_low:.{digits}f}–{self.ci_high:.{digits}f}"


@dataclass
class Board:
    dataset: str
    metrics: list[str]
    directions: dict[str, str]
    rows: dict[str, dict[str, Cell]]              # generator -> metric -> cell
    avg_rank: dict[str, float | None]
    info: dict[str, dict] = field(default_factory=dict)   # generator -> fit_s, peak_rss_mb, status counts
    averaged: list[str] | None = None             # metrics in the average rank (None: all)
    ranking: str = TIES                           # which ranking the cells' ranks and avg_rank follow
    avg_ranks: dict[str, dict[str, float | None]] = field(default_factory=dict)   # ranking -> generator -> avg
    samples: dict[str, dict[str, dict[int, list[float]]]] = field(default_factory=dict, repr=False)
    # generator -> metric -> seed -> repetition values (not serialized: the records hold them)

    @property
    def order(self) -> list[str]:
        gens = [g for g in self.rows if g not in UNRANKED]
        gens.sort(key=lambda g: (math.inf if self.avg_rank.get(g) is None else self.avg_rank[g], g))
        return [u for u in UNRANKED if u in self.rows] + gens

    def to_dict(self) -> dict:
        return {
            "dataset": self.dataset, "metrics": self.metrics, "directions": self.directions,
            "rows": {g: {m: vars(c) for m, c in cells.items()} for g, cells in self.rows.items()},
            "average_rank": self.avg_rank, "info": self.info, "order": self.order, "averaged": self.averaged,
            "ranking": self.ranking, "average_ranks": self.avg_ranks,
        }


def _broken(path: Path, exc: Exception) -> ValueError:
    what = f"missing field {exc}" if isinstance(exc, KeyError) else f"{type(exc).__name__}: {exc}"
    return ValueError(f"{path}: broken record ({what})")


def records_frame(store: RunStore) -> pd.DataFrame:
    rows = []
    for path, rec in planned_records(store, "*/metrics/*.json"):
        try:
            rows.append({
                "dataset": rec["dataset"]["label"], "generator": rec["generator"]["name"], "seed": rec["seed"],
                "metric": rec["metric"], "direction": rec["direction"], "value": rec.get("value"),
                "status": rec.get("status"), "error": rec.get("error"), "std": rec.get("std"),
                "in_average_rank": rec.get("in_average_rank", True), "values": rec.get("values"),
            })
        except (KeyError, TypeError) as exc:
            raise _broken(path, exc) from None
    return pd.DataFrame(rows, columns=["dataset", "generator", "seed", "metric", "direction", "value", "status", "error",
                                       "std", "in_average_rank", "values"])


def build(run_dir: str | Path, ranking: str = TIES) -> list[Board]:
    """One board per dataset of the run (the jobs of its plan), ranked by ``ranking`` ("ties" or "strict")."""
    ranking_rules.check_ranking(ranking)
    store = RunStore(run_dir)
    if not (store.root / "jobs").is_dir():
        raise FileNotFoundError(f"{store.root}: not a run directory (no jobs/ folder)")
    frame = records_frame(store)
    info = _job_info(store)
    return [board_from_frame(ds, sub, info.get(ds, {}), ranking) for ds, sub in frame.groupby("dataset", sort=True)]


def _job_info(store: RunStore) -> dict[str, dict[str, dict]]:
    acc: dict[str, dict[str, dict]] = {}
    for path, rec in planned_records(store, "*/job.json"):
        try:
            d = acc.setdefault(rec["dataset"]["label"], {}).setdefault(
                rec["generator"]["name"], {"fit_s": [], "sample_s": [], "peak_rss_mb": [], "status": {},
                                            "budgets": [], "training_rows": []})
            t, r = rec.get("timings") or {}, rec.get("resources") or {}
            for k, src in (("fit_s", t), ("sample_s", t), ("peak_rss_mb", r)):
                if src.get(k) is not None:
                    d[k].append(src[k])
            d["status"][rec["status"]] = d["status"].get(rec["status"], 0) + 1
            if isinstance(rec.get("budget"), dict):
                d["budgets"].append(rec["budget"])
            if isinstance(rec.get("training_rows"), dict):
                d["training_rows"].append(rec["training_rows"])
            path_used = (rec.get("environment") or {}).get("float_path")
            if path_used and "float_path" not in d:
                d["float_path"] = path_used   # the CPU code path torch ran on (runner/float_path.py)
        except (KeyError, TypeError, AttributeError) as exc:
            raise _broken(path, exc) from None
    for gens in acc.values():
        for d in gens.values():
            for k in ("fit_s", "sample_s", "peak_rss_mb"):
                d[k] = float(np.mean(d[k])) if d[k] else None
            budgets = d.pop("budgets")
            if budgets:
                d["budget"] = summarize_budgets(budgets)
            rows = d.pop("training_rows")
            if rows:
                d["training_rows"] = summarize_rows(rows)
    return acc


def board_from_frame(dataset: str, frame: pd.DataFrame, info: dict | None = None, ranking: str = TIES) -> Board:
    """The board of one dataset from its metric records (one frame row per generator, seed and metric)."""
    ranking_rules.check_ranking(ranking)
    if "in_average_rank" not in frame:
        frame = frame.assign(in_average_rank=True)
    averaged_flags = frame.groupby("metric", sort=False)["in_average_rank"].agg(lambda s: bool(s.fillna(True).all()))
    metrics = sorted(dict.fromkeys(frame["metric"]), key=lambda m: (not averaged_flags[m], m))
    averaged = [m for m in metrics if averaged_flags[m]]
    directions = {m: frame.loc[frame["metric"] == m, "direction"].iloc[0] for m in metrics}
    rows: dict[str, dict[str, Cell]] = {}
    samples: dict[str, dict[str, dict[int, list[float]]]] = {}
    for (gen, metric), sub in frame.groupby(["generator", "metric"], sort=False):
        ok = sub[(sub["status"] == "ok") & sub["value"].notna()]
        vals = ok["value"].astype(float).to_numpy()
        n_total = len(sub)
        if len(vals):
            status = "ok" if len(vals) == n_total else "partial"
            cell = Cell(float(vals.mean()), float(vals.std(ddof=1)) if len(vals) > 1 else 0.0, len(vals), n_total, status)
            if "std" in ok and ok["std"].notna().any():
                cell.rep_std = float(ok["std"].astype(float).mean())
            grid = _repetition_grid(ok)
            samples.setdefault(gen, {})[metric] = grid
            cell.ci_low, cell.ci_high = stats.mean_interval(grid)
        else:
            failed = sub["status"].fillna("error")
            status = ("timeout" if (failed == "timeout").any() else NOT_APPLICABLE if (failed == NOT_APPLICABLE).all()
                      else "error")
            errors = sub["error"].dropna()
            cell = Cell(None, None, 0, n_total, status, error=errors.iloc[0] if len(errors) else None)
        rows.setdefault(gen, {})[metric] = cell
    for gen in rows:
        for m in metrics:
            rows[gen].setdefault(m, Cell(None, None, 0, 0, "error", error="no record"))
    flag_copies(rows, metrics)
    avg_ranks = {r: rank_rows(rows, metrics, directions, averaged, r, samples)
                 for r in ranking_rules.RANKINGS if r != ranking}
    avg_ranks[ranking] = rank_rows(rows, metrics, directions, averaged, ranking, samples)   # last: fills the cells
    avg_ranks = {r: avg_ranks[r] for r in ranking_rules.RANKINGS}
    return Board(dataset, metrics, directions, rows, avg_ranks[ranking], info or {}, averaged, ranking, avg_ranks,
                 samples)


def flag_copies(rows: dict[str, dict[str, Cell]], metrics: list[str]) -> None:
    """Set ``Cell.copies`` where a privacy metric's interval lies wholly on its copy side of the Reference's.

    A "closest to the Reference" rank cannot tell a generator that copies (MD, dcr above the
    Reference row) from one that misses the other way; this flag can. Disjoint 95 % intervals are
    a stricter test than the paired bootstrap of the ranks, so a flag is not raised by noise.
    """
    ref = rows.get(REFERENCE)
    if not ref:
        return
    for m in metrics:
        side, r = copy_side(m), ref.get(m)
        if side is None or r is None or r.ci_low is None:
            continue
        for g, cells in rows.items():
            c = cells.get(m)
            if g == REFERENCE or c is None or c.ci_low is None:
                continue
            c.copies = c.ci_low > r.ci_high if side == "higher" else c.ci_high < r.ci_low


def _repetition_grid(ok: pd.DataFrame) -> dict[int, list[float]]:
    """seed -> the protocol's repetition values of that seed (the seed's value alone when none were recorded)."""
    grid: dict[int, list[float]] = {}
    has_values = "values" in ok
    for seed, value, values in zip(ok["seed"], ok["value"], ok["values"] if has_values else [None] * len(ok)):
        reps = [float(v) for v in values] if isinstance(values, (list, tuple, np.ndarray)) and len(values) else []
        grid[int(seed)] = reps or [float(value)]
    return grid


def rank_rows(rows: dict[str, dict[str, Cell]], metrics: list[str], directions: dict[str, str],
              averaged: list[str] | None = None, ranking: str = STRICT,
              samples: dict[str, dict[str, dict[int, list[float]]]] | None = None) -> dict[str, float | None]:
    """Fill ``Cell.rank`` in place by ``ranking``; return each generator's mean rank over the ``averaged`` metrics.

    ``samples`` (generator -> metric -> seed -> repetition values) feed the tie test of ``ranking="ties"``.
    """
    samples = samples or {}
    gens = [g for g in rows if g not in UNRANKED and not not_applicable(rows[g])]   # n/a: listed, never ranked
    per_metric: dict[str, dict[str, float]] = {}
    for m in metrics:
        ref = rows.get(REFERENCE, {}).get(m)
        grids = {g: samples[g][m] for g in gens if m in samples.get(g, {})}
        ranks = ranking_rules.metric_ranks(directions[m], {g: rows[g][m].mean for g in gens},
                                           None if ref is None else ref.mean, ranking, grids,
                                           samples.get(REFERENCE, {}).get(m))
        if ranks is None:  # nobody has a value, or a closest metric without Reference: nothing to rank
            continue
        per_metric[m] = ranks
        for g in gens:
            rows[g][m].rank = ranks[g]
    avg: dict[str, float | None] = ranking_rules.average_ranks(per_metric, gens, averaged)
    avg.update({g: None for g in rows if g not in UNRANKED and g not in gens})
    for u in UNRANKED:
        if u in rows:
            avg[u] = None
    return avg


# ---- rendering ------------------------------------------------------------------------------
_ARROW = {"higher": "↑", "lower": "↓", "closest": "≈ref"}


def _header(board: Board) -> list[str]:
    def name(m: str) -> str:
        star = "" if board.averaged is None or m in board.averaged else "*"
        return f"{m}{star} {_ARROW.get(board.directions[m], '')}"

    return (["generator"] + [name(m) for m in board.metrics] + ["avg rank"] + (["budget"] if has_budgets(board) else [])
            + ["fit s", "peak MB"])


def has_budgets(board: Board) -> bool:
    """Whether a row of ``board`` records a training budget or a binding training-row cap (then the board
    shows the budget column)."""
    return any(i.get("budget") or (i.get("training_rows") or {}).get("capped") for i in board.info.values())


def budget_text(board: Board, gen: str) -> str:
    """``25/300 ep ✗`` for a generator that records a budget, with ``rows 4,000/5,600`` when a training-row cap
    left rows out; ``-`` for the others."""
    info = board.info.get(gen, {})
    parts = [info["budget"]["text"]] if info.get("budget") else []
    if (info.get("training_rows") or {}).get("capped"):
        parts.append(info["training_rows"]["text"])
    return ", ".join(parts) or "-"


def _row(board: Board, gen: str, digits: int = 3, ranks: bool = True, intervals: bool = False) -> list[str]:
    cells = []
    for m in board.metrics:
        c = board.rows[gen][m]
        t = c.text(digits, intervals)
        if ranks and gen not in UNRANKED and c.rank is not None:
            t += f" [{c.rank:g}]"
        cells.append(t)
    avg = board.avg_rank.get(gen)
    i = board.info.get(gen, {})
    fmt = (lambda v, d=1: "-" if v is None else f"{v:.{d}f}")
    return ([gen] + cells + ["-" if avg is None else f"{avg:.3f}"] + ([budget_text(board, gen)] if has_budgets(board) else [])
            + [fmt(i.get("fit_s")), fmt(i.get("peak_rss_mb"), 0)])


RANKING_NOTES = {
    TIES: "Ranks: generators whose difference is not significant share a rank (paired bootstrap over matched "
          "seeds × repetitions, 2,000 resamples, two-sided, level 0.05; dense groups from the best).",
    STRICT: "Ranks: strict (the paper's): only equal means share a rank.",
}
INTERVAL_NOTE = ("Intervals: 95 % percentile bootstrap of the mean, resampling seeds, then repetitions within "
                 "each seed (2,000 resamples).")


def legend(board: Board, intervals: bool = False) -> str:
    """The sentence under a table: what a cell holds and how it is ranked."""
    cell = "mean ± std over seeds" + (" (95 % interval)" if intervals else "") + " [rank]"
    return (f"Cells: {cell}; ↑ higher is better, ↓ lower, ≈ref closest to the Reference row. "
            "ERROR/TIMEOUT cells take the worst rank; n/a (the dataset lacks a column role the generator needs) "
            "is not ranked. Metrics marked * are ranked but not in the average rank. "
            + RANKING_NOTES[board.ranking] + (" " + INTERVAL_NOTE if intervals else "")
            + (" " + BUDGET_LEGEND if has_budgets(board) else "")
            + (" " + COPY_LEGEND if any(c.copies for cells in board.rows.values() for c in cells.values()) else ""))


def to_markdown(boards: list[Board], notes: dict[str, str] | None = None, intervals: bool = False) -> str:
    """Markdown tables; ``notes`` (dataset label -> text, e.g. the anomaly protocol) go under each title.

    ``intervals`` adds each cell's 95 % bootstrap interval.
    """
    out = io.StringIO()
    for b in boards:
        out.write(f"### {b.dataset}\n\n")
        if notes and notes.get(b.dataset):
            out.write(f"{notes[b.dataset]}\n\n")
        head = _header(b)
        out.write("| " + " | ".join(head) + " |\n|" + "---|" * len(head) + "\n")
        for g in b.order:
            out.write("| " + " | ".join(_row(b, g, intervals=intervals)) + " |\n")
        out.write(f"\n{legend(b, intervals)}\n\n")
        if families_text(b.metrics):   # utility, detectability, privacy: outside the paper's average rank
            out.write(f"{families_text(b.metrics)}\n\n")
    return out.getvalue()


def to_csv(boards: list[Board]) -> str:
    rows = []
    for b in boards:
        for g in b.order:
            row = {"dataset": b.dataset, "generator": g, "average_rank": b.avg_rank.get(g)}
            if has_budgets(b):
                budget = b.info.get(g, {}).get("budget") or {}
                row["budget"], row["converged"] = budget_text(b, g), budget.get("converged")
            for m in b.metrics:
                c = b.rows[g][m]
                row[f"{m}_mean"], row[f"{m}_std"], row[f"{m}_rank"], row[f"{m}_status"] = c.mean, c.std, c.rank, c.status
                row[f"{m}_ci_low"], row[f"{m}_ci_high"] = c.ci_low, c.ci_high
            rows.append(row)
    return pd.DataFrame(rows).to_csv(index=False)

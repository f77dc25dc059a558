"""How much training a generator got, against the published setting, and whether it converged by a stated rule.

A leaderboard that ranks a model trained 25 of its 300 paper epochs beside one
trained to convergence must say so. Every iterative generator sets
``budget_`` in ``fit``: the units it counts (epochs, steps, rounds,
iterations), how many it did, the paper's setting, the profile's cap, why it
stopped (``converged``, ``cap`` or ``time``), and ``converged`` with the
criterion that decided it. When training cannot stop early the verdict is a
post-hoc one on the loss curve (:func:`loss_plateaued`) and ``stopped`` says
``cap``: "converged" then means the curve was flat when the cap was reached.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

UNIT_ABBREVIATIONS = {"epochs": "ep", "steps": "st", "rounds": "rd", "iterations": "it"}
PLATEAU_WINDOW = 0.1     # share of the curve in each of the two windows compared
PLATEAU_TOLERANCE = 0.02  # the windows' means may differ by this share of the curve's range
PLATEAU_MIN_POINTS = 10   # fewer loss values than this cannot show a plateau
PLATEAU_CRITERION = (f"post-hoc loss plateau: |mean of the last {PLATEAU_WINDOW:.0%} of the loss curve - mean of the "
                     f"{PLATEAU_WINDOW:.0%} before| < {PLATEAU_TOLERANCE:.0%} of the curve's range "
                     f"(at least {PLATEAU_MIN_POINTS} values)")


@dataclass(frozen=True)
class Budget:
    units: str                 # what ``done``, ``paper`` and ``cap`` count: "epochs", "steps", "rounds", "iterations"
    done: int                  # how many were run
    paper: int | None          # the published setting (None: the paper sets none, it searches to the end)
    cap: int | None            # the most the profile allows (None: no cap)
    converged: bool            # the criterion held
    criterion: str             # the rule that decided ``converged``, in words
    stopped: str               # "converged" (stopped by the criterion), "cap" (reached ``cap``) or "time"
    wall_s: float | None = None  # seconds of training
    details: dict = field(default_factory=dict)   # what else the search reports (patterns, MDL gain, ...)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def with_wall(self, wall_s: float | None) -> "Budget":
        return self if self.wall_s is not None or wall_s is None else Budget(**{**asdict(self), "wall_s": wall_s})


def compact(budget: Mapping[str, Any] | None) -> str:
    """``25/300 ep ✗`` (done / paper, units, ✓ converged or ✗ not); ``-`` without a budget."""
    if not budget:
        return "-"
    unit = UNIT_ABBREVIATIONS.get(budget.get("units", ""), budget.get("units", ""))
    paper = budget.get("paper")
    done = f"{budget.get('done')}/{paper}" if paper else f"{budget.get('done')}"
    return f"{done} {unit} {'✓' if budget.get('converged') else '✗'}"


BUDGET_LEGEND = ("Budget: units done / the paper's setting (ep epochs, st steps, rd rounds, it iterations); "
                 "✓ converged by the generator's stated criterion, ✗ not (stopped by the profile's cap or time); "
                 "'rows used/offered' when a training-row cap left rows out; job.json holds the criterion.")


def summarize_budgets(budgets: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One leaderboard row's budget from its seeds' records: converged only when every seed converged."""
    done = sorted({int(b.get("done") or 0) for b in budgets})
    n_conv = sum(bool(b.get("converged")) for b in budgets)
    first = budgets[0]
    out = {"units": first.get("units"), "done": done[0] if len(done) == 1 else done, "paper": first.get("paper"),
           "cap": first.get("cap"), "converged": n_conv == len(budgets), "converged_seeds": n_conv,
           "seeds": len(budgets), "criterion": first.get("criterion"),
           "stopped": sorted({str(b.get("stopped")) for b in budgets})}
    text = compact({**first, "done": done[0] if len(done) == 1 else f"{done[0]}–{done[-1]}",
                    "converged": out["converged"]})
    if 0 < n_conv < len(budgets):
        text += f" ({n_conv}/{len(budgets)} ✓)"
    out["text"] = text
    return out


def summarize_rows(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One leaderboard row's training rows from its seeds' ``training_rows`` records (used, offered, cap);
    ``capped`` when the cap left rows out for some seed, and then ``text`` says ``rows 4,000/5,600``."""
    used = sorted({int(r.get("used") or 0) for r in records})
    offered = sorted({int(r.get("offered") or 0) for r in records})
    cap = records[0].get("cap")
    capped = any(r.get("cap") and int(r.get("offered") or 0) > int(r["cap"]) for r in records)
    span = (lambda v: f"{v[0]:,}" if len(v) == 1 else f"{v[0]:,}–{v[-1]:,}")  # noqa: E731
    return {"used": used[0] if len(used) == 1 else used, "offered": offered[0] if len(offered) == 1 else offered,
            "cap": cap, "capped": capped, "text": f"rows {span(used)}/{span(offered)}" if capped else ""}


def loss_plateaued(losses: Sequence[float]) -> bool:
    """True when the loss curve is flat at its end by the rule in ``PLATEAU_CRITERION``."""
    values = np.asarray([v for v in losses if np.isfinite(v)], dtype=float)
    if len(values) < PLATEAU_MIN_POINTS:
        return False
    w = max(1, int(len(values) * PLATEAU_WINDOW))
    last, before = values[-w:].mean(), values[-2 * w:-w].mean()
    spread = float(values.max() - values.min())
    return bool(spread == 0.0 or abs(last - before) < PLATEAU_TOLERANCE * spread)


def post_hoc(units: str, done: int, paper: int | None, cap: int | None, losses: Sequence[float],
             per: str = "") -> Budget:
    """The budget of a fixed-length training run (it cannot stop early), judged on its loss curve."""
    criterion = PLATEAU_CRITERION + (f", {per}" if per else "")
    return Budget(units, int(done), paper, cap, loss_plateaued(losses), criterion, "cap")


def paper_setting(cls: type, option: str) -> int | None:
    """The ``paper`` profile's value of ``option`` (the published setting); None when it sets none."""
    value = getattr(cls, "PROFILES", {}).get("paper", {}).get(option)
    return int(value) if isinstance(value, (int, float)) and value else None

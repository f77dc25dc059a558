"""Direction-aware comparison of two results, for CI: fail only when a number got worse.

Inputs are run directories or leaderboard JSON files (``leaderboard.json``,
or a committed baseline). For each (dataset, generator, metric) of the
baseline, the current value is *worse* when it moved in the bad direction by
more than the tolerance: up for ``lower`` metrics, down for ``higher`` ones,
away from the Reference row for ``closest`` ones. A cell that was a number and
became ERROR/TIMEOUT, or a generator that disappeared, is a regression too.
Better numbers never fail.

Default tolerance of a cell: ``k`` times its own noise, the larger of the
seed-to-seed and repetition-to-repetition standard deviations seen in either
run (k = 3), with a floor of one part per million of the value (at least
1e-9): reruns of the deterministic CPU pipeline agree to far better than that
(multi-threaded BLAS can move the last digits of a correlation), while any real
change of a generator or metric moves numbers by much more.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from secgen_bench import leaderboard
from secgen_bench.leaderboard import Board, Cell
from secgen_bench.runner.plan import REFERENCE

NOISE_MULTIPLIER = 3.0
FLOOR = 1e-9
RELATIVE_FLOOR = 1e-6


@dataclass
class Change:
    dataset: str
    generator: str
    metric: str
    direction: str
    old: float | None
    new: float | None
    old_status: str
    new_status: str
    tolerance: float | None
    verdict: str          # "worse", "better", "same", "new-failure", "fixed", "missing"

    @property
    def regression(self) -> bool:
        return self.verdict in ("worse", "new-failure", "missing")

    def describe(self) -> str:
        fmt = (lambda v, s: s.upper() if v is None else f"{v:.6g}")
        return (f"{self.generator} / {self.metric} on {self.dataset}: {fmt(self.old, self.old_status)} -> "
                f"{fmt(self.new, self.new_status)} ({self.verdict}"
                + (f", tolerance {self.tolerance:.3g})" if self.tolerance is not None else ")"))


def load_boards(path: str | Path) -> list[Board]:
    path = Path(path)
    if path.is_dir():
        if (path / "jobs").is_dir():
            return leaderboard.build(path)
        if (path / "leaderboard.json").exists():
            path = path / "leaderboard.json"
        else:
            raise FileNotFoundError(f"{path}: neither a run directory nor a folder with leaderboard.json")
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such run directory or leaderboard file")
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not a leaderboard JSON file ({exc.msg} at line {exc.lineno})") from None
    if isinstance(data, dict):
        data = data.get("boards", [data])
    try:
        return [board_from_dict(d) for d in data]
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        what = f"missing field {exc}" if isinstance(exc, KeyError) else f"{type(exc).__name__}: {exc}"
        raise ValueError(f"{path}: not a leaderboard JSON file ({what})") from None


def board_from_dict(d: dict) -> Board:
    rows = {g: {m: Cell(**c) for m, c in cells.items()} for g, cells in d["rows"].items()}
    return Board(d["dataset"], list(d["metrics"]), dict(d["directions"]), rows,
                 {g: v for g, v in d.get("average_rank", {}).items()}, d.get("info", {}), d.get("averaged"))


def _noise(*cells: Cell | None) -> float:
    spreads = [c.std for c in cells if c is not None and c.std is not None]
    spreads += [c.rep_std for c in cells if c is not None and c.rep_std is not None]
    return max(spreads) if spreads else 0.0


def compare(baseline: list[Board], current: list[Board], tolerances: dict[str, float] | None = None) -> list[Change]:
    tolerances = tolerances or {}
    cur_by = {b.dataset: b for b in current}
    changes: list[Change] = []
    for base in baseline:
        cur = cur_by.get(base.dataset)
        for gen, cells in base.rows.items():
            for metric, old in cells.items():
                direction = base.directions.get(metric, "lower")
                new = cur.rows.get(gen, {}).get(metric) if cur is not None else None
                if new is None:
                    changes.append(Change(base.dataset, gen, metric, direction, old.mean, None, old.status,
                                          "missing", None, "missing" if old.mean is not None else "same"))
                    continue
                if old.mean is None or new.mean is None:
                    verdict = ("same" if old.mean is None and new.mean is None else
                               "new-failure" if new.mean is None else "fixed")
                    changes.append(Change(base.dataset, gen, metric, direction, old.mean, new.mean, old.status,
                                          new.status, None, verdict))
                    continue
                tol = tolerances.get(metric)
                if tol is None:
                    tol = max(NOISE_MULTIPLIER * _noise(old, new), RELATIVE_FLOOR * abs(old.mean), FLOOR)
                if direction == "closest":
                    if gen == REFERENCE:
                        changes.append(Change(base.dataset, gen, metric, direction, old.mean, new.mean, old.status,
                                              new.status, tol, "same"))
                        continue
                    ref_old = base.rows.get(REFERENCE, {}).get(metric)
                    ref_new = cur.rows.get(REFERENCE, {}).get(metric)
                    if ref_old is None or ref_new is None or ref_old.mean is None or ref_new.mean is None:
                        worse_by = 0.0
                    else:
                        worse_by = abs(new.mean - ref_new.mean) - abs(old.mean - ref_old.mean)
                elif direction == "higher":
                    worse_by = old.mean - new.mean
                else:
                    worse_by = new.mean - old.mean
                verdict = "worse" if worse_by > tol else "better" if worse_by < -tol else "same"
                changes.append(Change(base.dataset, gen, metric, direction, old.mean, new.mean, old.status,
                                      new.status, tol, verdict))
    return changes


def float_path_notes(baseline: list[Board], current: list[Board], changes: list[Change]) -> list[str]:
    """One line per regressed generator whose rows were made on another CPU code path than the baseline's.

    Torch's CPU kernels round by the processor's instructions (runner/float_path.py), so such a
    regression may be the machine, not the code; a baseline without the record counts as unknown.
    """
    paths = {(b.dataset, g): i.get("float_path") for b in baseline for g, i in b.info.items()}
    now = {(b.dataset, g): i.get("float_path") for b in current for g, i in b.info.items()}
    notes = []
    for ds, gen in dict.fromkeys((c.dataset, c.generator) for c in changes if c.regression):
        old, new = paths.get((ds, gen)), now.get((ds, gen))
        if new is not None and old != new:
            notes.append(f"note: {gen} on {ds}: this run's CPU path {_path_text(new)}, the baseline's "
                         f"{_path_text(old)}; torch rounds by the path, so a torch generator's regression here "
                         f"may be the machine (README, 'Float path')")
    return notes


def _path_text(path: dict | None) -> str:
    if not path:
        return "unrecorded"
    switches = ",".join(f"{k}={v}" for k, v in sorted(path.items()) if k != "cpu_isa" and v is not None)
    return f"{path.get('cpu_isa') or 'unknown'} ({switches or 'chosen by the libraries'})"


def parse_tolerances(text: str | None) -> dict[str, float]:
    out: dict[str, float] = {}
    for item in (text or "").split(","):
        if not item.strip():
            continue
        name, sep, value = item.partition("=")
        try:
            if not sep:
                raise ValueError
            out[name.strip()] = float(value)
        except ValueError:
            raise ValueError(f"--tolerance {item.strip()!r}: use METRIC=NUMBER, e.g. jsd=0.02") from None
        if not math.isfinite(out[name.strip()]) or out[name.strip()] < 0:
            raise ValueError(f"--tolerance {item.strip()!r}: must be a finite number >= 0")
    return out


def to_markdown(changes: list[Change], only_changes: bool = False) -> str:
    lines = ["| dataset | generator | metric | baseline | current | tolerance | verdict |", "|---|---|---|---|---|---|---|"]
    mark = {"worse": "❌ worse", "new-failure": "❌ new failure", "missing": "❌ missing", "better": "✅ better",
            "fixed": "✅ fixed", "same": "same"}
    for c in changes:
        if only_changes and c.verdict == "same":
            continue
        fmt = (lambda v, s: s.upper() if v is None else f"{v:.6g}")
        lines.append(f"| {c.dataset} | {c.generator} | {c.metric} | {fmt(c.old, c.old_status)} | "
                     f"{fmt(c.new, c.new_status)} | {'' if c.tolerance is None else f'{c.tolerance:.3g}'} | "
                     f"{mark[c.verdict]} |")
    n_bad = sum(c.regression for c in changes)
    lines.append("")
    lines.append(f"{n_bad} regression(s) in {len(changes)} compared cells." if n_bad else
                 f"No regression in {len(changes)} compared cells.")
    return "\n".join(lines) + "\n"

"""The run notes' line on the real-trained models of the utility metrics (e.g. ids-utility's detectors' AU-ROC).

A ratio such as ``ids-utility`` (synthetic-trained / real-trained AU-ROC)
means little when the real-trained detector itself is no better than chance,
so the run says what the real-trained models reached. A metric reports such a
number in its breakdown under a key ending ``auc_real`` or ``f1_real``; this
module averages each one over the jobs of a dataset (seeds and generators:
the real-trained models see the same real rows in every job of a seed) and
puts one line per dataset into ``run.json``'s notes, after the plan's note.
"""
from __future__ import annotations

import re

import numpy as np

from secgen_bench.runner.planned import planned_records
from secgen_bench.runner.store import RunStore, read_json, write_json

MARKER = "Real-trained baselines"
_KEY = re.compile(r"(^|[_-])(auc|f1)_real$")


def real_trained_lines(records: list[dict]) -> dict[str, str]:
    """Dataset label -> 'Real-trained baselines: ids-utility isolation-forest AU-ROC 0.91, ...' from metric records."""
    found: dict[str, dict[str, dict[str, list[float]]]] = {}
    for rec in records:
        if rec.get("status") != "ok" or not isinstance(rec.get("breakdown"), dict):
            continue
        for key, value in rec["breakdown"].items():
            if _KEY.search(str(key)) and isinstance(value, (int, float)) and not isinstance(value, bool):
                found.setdefault(rec["dataset"]["label"], {}).setdefault(rec["metric"], {}).setdefault(
                    str(key), []).append(float(value))
    lines = {}
    for label, metrics in found.items():
        parts = []
        for metric in sorted(metrics):
            items = [f"{_what(key)} {np.mean(vals):.3f}" for key, vals in sorted(metrics[metric].items())]
            parts.append(f"{metric} {', '.join(items)}")
        lines[label] = f"{MARKER} (mean over jobs): " + "; ".join(parts) + "."
    return lines


def _what(key: str) -> str:
    """'knn_auc_real' -> 'knn AU-ROC', 'f1_real' -> 'macro-F1'."""
    model, _, measure = key[: -len("_real")].rpartition("_")
    name = {"auc": "AU-ROC", "f1": "macro-F1"}[measure]
    return f"{model} {name}" if model else name


def add_real_baseline_notes(store: RunStore) -> None:
    """Append each dataset's real-trained line to the notes in ``run.json`` (replacing an earlier one)."""
    if not store.plan_path.is_file():
        return
    lines = real_trained_lines([rec for _, rec in planned_records(store, "*/metrics/*.json")])
    if not lines:
        return
    plan = read_json(store.plan_path)
    notes = dict(plan.get("notes") or {})
    for label, line in lines.items():
        base = notes.get(label, "").split(MARKER)[0].rstrip()
        notes[label] = f"{base} {line}".strip()
    plan["notes"] = notes
    write_json(store.plan_path, plan)

"""The body of one job, run inside its own process: fit, sample, check, save, evaluate.

It imports the generator and metrics by their ``module:attr`` targets, so the
child needs no registry state. It returns plain data; the driver writes the
records (a lost worker loses no finished result).
"""
from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from secgen_bench.runner.store import read_json, read_table, refuse_pickled_tables, write_csv


def import_target(target: str) -> Any:
    from secgen_bench import registry

    return registry.import_target(target)


def load_prepared(data_dir: Path):
    from secgen_bench.schema import FlowSchema

    refuse_pickled_tables(data_dir)
    train = read_table(data_dir / "train.parquet")
    holdout = read_table(data_dir / "holdout.parquet")
    schema = FlowSchema.from_dict(read_json(data_dir / "schema.json"))
    return train, holdout, schema


def read_synthetic(path: Path, schema, dtypes: dict[str, str]) -> pd.DataFrame:
    """Re-read a stored sample with the training dtypes (CSV loses them)."""
    table = pd.read_csv(path, dtype={c: str for c, t in dtypes.items() if t == "object"},
                        keep_default_na=False, na_values=[""])
    return schema.validate(table, source=str(path), ranges=False)


def execute_job(spec: dict, report: Callable[[str], None]) -> dict:
    """Run one job described by ``spec`` (see executor.job_spec); return timings and metric outcomes."""
    if spec.get("track") == "anomaly":  # a detector job, not a generator job (see below)
        return execute_detector_job(spec, report)
    from secgen_bench.evaluation import evaluate
    from secgen_bench.generators.base import check_sample

    seed = int(spec["seed"])
    random.seed(seed)
    np.random.seed(seed % 2**32)
    report("load")
    train, holdout, schema = load_prepared(Path(spec["data_dir"]))
    job_dir = Path(spec["job_dir"])
    synthetic_path = job_dir / "synthetic.csv"
    dtypes = {c: str(t) for c, t in train.dtypes.items()}
    out: dict[str, Any] = {"fit_s": None, "sample_s": None, "peak_cuda_mb": None, "reused_synthetic": False}

    synthetic = None
    if spec["reference"]:
        synthetic = holdout
    elif spec.get("reuse_synthetic") and synthetic_path.exists():
        try:
            synthetic = read_synthetic(synthetic_path, schema, dtypes)
            out["reused_synthetic"] = True
        except Exception as exc:  # an unreadable cached sample is regenerated, not trusted
            out["cache_error"] = f"{type(exc).__name__}: {exc}".splitlines()[0]
    if synthetic is None:
        cls = import_target(spec["generator_target"])
        report("configure")
        gen = cls(profile=spec["profile"], device=spec.get("device", "cpu"), **spec.get("overrides", {}))
        report("fit")
        t0 = time.perf_counter()
        gen.fit(train, schema, seed=seed)
        out["fit_s"] = time.perf_counter() - t0
        report("sample")
        t0 = time.perf_counter()
        synthetic = gen.sample(int(spec["n_synthetic"]), seed=seed)
        out["sample_s"] = time.perf_counter() - t0
        report("check")
        synthetic = check_sample(synthetic, int(spec["n_synthetic"]), list(train.columns), dtypes, schema,
                                 who=spec["generator"], unit=getattr(cls, "unit", "rows"))
        out["peak_cuda_mb"] = _cuda_peak_mb()
        write_csv(synthetic_path, synthetic)

    report("evaluate")
    metrics = [import_target(m["target"])() for m in spec["metrics"]]
    t0 = time.perf_counter()
    outcomes = evaluate(train, synthetic, schema, metrics, holdout=holdout, repeats=int(spec["repeats"]),
                        sample_size=spec["sample_size"], seed=seed, synthetic_is_holdout=spec["reference"])
    out["evaluate_s"] = time.perf_counter() - t0
    out["metrics"] = {name: o.to_dict() for name, o in outcomes.items()}
    return out


# ---- anomaly track ---------------------------------------------------------------------------------------
def execute_detector_job(spec: dict, report: Callable[[str], None]) -> dict:
    """Fit a detector on the normal training sequences, score the labelled test set, compute the four metrics.

    The split is the one of this job's seed (secgen_bench.anomaly.protocol) drawn from the stored labelled
    table. The per-sequence scores go to ``jobs/<key>/scores.csv`` (sequence id, score, label); a resumed
    job whose record is ok but lacks a metric recomputes it from that file without refitting.
    """
    from secgen_bench.anomaly.protocol import anomaly_split, label_column
    from secgen_bench.anomaly.track import labels_of, metric_outcomes
    from secgen_bench.schema import FlowSchema

    seed = int(spec["seed"])
    random.seed(seed)
    np.random.seed(seed % 2**32)
    report("load")
    data_dir = Path(spec["data_dir"])
    schema = FlowSchema.from_dict(read_json(data_dir / "schema.json"))
    refuse_pickled_tables(data_dir)
    if not (data_dir / "table.parquet").exists():
        raise FileNotFoundError(f"{data_dir}: no table.parquet (the labelled table each anomaly job splits "
                                f"by its seed)")
    split = anomaly_split(read_table(data_dir / "table.parquet"), schema, profile=spec["profile"],
                          holdout_fraction=float(spec["holdout_fraction"]), seed=seed)
    train, test = split.train, split.test
    id_col, _ = label_column(schema)
    labels = labels_of(test, schema)
    scores_path = Path(spec["job_dir"]) / "scores.csv"
    out: dict[str, Any] = {"fit_s": None, "sample_s": None, "score_s": None, "peak_cuda_mb": None,
                           "reused_synthetic": False}
    scores = None
    if spec.get("reuse_synthetic") and scores_path.exists():
        try:
            stored = pd.read_csv(scores_path, dtype={id_col: str}, keep_default_na=False, na_values=[""])
            scores = pd.Series(stored["score"].to_numpy(dtype=float), index=pd.Index(stored[id_col], name=id_col))
            if set(scores.index) != set(labels.index):
                raise ValueError("its sequences are not the test set's")
            out["reused_synthetic"] = True
        except Exception as exc:  # unreadable or stale scores are recomputed, not trusted
            out["cache_error"] = f"{type(exc).__name__}: {exc}".splitlines()[0]
            scores = None
    if scores is None:
        cls = import_target(spec["generator_target"])
        report("configure")
        detector = cls(**cls.profile_options(spec["profile"], spec.get("overrides", {})))
        report("fit")
        t0 = time.perf_counter()
        detector.fit(train, schema, seed=seed)
        out["fit_s"] = time.perf_counter() - t0
        report("score")
        t0 = time.perf_counter()
        scores = detector.score(test)
        out["score_s"] = time.perf_counter() - t0
        truth = labels.reindex(scores.index).map({True: "anomaly", False: "normal"})
        write_csv(scores_path, pd.DataFrame({id_col: scores.index, "score": scores.to_numpy(), "label": truth.to_numpy()}))
    report("evaluate")
    t0 = time.perf_counter()
    metrics = metric_outcomes(scores, labels, [m["name"] for m in spec["metrics"]])
    elapsed = time.perf_counter() - t0
    for m in metrics.values():
        m["seconds"] = round(elapsed, 4)
    out["evaluate_s"] = (out["score_s"] or 0.0) + elapsed     # scoring the test set is the evaluation
    out["metrics"] = metrics
    return out
# ---- end anomaly track -----------------------------------------------------------------------------------


def _cuda_peak_mb() -> float | None:
    import sys

    torch = sys.modules.get("torch")
    if torch is None or not torch.cuda.is_available():
        return None
    return torch.cuda.max_memory_allocated() / 2**20

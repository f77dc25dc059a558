"""The anomaly track: detectors instead of generators, fitted on normal sequences and scored on a labelled test set.

There is no reference row and no sample: labels stay in the tables, the driver
stores the whole labelled table, and each job draws its own seed's split from
it (secgen_bench.anomaly.protocol), scores the test sequences and computes the
four detection metrics (secgen_bench.anomaly.track).
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable, Sequence

import pandas as pd

from secgen_bench import registry
from secgen_bench.anomaly.protocol import anomaly_split, label_column
from secgen_bench.anomaly.track import (METRIC_VERSION, METRICS, METRICS_TARGET, detector_config, labels_of,
                                        metric_names, metric_outcomes)
from secgen_bench.config import config_hash
from secgen_bench.datasets.base import LoadedData
from secgen_bench.datasets.loading import DatasetSource
from secgen_bench.errors import RunError
from secgen_bench.registry import import_target
from secgen_bench.runner.plan import GeneratorRef, MetricRef, Protocol
from secgen_bench.runner.prepare import load_labelled_table, load_schema
from secgen_bench.runner.isolation import error_line
from secgen_bench.runner.spec import JobSpec
from secgen_bench.runner.store import write_csv
from secgen_bench.tracks.base import Track


class AnomalyTrack(Track):
    name = "anomaly"
    plugin_kind = "detectors"
    reference_row = False        # detectors have no Reference row
    keeps_labels = True          # the labels are the ground truth the detectors are scored against
    resplits_per_seed = True
    caches_samples = False       # a detector job writes scores, not a sample

    # ---- the plan ------------------------------------------------------------------------------
    def check_names(self, plugins: Sequence[str], metrics: Sequence[str] | None) -> None:
        for name in plugins:
            registry.detectors.entry(name)
        metric_names(metrics)    # ValueError naming an unknown metric

    def default_plugins(self) -> list[str]:
        return registry.detectors.names()

    def plugin_ref(self, name: str, profile: str, overrides: dict) -> tuple[GeneratorRef, str | None]:
        """A detector in the job's generator slot (the records and leaderboard call it "generator")."""
        target, version, config, _, reason = detector_config(name, profile, overrides)
        return GeneratorRef(name, target, version, config, config_hash(config), dict(overrides), "sequences"), reason

    def metric_refs(self, names: Sequence[str] | None) -> list[tuple[MetricRef, str | None]]:
        try:
            chosen = metric_names(names)
        except ValueError as exc:
            raise RunError(str(exc)) from None
        return [(MetricRef(n, METRICS_TARGET, METRIC_VERSION, METRICS[n][1]), None) for n in chosen]

    def split(self, table: pd.DataFrame, data: LoadedData, source: DatasetSource, protocol: Protocol,
              profile: str) -> tuple[pd.DataFrame, pd.DataFrame, LoadedData]:
        """Normal-only train, test at the natural ratio (seed 0's split: it identifies the dataset and fills
        train.parquet/holdout.parquet; the jobs split the stored table again with their own seed)."""
        split = anomaly_split(table, data.schema, profile=profile, holdout_fraction=protocol.holdout_fraction,
                              seed=0, source=source.label)
        meta = {**data.meta, **{f"anomaly_{k}": v for k, v in split.description.items()}}
        return split.train, split.test, LoadedData(table, data.schema, meta)

    def n_synthetic(self, data: LoadedData, unit: str, protocol: Protocol) -> int:
        return 0

    def note(self, data: LoadedData) -> str | None:
        return data.meta.get("anomaly_protocol")

    # ---- the job body --------------------------------------------------------------------------
    def run_job(self, spec: JobSpec, report: Callable[[str], None]) -> dict:
        """Fit a detector on the normal training sequences, score the labelled test set, compute the metrics.

        The split is the one of this job's seed drawn from the stored labelled table. The per-sequence
        scores go to ``jobs/<key>/scores.csv`` (sequence id, score, label); a resumed job whose record is
        ok but lacks a metric recomputes it from that file without refitting.
        """
        seed = spec.seed
        report("load")
        data_dir = Path(spec.data_dir)
        schema = load_schema(data_dir)
        split = anomaly_split(load_labelled_table(data_dir), schema, profile=spec.profile,
                              holdout_fraction=float(spec.holdout_fraction), seed=seed)
        train, test = split.train, split.test
        id_col, _ = label_column(schema)
        labels = labels_of(test, schema)
        scores_path = Path(spec.job_dir) / "scores.csv"
        out: dict[str, Any] = {"fit_s": None, "sample_s": None, "score_s": None, "peak_cuda_mb": None,
                               "reused_synthetic": False}
        scores = None
        if spec.reuse_output and scores_path.exists():
            try:
                stored = pd.read_csv(scores_path, dtype={id_col: str}, keep_default_na=False, na_values=[""])
                scores = pd.Series(stored["score"].to_numpy(dtype=float),
                                   index=pd.Index(stored[id_col], name=id_col))
                if set(scores.index) != set(labels.index):
                    raise ValueError("its sequences are not the test set's")
                out["reused_synthetic"] = True
            except Exception as exc:  # unreadable or stale scores are recomputed, not trusted
                out["cache_error"] = error_line(exc)
                scores = None
        if scores is None:
            cls = import_target(spec.generator_target)
            report("configure")
            detector = cls(**cls.profile_options(spec.profile, spec.overrides))
            report("fit")
            t0 = time.perf_counter()
            detector.fit(train, schema, seed=seed)
            out["fit_s"] = time.perf_counter() - t0
            report("score")
            t0 = time.perf_counter()
            scores = detector.score(test)
            out["score_s"] = time.perf_counter() - t0
            truth = labels.reindex(scores.index).map({True: "anomaly", False: "normal"})
            write_csv(scores_path, pd.DataFrame({id_col: scores.index, "score": scores.to_numpy(),
                                                 "label": truth.to_numpy()}))
        report("evaluate")
        t0 = time.perf_counter()
        metrics = metric_outcomes(scores, labels, [m.name for m in spec.metrics])
        elapsed = time.perf_counter() - t0
        for m in metrics.values():
            m["seconds"] = round(elapsed, 4)
        out["evaluate_s"] = (out["score_s"] or 0.0) + elapsed     # scoring the test set is the evaluation
        out["metrics"] = metrics
        return out


ANOMALY = AnomalyTrack()

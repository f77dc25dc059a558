"""Generator tracks: fit a generator on the training split, sample, check the sample, score it against the data.

``flows`` (flow records) and ``packets`` (packet sequences) are the same kind of
track; they differ in which generators and metrics are theirs (each plugin's
``track``) and in the unit a generator counts (rows or sequences).
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable, Sequence

import pandas as pd

from secgen_bench import registry
from secgen_bench.datasets.base import LoadedData
from secgen_bench.datasets.loading import DatasetSource
from secgen_bench.datasets.split import split_holdout
from secgen_bench.evaluation import evaluate
from secgen_bench.generate import fit_and_sample
from secgen_bench.generators.base import check_sample
from secgen_bench.registry import import_target
from secgen_bench.runner.labelled import load_labelled
from secgen_bench.runner.plan import BOOTSTRAP, PCAP, GeneratorRef, MetricRef, Protocol
from secgen_bench.runner.prepare import load_prepared
from secgen_bench.runner.refs import generator_ref, generators_for_track, metric_refs
from secgen_bench.runner.samples import read_synthetic
from secgen_bench.runner.isolation import error_line
from secgen_bench.runner.spec import JobSpec
from secgen_bench.runner.store import write_csv
from secgen_bench.tracks.base import Track
from secgen_bench.tracks.bootstrap import bootstrap_sample
from secgen_bench.tracks.conditional import label_inputs, note_failed_classes


class GenerationTrack(Track):
    """A track whose jobs are generators, scored by the registry metrics of the same track."""

    def __init__(self, name: str, extra_rows: tuple[str, ...] = ()):
        self.name = name
        self.extra_rows = extra_rows

    def unranked_rows(self) -> tuple[str, ...]:
        return super().unranked_rows() + self.extra_rows

    # ---- the plan ------------------------------------------------------------------------------
    def check_names(self, plugins: Sequence[str], metrics: Sequence[str] | None) -> None:
        for g in plugins:
            registry.generators.entry(g)  # unknown name -> RegistryError listing the known ones
        for m in metrics or []:
            registry.metrics.entry(m)

    def default_plugins(self) -> list[str]:
        return generators_for_track(self.name)

    def plugin_ref(self, name: str, profile: str, overrides: dict) -> tuple[GeneratorRef, str | None]:
        return generator_ref(name, profile, overrides)

    def metric_refs(self, names: Sequence[str] | None) -> list[tuple[MetricRef, str | None]]:
        return metric_refs(names, self.name)

    def split(self, table: pd.DataFrame, data: LoadedData, source: DatasetSource, protocol: Protocol,
              profile: str) -> tuple[pd.DataFrame, pd.DataFrame, LoadedData]:
        train, holdout = split_holdout(table, data.schema, protocol.holdout_fraction, seed=0, method=protocol.split)
        return train, holdout, data

    def n_synthetic(self, data: LoadedData, unit: str, protocol: Protocol) -> int:
        if unit == "sequences":
            seq = data.schema.by_role("sequence_id")
            n = int(data.table[seq[0]].nunique()) if seq else len(data.table)
        else:
            n = len(data.table)
        return min(n, protocol.max_synthetic) if protocol.max_synthetic else n

    def note(self, data: LoadedData) -> str | None:
        """On a labelled dataset: which column and values are benign, and how many attack flows train no generator."""
        m = data.meta
        if "label_column" not in m:
            return None
        return (f"Labels: column `{m['label_column']}`, benign {', '.join(map(str, m['benign_values']))}; generators "
                f"fit the {m['benign_train_rows']:,} benign training flows without labels; {m['attack_rows']:,} "
                f"attack flows are kept out of training for the ids-* metrics.")

    # ---- the job body --------------------------------------------------------------------------
    def run_job(self, spec: JobSpec, report: Callable[[str], None]) -> dict:
        """Fit, sample, check and save the sample (or reuse the stored one, or the holdout), then evaluate."""
        seed = spec.seed
        report("load")
        train, holdout, schema = load_prepared(Path(spec.data_dir))
        labelled = load_labelled(Path(spec.data_dir), train, holdout)   # None unless the dataset has labels
        job_dir = Path(spec.job_dir)
        synthetic_path = job_dir / "synthetic.csv"
        dtypes = {c: str(t) for c, t in train.dtypes.items()}
        out: dict[str, Any] = {"fit_s": None, "sample_s": None, "peak_cuda_mb": None, "reused_synthetic": False}

        synthetic = None
        if spec.reference:
            synthetic = holdout
        elif spec.generator == PCAP:        # what an IDS would read: the held-out packets through a capture
            from secgen_bench.pcap_writer import packets_via_pcap

            job_dir.mkdir(parents=True, exist_ok=True)
            synthetic = packets_via_pcap(holdout, job_dir / "holdout.pcap", seed=seed)
            synthetic = synthetic.reindex(columns=list(train.columns)).astype(dtypes)
            write_csv(synthetic_path, synthetic)
        elif spec.generator == BOOTSTRAP:   # the noise floor: cheap, drawn afresh with the job's seed
            synthetic = bootstrap_sample(train, schema, spec.n_synthetic, seed, spec.unit)
            write_csv(synthetic_path, synthetic)
        elif spec.reuse_output and synthetic_path.exists():
            try:  # a stored sample passes the same contract check as a fresh one
                synthetic = check_sample(read_synthetic(synthetic_path, schema, dtypes), spec.n_synthetic,
                                         list(train.columns), dtypes, schema, who=f"stored sample of {spec.generator}",
                                         unit=spec.unit)
                out["reused_synthetic"] = True
            except Exception as exc:  # an unreadable or contract-breaking stored sample is regenerated, not trusted
                out["cache_error"] = error_line(exc)
        if synthetic is None:
            fitted = fit_and_sample(import_target(spec.generator_target), train, schema, spec.n_synthetic, seed=seed,
                                    name=spec.generator, profile=spec.profile, device=spec.device,
                                    overrides=spec.overrides, report=report)
            synthetic = fitted.sample
            out["fit_s"], out["sample_s"] = fitted.fit_s, fitted.sample_s
            budget = getattr(fitted.generator, "budget_", None)   # iterative generators say how long they trained
            if budget is not None:
                out["budget"] = budget.with_wall(round(fitted.fit_s, 3)).to_dict()
            rows = getattr(fitted.generator, "training_rows_", None)   # generators that cap their training rows
            if rows is not None:
                out["training_rows"] = dict(rows)
            out["peak_cuda_mb"] = _cuda_peak_mb()
            write_csv(synthetic_path, synthetic)

        report("evaluate")
        metrics = [import_target(m.target)() for m in spec.metrics]
        labels = label_inputs(spec, labelled, metrics, out, report)
        t0 = time.perf_counter()
        outcomes = evaluate(train, synthetic, schema, metrics, holdout=holdout, repeats=spec.repeats,
                            sample_size=spec.sample_size, seed=seed, synthetic_is_holdout=spec.reference,
                            labels=labels)
        out["evaluate_s"] = time.perf_counter() - t0
        note_failed_classes(outcomes, metrics, out)
        out["metrics"] = {name: o.to_dict() for name, o in outcomes.items()}
        return out


def _cuda_peak_mb() -> float | None:
    import sys

    torch = sys.modules.get("torch")  # only when the generator imported it: never import torch for this
    if torch is None or not torch.cuda.is_available():
        return None
    return torch.cuda.max_memory_allocated() / 2**20


FLOWS = GenerationTrack("flows")

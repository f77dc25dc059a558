"""Reproduce the FlowChronicle paper's section 7.4 (Figures 4 and 5) and set it beside the published values.

The paper's protocol (``../shared/specs/temporal_dependency.md``): the generators of its rows are
trained on the training flows; ``acf-diff`` compares each generator's 1-second series with the
training flows' (row Test = the real held-out flows), ``lstm-next-flow`` trains next-value LSTMs
on the training flows, scores them on real held-out flows, fine-tunes them on the generator's
flows and scores them again (row Simulation = the held-out flows themselves). The generators run
through the ordinary runner (same split, cache and isolation as ``reproduce flowchronicle-table2``);
``acf-diff`` is scored inside each job, ``lstm-next-flow`` afterwards on the stored samples with
the profile's grid (``paper``: the artefact's 9 networks per column, 7 epochs).
The published values are ``leaderboards/flowchronicle-temporal/paper_section74.csv``.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from secgen_bench.runner.plan import BOOTSTRAP, REFERENCE, protocol_for

# paper row -> our generator (Test / Simulation: the real held-out flows)
PAPER_ROWS = {
    "BN_indep": "independent-bn", "BN_timedep_5step": "sequence-bn", "TVAE": "tvae", "CTGAN": "ctgan",
    "E-WGAN-GP": "ewgan-gp", "NetShare": "netshare", "Transformer": "transformer", "Our": "flowchronicle",
}
REFERENCE_ROWS = {"acf_diff_numerical": "Test", "lstm_acc_diff_discrete": "Simulation"}
METRICS = {"acf_diff_numerical": "acf-diff", "lstm_acc_diff_discrete": "lstm-next-flow"}
NUMERICAL = ["In Byte", "Out Byte", "In Packet", "Out Packet", "Duration"]
CATEGORICAL = ["Proto", "Src IP Addr", "Dst IP Addr", "Dst Pt", "Flags"]
PROFILES = {"quick": "quick", "default": "default", "paper": "paper", "full": "paper"}


def paper_values_path() -> Path:
    here = Path(__file__).resolve().parent
    path = here.parent / "leaderboards" / "flowchronicle-temporal" / "paper_section74.csv"
    if not path.exists():
        raise FileNotFoundError(f"{path}: the published section 7.4 values are missing")
    return path


def load_paper_values() -> dict[str, pd.DataFrame]:
    """Paper metric -> (our generator or 'reference') x paper column table of the published values."""
    raw = pd.read_csv(paper_values_path())
    names = {**PAPER_ROWS, "Test": REFERENCE, "Simulation": REFERENCE}
    out = {}
    for metric, block in raw.groupby("metric", sort=False):
        table = block.pivot(index="model", columns="column", values="value")
        table.index = [names[m] for m in table.index]
        out[metric] = table[NUMERICAL if metric == "acf_diff_numerical" else CATEGORICAL]
    return out


@dataclass
class TemporalReproduction:
    ours: dict[str, pd.DataFrame]      # paper metric -> generator x column (mean over seeds)
    paper: dict[str, pd.DataFrame]
    status: dict[str, str]             # generator -> "ok" or why its row is empty
    notes: list[str] = field(default_factory=list)
    wall_s: float = 0.0
    command: str = ""
    seeds: tuple[int, ...] = ()
    profile: str = "default"
    run_dir: str = ""

    def rows(self) -> list[str]:
        return [REFERENCE] + list(PAPER_ROWS.values())

    def to_markdown(self) -> str:
        lines = []
        for metric, columns in (("acf_diff_numerical", NUMERICAL), ("lstm_acc_diff_discrete", CATEGORICAL)):
            scale, fmt = (1e5, "{:.3f}") if metric == "acf_diff_numerical" else (1.0, "{:.5f}")
            title = ("Fig. 4, `acf-diff` (ACF difference x 1e-5, lower is better)" if scale != 1.0
                     else "Fig. 5, `lstm-next-flow` (mean |accuracy gap|, lower is better)")
            lines += [f"#### {title}", "", "| row | generator | " + " | ".join(f"{c} ours / paper" for c in columns)
                      + " | mean ours / paper |", "|---|---|" + "---|" * (len(columns) + 1)]
            paper_rows = {v: k for k, v in PAPER_ROWS.items()} | {REFERENCE: REFERENCE_ROWS[metric]}
            for g in self.rows():
                ours, paper = self.ours[metric], self.paper[metric]
                cells = []
                for c in [*columns, "mean"]:
                    p = paper.loc[g, columns].mean() if c == "mean" else paper.loc[g, c]
                    o = None if g not in ours.index else (
                        ours.loc[g, columns].mean(skipna=False) if c == "mean" else ours.loc[g, c])
                    o_txt = (self.status.get(g, "missing").split(":")[0].upper() if o is None or pd.isna(o)
                             else fmt.format(o * scale))
                    cells.append(f"{o_txt} / {fmt.format(p * scale)}")
                lines.append(f"| {paper_rows[g]} | {g} | " + " | ".join(cells) + " |")
            tau = self.kendall(metric)
            lines += ["", "Kendall's tau between our order of the eight generators (column mean) and the paper's: "
                      + ("-" if tau is None else f"{tau:.2f}"), ""]
        failed = {g: s for g, s in self.status.items() if s != "ok"}
        if failed:
            lines += ["Rows without a value:"] + [f"- {g}: {s}" for g, s in failed.items()] + [""]
        if self.notes:
            lines += ["What differs from the paper:"] + [f"- {n}" for n in self.notes]
        return "\n".join(lines) + "\n"

    def kendall(self, metric: str) -> float | None:
        from secgen_bench.stats import kendall

        ours = self.ours[metric].drop(index=REFERENCE, errors="ignore").mean(axis=1, skipna=False)
        paper = self.paper[metric].drop(index=REFERENCE).mean(axis=1)
        return kendall(ours, paper)

    def to_dict(self) -> dict:
        def table(frames):
            return {m: {g: {c: (None if pd.isna(v) else float(v)) for c, v in row.items()}
                        for g, row in f.iterrows()} for m, f in frames.items()}

        return {"table": "flowchronicle-temporal", "command": self.command, "wall_s": self.wall_s,
                "profile": self.profile, "seeds": list(self.seeds), "run_dir": self.run_dir,
                "load_average": list(os.getloadavg()), "ours": table(self.ours), "paper": table(self.paper),
                "status": self.status, "kendall_tau": {m: self.kendall(m) for m in self.ours}, "notes": self.notes}


def lstm_metric(profile: str, device: str, grid=None):
    from secgen_bench.metrics.lstm_next_flow import LSTMNextFlow

    return LSTMNextFlow(profile=PROFILES[profile], device=device, grid=grid)


def score_lstm(store, job: dict, metric) -> dict[str, float]:
    """lstm-next-flow of one finished job on its stored sample (Reference: the holdout itself)."""
    from secgen_bench.runner.prepare import load_prepared
    from secgen_bench.runner.samples import read_synthetic

    train, holdout, schema = load_prepared(store.data_dir(job["dataset"]["key"]))
    if job["generator"]["name"] == REFERENCE:
        synthetic = holdout
    else:
        dtypes = {c: str(t) for c, t in train.dtypes.items()}
        synthetic = read_synthetic(store.job_dir(job["job_key"]) / "synthetic.csv", schema, dtypes)
    res = metric(train, synthetic, schema, holdout=holdout, seed=int(job["seed"]))
    return {c: float(res.breakdown[c]) for c in CATEGORICAL if c in res.breakdown}


def default_notes(profile: str, meta: dict, metric, seeds) -> list[str]:
    grid = metric.grid
    return [
        f"data: {meta.get('source', 'cidds001-bi')}, {meta.get('n_train', 0)} training and "
        f"{meta.get('n_holdout', 0)} held-out bidirectional flows, random 30 % split; the held-out flows are "
        "both the Test/Simulation row and the LSTM's eval set (the artefact used a held-out week shifted back "
        "7 days for Test and a third week for eval)",
        "acf-diff divides by the overlap length n in seconds, so its scale follows the span of the data "
        "(here the sample's week, as in the paper's)",
        f"lstm-next-flow grid: H in {list(grid.hidden_sizes)}, L in {list(grid.windows)}, {grid.epochs} epochs, "
        f"batch {grid.batch_size} " + ("(the paper's)" if PROFILES[profile] == "paper" else
                                       "(the paper: H in {500,400,300}, L in {256,128,64}, 7 epochs, batch 4000)")
        + f"; networks seeded (seeds {list(seeds)}), one thread on CPU; for the Simulation row the held-out "
        "flows' earlier half in time plays the generator and the later half the eval set",
        f"generators: secgen-bench reimplementations, profile '{PROFILES[profile]}'"
        + ("" if PROFILES[profile] == "paper" else " (smaller models / fewer epochs than the paper's)"),
    ]


def reproduce_temporal(out: Path, *, data: str | None = None, profile: str = "default",
                       seeds: tuple[int, ...] | None = None, resume: bool = False, executor=None, on_event=None,
                       generators: list[str] | None = None, device: str = "cpu", grid=None) -> TemporalReproduction:
    """Run the paper's generators on the CIDDS sample, score both section 7.4 metrics, compare.

    ``grid`` (a ``lstm_next_flow.Grid``) replaces the profile's LSTM grid (tests use a tiny one).
    """
    from secgen_bench.datasets.loading import DatasetSource
    from secgen_bench.runner.request import RunRequest
    from secgen_bench.runner.run import run_benchmark
    from secgen_bench.runner.store import RunStore

    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose quick, default or paper")
    metric = lstm_metric(profile, device, grid)
    seeds = tuple(seeds) if seeds else (0,)
    protocol = protocol_for(PROFILES[profile], seeds=seeds, repeats=1, holdout_fraction=0.3)
    source = DatasetSource(path=data, format="cidds001-bi") if data else DatasetSource(name="cidds001-bi")
    t0 = time.perf_counter()
    gens = generators or list(PAPER_ROWS.values())
    request = RunRequest(generators=gens, datasets=[source], protocol=protocol, out=Path(out),
                         profile=PROFILES[profile], metrics=["acf-diff"], resume=resume, device=device)
    store: RunStore = run_benchmark(request, executor, on_event)
    acf_cells: dict[str, list[dict]] = {}
    lstm_cells: dict[str, list[dict]] = {}
    status: dict[str, str] = {}
    for job in sorted(store.job_records(), key=lambda j: (j["generator"]["name"], j["seed"])):
        g = job["generator"]["name"]
        if g == BOOTSTRAP:   # the published temporal table has no noise-floor row
            continue
        if job.get("status") != "ok":
            status[g] = f"{job.get('status')}: {(job.get('error') or '').splitlines()[0] if job.get('error') else ''}"
            continue
        rec = store.metric_record(job["job_key"], "acf-diff") or {}
        if rec.get("status") == "ok":
            acf_cells.setdefault(g, []).append({c: rec["breakdown"][c] for c in NUMERICAL if c in rec["breakdown"]})
        else:
            status[g] = f"acf-diff error: {rec.get('error')}"
        try:
            lstm_cells.setdefault(g, []).append(score_lstm(store, job, metric))
        except ValueError as exc:  # e.g. too few flows for the windows: that row's cell stays empty
            status[g] = f"lstm-next-flow error: {str(exc).splitlines()[0]}"
        status.setdefault(g, "ok")
    ours = {"acf_diff_numerical": _mean_over_seeds(acf_cells, NUMERICAL),
            "lstm_acc_diff_discrete": _mean_over_seeds(lstm_cells, CATEGORICAL)}
    meta_path = next(iter(store.root.glob("data/*/meta.json")), None)
    meta = json.loads(meta_path.read_text()) if meta_path else {}
    rep = TemporalReproduction(ours, load_paper_values(), status, default_notes(profile, meta, metric, seeds),
                               time.perf_counter() - t0, seeds=seeds, profile=profile, run_dir=str(store.root))
    rep.command = (f"secgen-bench reproduce flowchronicle-temporal --profile {profile}"
                   + (f" --data {data}" if data else "") + (f" --seeds {','.join(map(str, seeds))}" if seeds != (0,) else "")
                   + (f" --device {device}" if device != "cpu" else ""))
    return rep


def _mean_over_seeds(cells: dict[str, list[dict]], columns: list[str]) -> pd.DataFrame:
    rows = {g: {c: float(np.mean([v[c] for v in vals])) if all(c in v for v in vals) else np.nan for c in columns}
            for g, vals in cells.items() if vals}
    return pd.DataFrame.from_dict(rows, orient="index", columns=columns, dtype=float)


def write_report(rep: TemporalReproduction, out: Path) -> int:
    """temporal.md and temporal.json in ``out``; prints the tables."""
    from secgen_bench.runner.environment import environment
    from secgen_bench.runner.store import atomic_write_bytes, write_json

    env = environment()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    header = (f"# flowchronicle-temporal: secgen-bench vs the paper's section 7.4\n\nCommand: `{rep.command}`  \n"
              f"Wall time: {rep.wall_s:.0f} s  \nLoad average at the end (1, 5, 15 min): {load}  \n"
              f"Machine: {env['cpus']} CPUs, {env['memory_gb']} GB, {env['platform']}\n\n")
    text = rep.to_markdown()
    atomic_write_bytes(Path(out) / "temporal.md", (header + text).encode())
    write_json(Path(out) / "temporal.json", {**rep.to_dict(), "environment": env})
    print(text)
    print(f"results: {Path(out) / 'temporal.md'}, {Path(out) / 'temporal.json'}")
    return 0

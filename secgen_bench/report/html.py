"""One self-contained HTML page for a run directory: leaderboard, verdicts, plots, resources and metadata.

The page has fixed sections with stable ids (``SECTION_IDS``), each holding one
block per dataset. Plots are inline PNGs, the critical-difference diagram is
inline SVG, the only script is the small inline table sorter and the interval
toggle, and nothing is fetched from the network. A section whose data is
missing (no timestamp, no DKC records, every job failed...) says so in a short
``<p class="missing">``; a section that fails to draw shows the error in place
and the rest of the page is still written.
"""
from __future__ import annotations

import html
import json
import math
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from secgen_bench import __version__
from secgen_bench.runner.plan import UNRANKED
from secgen_bench.runner.store import atomic_write_bytes

SECTIONS: list[tuple[str, str]] = [
    ("leaderboard", "Leaderboard"),
    ("families", "Metric families and run notes"),
    ("critical-difference", "Critical difference over datasets × seeds (Friedman, Nemenyi)"),
    ("metric-bars", "Metrics per generator (mean ± std over seeds)"),
    ("marginals", "Marginal distributions: real vs synthetic"),
    ("correlations", "Correlations of continuous columns"),
    ("dkc", "Domain-knowledge violations per rule"),
    ("temporal", "Temporal autocorrelation"),
    ("resources", "Fit / sample time and memory"),
    ("metadata", "Run metadata"),
]
SECTION_IDS = [s for s, _ in SECTIONS]
MAX_LAG = 60
MAX_SECONDS = 5_000_000   # longest span resampled to 1 s for the ACF plot

esc = html.escape


def write_report(run_dir: str | Path, output: str | Path | None = None) -> Path:
    """Render the report of ``run_dir`` to ``output`` (default ``RUN_DIR/report.html``); return its path."""
    from secgen_bench.report.collect import RunView

    view = RunView(run_dir)
    out = Path(output) if output is not None else view.root / "report.html"
    atomic_write_bytes(out, render(view).encode("utf-8"))
    out.chmod(0o644)  # a page to share, not a private temporary file
    return out


def render(view) -> str:
    builders: dict[str, Callable] = {
        "leaderboard": _leaderboard, "families": _families, "critical-difference": _critical_difference, "metric-bars": _metric_bars, "marginals": _marginals,
        "correlations": _correlations, "dkc": _dkc, "temporal": _temporal, "resources": _resources,
        "metadata": _metadata,
    }
    body = []
    for sid, title in SECTIONS:
        try:
            content = builders[sid](view)
        except Exception as exc:  # noqa: BLE001 - one broken section must not lose the page
            first = str(exc).strip().splitlines()
            content = _missing(f"This section could not be drawn: {type(exc).__name__}: {first[0] if first else ''}",
                               cls="missing section-error")
        body.append(f'<section id="{sid}">\n<h2>{esc(title)}</h2>\n{content}\n</section>')
    nav = " · ".join(f'<a href="#{sid}">{esc(title.split(" (")[0].split(":")[0])}</a>' for sid, title in SECTIONS)
    name = view.root.resolve().name
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    return PAGE.format(title=esc(f"secgen-bench report: {name}"), css=CSS, js=JS, nav=nav, body="\n".join(body),
                       subtitle=esc(f"run directory {view.root} · generated {now} by secgen-bench {__version__}"))


def _missing(text: str, cls: str = "missing") -> str:
    return f'<p class="{cls}">{esc(text)}</p>'


def _families(view) -> str:
    from secgen_bench.report.families import families_section

    return families_section(view)


def _h3(label: str) -> str:
    return f"<h3>dataset {esc(label)}</h3>"


def _figure(img: str, caption: str = "", wide: bool = False) -> str:
    """A plot with its caption; ``wide`` ones (grids of panels) are stretched to the page width."""
    cap = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
    cls = ' class="wide"' if wide else ""
    return f"<figure{cls}>{img}{cap}</figure>"


def identical_groups(values: dict[str, object]) -> list[list[str]]:
    """Names grouped by equal value (groups in first-seen order, names sorted in each): two metrics that agree
    everywhere are drawn once.

    Values are compared with ``==`` after turning arrays into nested lists with NaN as None, so NaN
    matches NaN and a float differing in the last digit does not match."""
    def key(v):
        if isinstance(v, np.ndarray):
            return key(v.tolist())
        if isinstance(v, (list, tuple)):
            return tuple(key(x) for x in v)
        if isinstance(v, dict):
            return tuple(sorted((k, key(x)) for k, x in v.items()))
        if isinstance(v, float) and math.isnan(v):
            return None
        return v

    groups: dict[object, list[str]] = {}
    for name, v in values.items():
        groups.setdefault(key(v), []).append(name)
    return [sorted(names) for names in groups.values()]


def _same_note(names: list[str], what: str) -> str:
    return (f'<p class="note collapsed">{esc(" and ".join(names))}: identical {esc(what)} for every generator, '
            "so drawn once.</p>")


def _order(view, dataset: str) -> list[str]:
    """Generators of ``dataset`` in leaderboard order (the Reference first), then any without records."""
    board = next((b for b in view.boards if b.dataset == dataset), None)
    order = list(board.order) if board else []
    ds = view.datasets.get(dataset)
    extra = sorted({j["generator"]["name"] for j in (ds.jobs if ds else [])} - set(order))
    return order + extra


def _sample_order(view, ds) -> list[str]:
    samples = ds.samples
    return [g for g in _order(view, ds.label) if g in samples]


def _failed_note(view, ds) -> str:
    """Which generators have no sample to draw, and why."""
    have = set(ds.samples)
    notes = []
    for gen in _order(view, ds.label):
        if gen in have:
            continue
        jobs = [j for j in ds.jobs if j["generator"]["name"] == gen]
        status = ", ".join(sorted({j.get("status", "?").upper() for j in jobs})) or "no job"
        notes.append(f"{gen} ({status})")
    return _missing("No sample to draw for: " + "; ".join(notes) + ".") if notes else ""


# ---- sections ------------------------------------------------------------------------------
def _leaderboard(view) -> str:
    boards = view.boards
    if not boards:
        return _missing("No metric records yet: nothing to rank.")
    from secgen_bench.budget import BUDGET_LEGEND
    from secgen_bench.leaderboard import INTERVAL_NOTE, RANKING_NOTES, budget_text, has_budgets

    arrows = {"higher": "↑", "lower": "↓", "closest": "≈ref"}
    out = ['<p class="note">Cells: mean ± std over seeds [rank]. ↑ higher is better, ↓ lower, ≈ref closest to the '
           'Reference row. ERROR/TIMEOUT cells take the worst rank. Click a column header to sort. '
           f'{esc(RANKING_NOTES[boards[0].ranking])} <span class="ci-note">{esc(INTERVAL_NOTE)}</span>'
           + (f" {esc(BUDGET_LEGEND)}" if any(has_budgets(b) for b in boards) else "") + "</p>",
           '<p><label><input type="checkbox" id="show-ci"> show 95 % intervals</label></p>']
    for b in boards:
        head = ['<th data-type="num">#</th>', '<th data-type="text">generator</th>']
        head += [f'<th data-type="num" title="{esc(b.directions[m])}">{esc(m)} {arrows.get(b.directions[m], "")}</th>'
                 for m in b.metrics]
        budgets = has_budgets(b)
        head += ['<th data-type="num">avg rank</th>'] + (['<th data-type="text">budget</th>'] if budgets else [])
        head += ['<th data-type="num">fit s</th>', '<th data-type="num">sample s</th>', '<th data-type="num">peak MB</th>']
        rows = []
        n_unranked = max(0, sum(g in UNRANKED for g in b.order) - 1)   # the first generator stays #1
        for pos, gen in enumerate(b.order):
            info = b.info.get(gen, {})
            cells = [f'<td data-sort="{pos}">{"" if gen in UNRANKED else pos - n_unranked}</td>', f"<td>{esc(gen)}</td>"]
            for m in b.metrics:
                c = b.rows[gen][m]
                if c.mean is None:
                    cells.append(f'<td class="failed" data-sort="" title="{esc(c.error or "")}">'
                                 f'{esc(c.status.upper())}</td>')
                    continue
                rank = f' <span class="rank">[{c.rank:g}]</span>' if c.rank is not None and gen not in UNRANKED else ""
                cls = ' class="partial"' if c.status == "partial" else ""
                ci = f' <span class="ci">({esc(c.interval_text())})</span>' if c.ci_low is not None else ""
                cells.append(f'<td{cls} data-sort="{c.mean:.12g}">{esc(c.text())}{ci}{rank}</td>')
            avg = b.avg_rank.get(gen)
            cells.append(f'<td data-sort="{"" if avg is None else f"{avg:.6g}"}">{"-" if avg is None else f"{avg:.3f}"}</td>')
            if budgets:
                budget = info.get("budget") or {}
                mark = ' class="not-converged"' if budget and not budget.get("converged") else ""
                cells.append(f'<td{mark} title="{esc(budget.get("criterion") or "")}">{esc(budget_text(b, gen))}</td>')
            for key, digits in (("fit_s", 2), ("sample_s", 2), ("peak_rss_mb", 0)):
                v = info.get(key)
                cells.append(f'<td data-sort="{"" if v is None else f"{v:.6g}"}">'
                             f'{"-" if v is None else f"{v:.{digits}f}"}</td>')
            cls = ' class="reference"' if gen in UNRANKED else ""
            rows.append(f"<tr{cls}>{''.join(cells)}</tr>")
        out.append(_h3(b.dataset))
        out.append(f'<table class="leaderboard sortable" data-dataset="{esc(b.dataset)}">'
                   f"<thead><tr>{''.join(head)}</tr></thead><tbody>{''.join(rows)}</tbody></table>")
    return "\n".join(out)


def _critical_difference(view) -> str:
    from secgen_bench.ranking import compare_blocks
    from secgen_bench.report.cd_diagram import cd_diagram
    from secgen_bench import stats

    boards = view.boards
    if not boards:
        return _missing("No metric records yet: nothing to compare.")
    cmp = compare_blocks(boards)
    if cmp.result is None:
        return _missing(f"No critical-difference diagram: {cmp.reason}")
    res = cmp.result
    test = ("every block ranks the generators alike, the Friedman statistic is undefined" if res.p_value is None else
            f"Friedman χ² = {res.statistic:.3f}, p = {res.p_value:.3g}")
    verdict = ("the generators' ranks differ significantly" if res.rejects else
               "equal ranks are not rejected, so the groups below are for information only")
    out = [f'<p class="note">Blocks: {len(cmp.blocks)} (dataset, seed) pairs over {len(boards)} dataset(s); in each, '
           "a generator's score is its mean rank over the metrics of the average rank (ties averaged, failures "
           f"worst); {len(cmp.generators)} generators present on every dataset. {esc(test)}: {esc(verdict)} at "
           f"α = {res.alpha}. Nemenyi critical difference CD = {res.cd:.3f} (q<sub>0.05</sub> = "
           f"{stats.nemenyi_q(len(cmp.generators)):.3f}, Demsar 2006, Table 5a); generators joined by a bar do "
           "not differ significantly.</p>"]
    ranks = [float(r) for r in res.mean_ranks]
    out.append(f"<figure>{cd_diagram(cmp.generators, ranks, res.cd, stats.nemenyi_groups(ranks, res.cd))}</figure>")
    rows = "".join(f"<tr><td>{esc(g)}</td><td>{r:.3f}</td></tr>"
                   for r, g in sorted(zip(ranks, cmp.generators)))
    out.append('<table class="cd-ranks"><thead><tr><th>generator</th><th>mean rank over blocks</th></tr></thead>'
               f"<tbody>{rows}</tbody></table>")
    return "\n".join(out)


def _metric_bars(view) -> str:
    from secgen_bench.report import plots

    frame = view.metric_frame()
    if frame.empty:
        return _missing("No metric records yet.")
    out = []
    for ds, sub in frame.groupby("dataset", sort=True):
        out.append(_h3(ds))
        order = [g for g in _order(view, ds) if g in set(sub["generator"])]
        figs, notes, drawn = [], [], {}
        for metric in dict.fromkeys(sub["metric"]):
            m = sub[sub["metric"] == metric]
            ok = m[(m["status"] == "ok") & m["value"].notna()]
            values = {g: ok.loc[ok["generator"] == g, "value"].astype(float).tolist() for g in order}
            failures = {g: ("timeout" if (m.loc[m["generator"] == g, "status"] == "timeout").any() else "error")
                        for g in order if not values[g]}
            drawn[metric] = (m["direction"].iloc[0], values, failures)
        for names in identical_groups(drawn):
            direction, values, failures = drawn[names[0]]
            if len(names) > 1:
                notes.append(_same_note(names, "values"))
            figs.append(_figure(plots.metric_bars(" = ".join(names), direction, order, values, failures)))
        out.extend(notes)
        out.append('<div class="grid">' + "".join(figs) + "</div>")
    return "\n".join(out)


def _marginals(view) -> str:
    from secgen_bench.report import plots

    out = []
    for label, ds in view.datasets.items():
        out.append(_h3(label))
        if ds.train is None or ds.schema is None:
            out.append(_missing("The prepared real data (train.parquet / schema.json) is missing."))
            continue
        gens = _sample_order(view, ds)
        if not gens:
            out.append(_missing("No generator produced a sample: nothing to compare."))
            continue
        seeds = ", ".join(f"{g}: seed {ds.samples[g][0]}" for g in gens)
        out.append(f'<p class="note">Real = the training table; each generator\'s lowest successful seed '
                   f"({esc(seeds)}); the reference row is the real holdout.</p>")
        out.append(_failed_note(view, ds))
        for col in ds.train.columns:
            role = ds.schema.column(col).role if col in ds.schema.names else None
            samples = {g: ds.samples[g][1][col] for g in gens if col in ds.samples[g][1]}
            if not samples:
                continue
            continuous = col in ds.schema.continuous or col == ds.schema.timestamp
            if not continuous and getattr(role, "value", role) in ("sequence_id",):
                continue  # identifiers: their distribution says nothing
            img = (plots.marginal_continuous(col, ds.train[col], samples, getattr(role, "value", role)) if continuous
                   else plots.marginal_discrete(col, ds.train[col], samples))
            out.append(_figure(img, wide=True))
    return "\n".join(out) or _missing("The run has no dataset.")


def _continuous_matrix(table: pd.DataFrame, cols: list[str]) -> np.ndarray:
    frame = pd.DataFrame({c: pd.to_numeric(table[c], errors="coerce") for c in cols})
    return np.nan_to_num(frame.corr().to_numpy(dtype=float), nan=0.0)


def _correlations(view) -> str:
    from secgen_bench.report import plots

    out = []
    for label, ds in view.datasets.items():
        out.append(_h3(label))
        if ds.train is None or ds.schema is None:
            out.append(_missing("The prepared real data (train.parquet / schema.json) is missing."))
            continue
        cols = [c for c in ds.schema.continuous if c in ds.train.columns]
        if len(cols) < 2:
            out.append(_missing(f"Fewer than two continuous columns ({', '.join(cols) or 'none'}): no correlation "
                                "matrix to draw."))
            continue
        gens = _sample_order(view, ds)
        if not gens:
            out.append(_missing("No generator produced a sample: nothing to compare."))
            continue
        out.append('<p class="note">Pearson correlations: the real matrix once, then each generator\'s with its '
                   "difference (synthetic − real); constant columns count as 0.</p>")
        out.append(_failed_note(view, ds))
        real = _continuous_matrix(ds.train, cols)
        out.append(_figure(plots.correlation_real(cols, real), "Real (training table)."))
        figs = [_figure(plots.correlation_panels(gen, cols, real, _continuous_matrix(ds.samples[gen][1], cols)))
                for gen in gens]
        out.append('<div class="grid">' + "".join(figs) + "</div>")
    return "\n".join(out) or _missing("The run has no dataset.")


def _dkc(view) -> str:
    from secgen_bench.report import plots

    metrics = [m for m in ("dkc", "dkc-fixed") if any(r.get("metric") == m for r in view.metric_records)]
    if not metrics:
        return _missing("The run has no DKC records (metric dkc was not selected).")
    descriptions = _rule_descriptions()
    blocks = {(metric, label): _dkc_block(view, metric, label) for metric in metrics for label in view.datasets}
    shown_with: dict[tuple[str, str], list[str]] = {}
    for label in view.datasets:
        for names in identical_groups({m: blocks[m, label] for m in metrics if isinstance(blocks[m, label], tuple)}):
            shown_with[names[0], label] = names
            for other in names[1:]:
                shown_with[other, label] = []
    out = []
    for metric in metrics:
        for label in view.datasets:
            names = shown_with.get((metric, label), [metric])
            if not names:
                continue   # drawn together with an identical metric above
            out.append(f"<h3>{esc(' = '.join(names))} on dataset {esc(label)}</h3>")
            if len(names) > 1:
                out.append(_same_note(names, "per-rule violation rates"))
            block = blocks[metric, label]
            if isinstance(block, str):
                out.append(_missing(block))
                continue
            gens, rules, rates = block
            missing = [g for g in _order(view, label) if g not in gens]
            if missing:
                out.append(_missing(f"No breakdown (the metric failed) for: {', '.join(missing)}."))
            out.append(_figure(plots.dkc_heatmap(" = ".join(names), rules, gens, rates),
                               "Share of synthetic flows violating each rule, mean over seeds."))
            head = "<tr><th>rule</th><th>description</th>" + "".join(f"<th>{esc(g)}</th>" for g in gens) + "</tr>"
            body = "".join(
                f"<tr><td><code>{esc(r)}</code></td><td>{esc(descriptions.get(r, ''))}</td>"
                + "".join(f"<td>{'-' if np.isnan(v) else f'{v:.4f}'}</td>" for v in rates[i]) + "</tr>"
                for i, r in enumerate(rules))
            out.append(f'<table class="dkc-rules"><thead>{head}</thead><tbody>{body}</tbody></table>')
    return "\n".join(out)


def _dkc_block(view, metric: str, label: str):
    """(generators, rules, mean rate per rule x generator) of ``metric`` on ``label``, or why there is none."""
    per_ds = view.breakdowns(metric)
    gens = [g for g in _order(view, label) if g in per_ds.get(label, {})]
    if not gens:
        return f"No successful {metric} record with a per-rule breakdown."
    rules = sorted({k for g in gens for bd in per_ds[label][g] for k, v in bd.items() if _is_number(v)})
    if not rules:
        return f"The {metric} records hold no per-rule rates."
    rates = np.array([[np.mean([bd[r] for bd in per_ds[label][g] if _is_number(bd.get(r))] or [np.nan])
                       for g in gens] for r in rules])
    return gens, rules, rates


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _rule_descriptions() -> dict[str, str]:
    try:
        from secgen_bench.metrics.dkc_rules import RULE_SETS
    except Exception:  # noqa: BLE001 - descriptions are a courtesy
        return {}
    out: dict[str, str] = {}
    for rule_set in RULE_SETS.values():
        for rule in rule_set.rules:
            out.setdefault(rule.id, rule.description)
    return out


def per_second_sums(timestamps: pd.Series, values: pd.Series) -> np.ndarray | None:
    """Sum of ``values`` per whole second from the first to the last second (empty seconds 0); None if too long."""
    ts = pd.to_datetime(timestamps, errors="coerce")
    ok = ts.notna().to_numpy()
    if not ok.any():
        return None
    seconds = (ts[ok].astype("datetime64[ns]").astype("int64") // 10**9).to_numpy()
    vals = pd.to_numeric(values[ok], errors="coerce").fillna(0.0).to_numpy(dtype=float)
    span = int(seconds.max() - seconds.min()) + 1
    if span > MAX_SECONDS:
        return None
    return np.bincount(seconds - seconds.min(), weights=vals, minlength=span)


def _temporal(view) -> str:
    from secgen_bench.metrics.temporal import acf
    from secgen_bench.report import plots

    out = []
    for label, ds in view.datasets.items():
        out.append(_h3(label))
        if ds.train is None or ds.schema is None:
            out.append(_missing("The prepared real data (train.parquet / schema.json) is missing."))
            continue
        ts = ds.schema.timestamp
        if ts is None:
            out.append(_missing("The schema has no timestamp column: no time series to draw."))
            continue
        cols = [c for c in ds.schema.by_role("bytes") if c in ds.schema.continuous] + ds.schema.continuous
        if not cols:
            out.append(_missing("The schema has no continuous column to follow over time."))
            continue
        col = cols[0]
        real = per_second_sums(ds.train[ts], ds.train[col])
        if real is None or len(real) < 3:
            out.append(_missing(f"The real data spans too few (or more than {MAX_SECONDS:,}) seconds for a "
                                "1-second ACF."))
            continue
        lags = min(MAX_LAG, len(real) - 1)
        acfs, skipped = {}, []
        for gen in _sample_order(view, ds):
            syn = per_second_sums(ds.samples[gen][1][ts], ds.samples[gen][1][col])
            if syn is None or len(syn) < 2:
                skipped.append(gen)
                continue
            acfs[gen] = acf(syn, min(lags, len(syn) - 1))
        if not acfs:
            out.append(_missing("No generator sample spans enough seconds for an ACF."))
            continue
        out.append(f'<p class="note">Column <code>{esc(col)}</code> summed per second of <code>{esc(ts)}</code> '
                   f"(empty seconds count 0), lags 0..{lags} s; grey band: ±1.96/√N.</p>")
        if skipped:
            out.append(_missing(f"Skipped (too few or too many seconds): {', '.join(skipped)}."))
        out.append(_failed_note(view, ds))
        out.append(_figure(plots.acf_grid(col, acf(real, lags), len(real), acfs), wide=True))
    return "\n".join(out) or _missing("The run has no dataset.")


def _resources(view) -> str:
    from secgen_bench.report import plots

    out = []
    for b in view.boards:
        gens = [g for g in b.order if g not in UNRANKED]
        out.append(_h3(b.dataset))
        if not gens:
            out.append(_missing("No generator in this run."))
            continue
        info = [b.info.get(g, {}) for g in gens]
        fit, sample, peak = ([i.get(k) for i in info] for k in ("fit_s", "sample_s", "peak_rss_mb"))
        if all(v is None for v in fit + sample + peak):
            out.append(_missing("No job recorded a time or memory peak."))
            continue
        out.append('<p class="note">Means over seeds from each job record; peak memory is the resident set of '
                   "the job's whole process tree. A reused cached sample records no new fit time.</p>")
        out.append(_figure(plots.resource_bars(gens, fit, sample, peak), wide=True))
        out.append(_pareto(b, gens))
        rows = "".join(
            f"<tr><td>{esc(g)}</td><td>{_num(i.get('fit_s'), 2)}</td><td>{_num(i.get('sample_s'), 2)}</td>"
            f"<td>{_num(i.get('peak_rss_mb'), 0)}</td><td>{esc(_status_counts(i.get('status', {})))}</td></tr>"
            for g, i in zip(gens, info))
        out.append('<table class="resources sortable"><thead><tr><th data-type="text">generator</th>'
                   '<th data-type="num">fit s</th><th data-type="num">sample s</th><th data-type="num">peak MB</th>'
                   f'<th data-type="text">jobs</th></tr></thead><tbody>{rows}</tbody></table>')
    return "\n".join(out) or _missing("No job records yet.")


def _pareto(board, gens: list[str]) -> str:
    """Quality (average rank) against cost (fit time): which generators are worth their training time."""
    from secgen_bench.report import plots

    points = {g: (board.info[g]["fit_s"], board.avg_rank[g]) for g in gens
              if board.avg_rank.get(g) is not None and (board.info.get(g, {}).get("fit_s") or 0) > 0}
    if len(points) < 2:
        return _missing("Fewer than two generators with an average rank and a fit time: no quality-vs-fit-time plot.")
    converged = {g: (board.info[g].get("budget") or {}).get("converged") for g in points}
    front = plots.pareto_front(points)
    return ('<p class="note">Quality against cost: average rank (lower is better) against mean fit time, log '
            "scale. The dashed line joins the Pareto front (no other generator is both faster and better ranked): "
            f"{esc(', '.join(front))}. Hollow markers: training did not converge by its stated criterion.</p>"
            + _figure(plots.quality_vs_fit_time(points, converged)))


def _num(v, digits: int) -> str:
    return "-" if v is None else f"{v:.{digits}f}"


def _status_counts(counts: dict) -> str:
    return ", ".join(f"{n} {s.upper()}" for s, n in sorted(counts.items()))


def _metadata(view) -> str:
    plan = view.plan
    out = []
    if not plan:
        out.append(_missing("run.json is missing: the run's plan, seeds and machine are unknown."))
    else:
        proto = plan.get("protocol", {})
        facts = [("run id", plan.get("run_id")), ("created", plan.get("created")), ("profile", plan.get("profile")),
                 ("seeds", ", ".join(str(s) for s in proto.get("seeds", []))), ("repeats", proto.get("repeats")),
                 ("sample size", proto.get("sample_size")), ("timeout per job (s)", proto.get("timeout_s")),
                 ("memory limit (MB)", proto.get("memory_limit_mb")), ("holdout fraction", proto.get("holdout_fraction")),
                 ("split", proto.get("split")), ("device", plan.get("device")),
                 ("secgen-bench", plan.get("secgen_bench")), ("jobs planned", len(plan.get("jobs", [])))]
        out.append("<h3>Protocol</h3>" + _kv_table(facts, "run-facts"))
        env = plan.get("environment") or {}
        if env:
            machine = [("python", env.get("python")), ("platform", env.get("platform")),
                       ("machine", env.get("machine")), ("CPUs", env.get("cpus")), ("memory (GB)", env.get("memory_gb")),
                       ("git commit", env.get("git_commit"))]
            out.append("<h3>Machine</h3>" + _kv_table(machine, "machine"))
            out.append("<h3>Package versions</h3>" + _kv_table(sorted((env.get("versions") or {}).items()), "versions"))
    gens: dict[str, dict] = {}
    for job in view.job_records:
        g = job["generator"]
        gens.setdefault(g["name"], {"version": g.get("version"), "config": g.get("config"), "seeds": set()})
        gens[g["name"]]["seeds"].add(job["seed"])
    if gens:
        rows = "".join(f"<tr><td>{esc(n)}</td><td>{esc(str(d['version']))}</td>"
                       f"<td>{esc(', '.join(str(s) for s in sorted(d['seeds'])))}</td>"
                       f"<td><code>{esc(json.dumps(d['config'], sort_keys=True, default=str))}</code></td></tr>"
                       for n, d in sorted(gens.items()))
        out.append("<h3>Generators</h3><table class=\"generators\"><thead><tr><th>generator</th><th>version</th>"
                   f"<th>seeds</th><th>configuration</th></tr></thead><tbody>{rows}</tbody></table>")
    ds_rows = []
    for label, ds in view.datasets.items():
        meta = ds.meta
        ds_rows.append(f"<tr><td>{esc(label)}</td><td><code>{esc(ds.key)}</code></td><td>{esc(str(meta.get('n_train', '?')))}</td>"
                       f"<td>{esc(str(meta.get('n_holdout', '?')))}</td><td>{esc(str(meta.get('track') or ''))}</td></tr>")
    if ds_rows:
        out.append("<h3>Datasets</h3><table class=\"datasets\"><thead><tr><th>dataset</th><th>key</th><th>train rows</th>"
                   f"<th>holdout rows</th><th>track</th></tr></thead><tbody>{''.join(ds_rows)}</tbody></table>")
    problems = [p for ds in view.datasets.values() for p in dict.fromkeys(ds.problems)]
    if problems:
        out.append("<h3>Notes</h3><ul class=\"problems\">" + "".join(f"<li>{esc(p)}</li>" for p in problems) + "</ul>")
    return "\n".join(out)


def _kv_table(pairs, cls: str) -> str:
    rows = "".join(f"<tr><th>{esc(str(k))}</th><td>{esc('-' if v is None else str(v))}</td></tr>" for k, v in pairs)
    return f'<table class="kv {cls}"><tbody>{rows}</tbody></table>'


CSS = """
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 1.5em auto; max-width: 1400px;
       padding: 0 1em; color: #222; }
h1 { margin-bottom: 0.1em; } .subtitle { color: #666; margin-top: 0; font-size: 0.9em; }
nav { position: sticky; top: 0; background: #fff; padding: 0.5em 0; border-bottom: 1px solid #ddd; z-index: 1; }
section { margin-top: 2em; } h2 { border-bottom: 2px solid #1f77b4; padding-bottom: 0.2em; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.85em; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.5em; text-align: right; }
td:first-child, th:first-child, table.leaderboard td:nth-child(2) { text-align: left; }
table.sortable th { cursor: pointer; background: #f3f6fa; user-select: none; }
th[aria-sort=ascending]::after { content: ' ▲'; } th[aria-sort=descending]::after { content: ' ▼'; }
tr.reference { color: #666; font-style: italic; }
td.not-converged { color: #c62828; }
td.failed { color: #c62828; font-weight: bold; } td.partial { color: #b26a00; }
.rank { color: #888; font-size: 0.85em; }
.ci, .ci-note { display: none; color: #666; font-size: 0.85em; } body.show-ci .ci, body.show-ci .ci-note { display: inline; }
svg.cd-diagram { max-width: 100%; height: auto; }
table.kv th { text-align: left; background: #f7f7f7; } table.kv td { text-align: left; }
table.dkc-rules td:nth-child(2), table.dkc-rules th:nth-child(2), table.generators td { text-align: left; }
.missing { color: #8a6d3b; background: #fcf8e3; padding: 0.4em 0.7em; border-left: 3px solid #e0c36b; }
.section-error { color: #a94442; background: #f2dede; border-left-color: #a94442; }
.note { color: #555; font-size: 0.9em; }
figure { margin: 0.5em 0; } figure img { max-width: 100%; height: auto; } figure.wide img { width: 100%; }
.grid { display: flex; flex-wrap: wrap; gap: 0.5em; }
code { font-size: 0.9em; }
"""

JS = """
(function () {
  var toggle = document.getElementById('show-ci');
  if (toggle) {
    toggle.addEventListener('change', function () { document.body.classList.toggle('show-ci', toggle.checked); });
  }
})();
(function () {
  function key(row, col) {
    var cell = row.cells[col];
    if (!cell) { return null; }
    var raw = cell.hasAttribute('data-sort') ? cell.getAttribute('data-sort') : cell.textContent.trim();
    return raw === '' ? null : raw;
  }
  document.querySelectorAll('table.sortable').forEach(function (table) {
    var heads = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(heads, function (th, col) {
      th.addEventListener('click', function () {
        var ascending = th.getAttribute('aria-sort') !== 'ascending';
        var numeric = th.getAttribute('data-type') === 'num';
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = key(a, col), y = key(b, col);
          if (x === null || y === null) { return (x === null) - (y === null); }  // blanks and errors last
          var d = numeric ? parseFloat(x) - parseFloat(y) : x.localeCompare(y);
          return ascending ? d : -d;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
})();
"""

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{css}</style>
</head>
<body>
<h1>{title}</h1>
<p class="subtitle">{subtitle}</p>
<nav>{nav}</nav>
{body}
<script>{js}</script>
</body>
</html>
"""

"""The report's figures, drawn with matplotlib and returned as self-contained ``<img>`` tags (base64 PNG).

Figures are built with ``matplotlib.figure.Figure`` directly (no pyplot), so
drawing a report touches no global backend state and leaks no figures. Every
function takes plain numbers or tables and returns HTML; deciding what to
draw, and explaining what is missing, is the page's job (html.py).
"""
from __future__ import annotations

import base64
import html
import io
import math
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

REAL_COLOR = "#444444"
SYNTH_COLOR = "#1f77b4"
REFERENCE_COLOR = "#9e9e9e"
FAILED_COLOR = "#c62828"
DPI = 80


def _figure(width: float, height: float):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=DPI, layout="constrained")


def to_img(fig, alt: str, kind: str) -> str:
    """Encode ``fig`` as an inline PNG ``<img>``; ``kind`` becomes ``data-plot`` (what the browser test counts)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return (f'<img class="plot" data-plot="{html.escape(kind)}" alt="{html.escape(alt)}" '
            f'src="data:image/png;base64,{data}">')


def _grid(n: int, ncols: int = 4, panel: tuple[float, float] = (3.2, 2.4)):
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    fig = _figure(panel[0] * ncols, panel[1] * nrows)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, axes[:n]


def _short(text: str, n: int = 14) -> str:
    text = str(text)
    return text if len(text) <= n else text[: n - 1] + "…"


# ---- metric bars ---------------------------------------------------------------------------
def metric_bars(metric: str, direction: str, generators: Sequence[str], seed_values: Mapping[str, Sequence[float]],
                failures: Mapping[str, str], reference: str = "reference") -> str:
    """Bars of the mean over seeds, error bars of the standard deviation, one dot per seed."""
    fig = _figure(max(4.0, 0.7 * len(generators) + 1.5), 3.0)
    ax = fig.add_subplot()
    x = np.arange(len(generators))
    for i, gen in enumerate(generators):
        vals = np.asarray(seed_values.get(gen, ()), dtype=float)
        if len(vals):
            mean = float(vals.mean())
            std = float(vals.std(ddof=1)) if len(vals) > 1 else 0.0
            color = REFERENCE_COLOR if gen == reference else SYNTH_COLOR
            ax.bar(i, mean, color=color, alpha=0.8, hatch="//" if gen == reference else None)
            ax.errorbar(i, mean, yerr=std, color="black", capsize=4, lw=1)
            ax.scatter(np.full(len(vals), i) + np.linspace(-0.15, 0.15, len(vals)), vals, s=10, color="black",
                       zorder=3)
        else:
            ax.text(i, 0.03, failures.get(gen, "ERROR").upper(), color=FAILED_COLOR, rotation=90, ha="center",
                    va="bottom", fontsize=8, transform=ax.get_xaxis_transform())
    ref = np.asarray(seed_values.get(reference, ()), dtype=float)
    if direction == "closest" and len(ref):
        ax.axhline(float(ref.mean()), color=REFERENCE_COLOR, ls="--", lw=1)
    ax.set_xticks(x, [_short(g) for g in generators], rotation=35, ha="right", fontsize=8)
    better = {"higher": "higher is better", "lower": "lower is better", "closest": "closest to reference is better"}
    ax.set_title(f"{metric} ({better.get(direction, direction)})", fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    return to_img(fig, f"{metric}: mean and spread over seeds per generator", "metric-bars")


# ---- marginals -----------------------------------------------------------------------------
def _as_float(values: pd.Series, origin: pd.Timestamp | None = None) -> np.ndarray:
    if pd.api.types.is_datetime64_any_dtype(values):
        base = origin if origin is not None else values.min()
        return ((values - base) / pd.Timedelta(seconds=1)).to_numpy(dtype=float)
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)


def marginal_continuous(column: str, real: pd.Series, samples: Mapping[str, pd.Series]) -> str:
    """Density histograms on shared bins: the real column (outline) against each generator's (filled)."""
    origin = real.min() if pd.api.types.is_datetime64_any_dtype(real) else None
    r = _as_float(real, origin)
    r = r[np.isfinite(r)]
    syn = {g: (lambda v: v[np.isfinite(v)])(_as_float(s, origin)) for g, s in samples.items()}
    log = len(r) > 0 and r.min() >= 0 and np.percentile(r, 99) > 100 * max(np.median(r), 1.0)
    if log:
        r = np.log10(1 + r)
        syn = {g: np.log10(1 + np.clip(v, 0, None)) for g, v in syn.items()}
    lo, hi = (np.percentile(r, [0.5, 99.5]) if len(r) else (0.0, 1.0))
    for v in syn.values():
        if len(v):
            lo, hi = min(lo, np.percentile(v, 1)), max(hi, np.percentile(v, 99))
    if not hi > lo:
        lo, hi = lo - 0.5, hi + 0.5
    bins = np.linspace(lo, hi, 41)
    fig, axes = _grid(len(syn))
    for ax, (gen, v) in zip(axes, syn.items()):
        ax.hist(r, bins=bins, density=True, histtype="step", color=REAL_COLOR, lw=1.5, label="real")
        ax.hist(v, bins=bins, density=True, alpha=0.5, color=SYNTH_COLOR, label=_short(gen, 20))
        ax.set_title(_short(gen, 30), fontsize=9)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=7)
    unit = " (seconds from the real start)" if origin is not None else ""
    fig.suptitle(f"{column}{' — log10(1 + x)' if log else ''}{unit}", fontsize=10)
    return to_img(fig, f"marginal distribution of {column}: real vs synthetic", "marginal")


def marginal_discrete(column: str, real: pd.Series, samples: Mapping[str, pd.Series], top: int = 12) -> str:
    """Frequencies of the real data's most common values (the rest as 'other'), real vs each generator."""
    real_s = real.astype(str)
    cats = list(real_s.value_counts().index[:top])

    def freqs(values: pd.Series) -> np.ndarray:
        counts = values.astype(str).value_counts(normalize=True)
        head = np.array([counts.get(c, 0.0) for c in cats])
        return np.append(head, max(0.0, 1.0 - head.sum()))

    labels = [_short(c, 12) for c in cats] + ["other"]
    rf = freqs(real_s)
    sf = {g: freqs(s) for g, s in samples.items()}
    if max([rf[-1]] + [f[-1] for f in sf.values()]) < 1e-12:  # no value outside the top ones: no 'other' bar
        labels, rf, sf = labels[:-1], rf[:-1], {g: f[:-1] for g, f in sf.items()}
    fig, axes = _grid(len(samples), ncols=3, panel=(4.2, 2.6))
    x = np.arange(len(labels))
    for ax, (gen, f) in zip(axes, sf.items()):
        ax.bar(x - 0.2, rf, width=0.4, color=REAL_COLOR, label="real")
        ax.bar(x + 0.2, f, width=0.4, color=SYNTH_COLOR, alpha=0.8, label=_short(gen, 20))
        ax.set_xticks(x, labels, rotation=60, ha="right", fontsize=6)
        ax.tick_params(axis="y", labelsize=7)
        ax.set_title(_short(gen, 30), fontsize=9)
        ax.legend(fontsize=7)
    fig.suptitle(f"{column} (share of rows; top {len(cats)} real values)", fontsize=10)
    return to_img(fig, f"marginal distribution of {column}: real vs synthetic", "marginal")


# ---- correlations --------------------------------------------------------------------------
def correlation_panels(generator: str, columns: Sequence[str], real: np.ndarray, synthetic: np.ndarray) -> str:
    """Heatmaps of the real, the synthetic and the difference (synthetic - real) correlation matrices."""
    n = len(columns)
    size = max(2.6, 0.45 * n + 1.4)
    fig = _figure(3 * size + 0.8, size)
    axes = fig.subplots(1, 3)
    diff = synthetic - real
    image = None
    for ax, mat, title in zip(axes, (real, synthetic, diff), ("real", _short(generator, 24), "difference")):
        image = ax.imshow(mat, vmin=-1, vmax=1, cmap="RdBu_r")
        ax.set_xticks(range(n), [_short(c, 10) for c in columns], rotation=60, ha="right", fontsize=7)
        ax.set_yticks(range(n), [_short(c, 10) for c in columns], fontsize=7)
        ax.set_title(title, fontsize=9)
        if n <= 8:
            for i in range(n):
                for j in range(n):
                    ax.text(j, i, f"{mat[i, j]:.2f}", ha="center", va="center", fontsize=6,
                            color="white" if abs(mat[i, j]) > 0.6 else "black")
    fig.colorbar(image, ax=list(axes), shrink=0.8, extend="both")
    return to_img(fig, f"correlation matrices of the continuous columns: real, {generator}, difference",
                  "correlation")


# ---- DKC -----------------------------------------------------------------------------------
def dkc_heatmap(metric: str, rules: Sequence[str], generators: Sequence[str], rates: np.ndarray) -> str:
    """Violation rate (share of synthetic flows) of each rule (rows) for each generator (columns)."""
    fig = _figure(max(4.0, 0.8 * len(generators) + 3.0), max(2.4, 0.32 * len(rules) + 1.4))
    ax = fig.add_subplot()
    vmax = max(float(np.nanmax(rates)) if rates.size else 0.0, 0.05)
    image = ax.imshow(rates, aspect="auto", cmap="Reds", vmin=0, vmax=vmax)
    ax.set_xticks(range(len(generators)), [_short(g) for g in generators], rotation=35, ha="right", fontsize=8)
    ax.set_yticks(range(len(rules)), [_short(r, 28) for r in rules], fontsize=7)
    if rates.size <= 400:
        for i in range(len(rules)):
            for j in range(len(generators)):
                ax.text(j, i, f"{rates[i, j]:.2f}", ha="center", va="center", fontsize=6,
                        color="white" if rates[i, j] > 0.6 * vmax else "black")
    fig.colorbar(image, ax=ax, label="violation rate")
    ax.set_title(f"{metric}: violation rate per rule", fontsize=10)
    return to_img(fig, f"{metric} violations per rule and generator", "dkc")


# ---- temporal ------------------------------------------------------------------------------
def acf_grid(column: str, real_acf: np.ndarray, n_real: int, acfs: Mapping[str, np.ndarray]) -> str:
    """ACF of the per-second sums, real (with its 95 % white-noise band) vs each generator."""
    fig, axes = _grid(len(acfs), ncols=3, panel=(3.6, 2.4))
    band = 1.96 / math.sqrt(max(n_real, 1))
    for ax, (gen, a) in zip(axes, acfs.items()):
        ax.axhspan(-band, band, color=REAL_COLOR, alpha=0.12, lw=0)
        ax.plot(np.arange(len(real_acf)), real_acf, color=REAL_COLOR, lw=1.5, label="real")
        ax.plot(np.arange(len(a)), a, color=SYNTH_COLOR, lw=1.2, label=_short(gen, 20))
        ax.axhline(0, color="black", lw=0.5)
        ax.set_xlabel("lag (s)", fontsize=7)
        ax.tick_params(labelsize=7)
        ax.set_title(_short(gen, 30), fontsize=9)
        ax.legend(fontsize=7)
    fig.suptitle(f"autocorrelation of {column} summed per second", fontsize=10)
    return to_img(fig, f"autocorrelation of {column} per second: real vs synthetic", "acf")


# ---- resources -----------------------------------------------------------------------------
def resource_bars(generators: Sequence[str], fit_s: Sequence[float | None], sample_s: Sequence[float | None],
                  peak_mb: Sequence[float | None]) -> str:
    """Mean fit time, sample time and peak resident memory per generator (absent values left blank)."""
    fig = _figure(11, max(2.2, 0.3 * len(generators) + 1.2))
    axes = fig.subplots(1, 3, sharey=True)
    y = np.arange(len(generators))
    for ax, vals, title in zip(axes, (fit_s, sample_s, peak_mb), ("fit (s)", "sample (s)", "peak memory (MB)")):
        ax.barh(y, [np.nan if v is None else v for v in vals], color=SYNTH_COLOR)
        ax.set_title(title, fontsize=9)
        ax.tick_params(labelsize=7)
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(y, [_short(g, 20) for g in generators], fontsize=8)
    axes[0].invert_yaxis()
    return to_img(fig, "fit time, sample time and peak memory per generator", "resources")


# ---- quality vs fit time -------------------------------------------------------------------
def pareto_front(points: Mapping[str, tuple[float, float]]) -> list[str]:
    """The generators no other beats on both fit time and average rank (lower is better on both)."""
    front = []
    for g, (t, r) in points.items():
        dominated = any(t2 <= t and r2 <= r and (t2 < t or r2 < r) for h, (t2, r2) in points.items() if h != g)
        if not dominated:
            front.append(g)
    return sorted(front, key=lambda g: points[g][0])


def quality_vs_fit_time(points: Mapping[str, tuple[float, float]], converged: Mapping[str, bool | None]) -> str:
    """Average rank (lower is better) against mean fit time (log scale), the Pareto front joined by a line;
    hollow markers: training did not converge by its criterion."""
    fig = _figure(6.5, 4.2)
    ax = fig.subplots()
    for g, (t, r) in points.items():
        hollow = converged.get(g) is False
        ax.scatter([t], [r], s=40, facecolors="none" if hollow else SYNTH_COLOR, edgecolors=SYNTH_COLOR, zorder=3)
        ax.annotate(_short(g, 18), (t, r), xytext=(4, 3), textcoords="offset points", fontsize=7)
    front = pareto_front(points)
    ax.plot([points[g][0] for g in front], [points[g][1] for g in front], color=REFERENCE_COLOR, ls="--", lw=1,
            zorder=2, label="Pareto front")
    ax.set_xscale("log")
    ax.set_xlabel("mean fit time (s, log scale)", fontsize=8)
    ax.set_ylabel("average rank (lower is better)", fontsize=8)
    ax.invert_yaxis()
    ax.grid(alpha=0.3)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=7, loc="lower right")
    return to_img(fig, "average rank against fit time, with the Pareto front", "pareto")

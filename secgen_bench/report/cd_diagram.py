"""The critical-difference diagram of Demsar (2006) as inline SVG: no image file, no plotting library.

An axis of average ranks (1, the best, on the left); each generator hangs from
its average rank to its label, the better half labelled on the left, the other
half on the right; a bar above the axis shows the critical difference, and
thick bars below it join generators that the Nemenyi test does not separate.
"""
from __future__ import annotations

import html
from typing import Sequence

WIDTH = 760
SIDE = 190          # room for the labels on each side
ROW = 20            # vertical step between labels
GROUP_STEP = 7      # vertical step between group bars

esc = html.escape


def cd_diagram(names: Sequence[str], mean_ranks: Sequence[float], cd: float,
               groups: Sequence[tuple[int, int]]) -> str:
    """SVG of generators ``names`` at ``mean_ranks``; ``groups`` are (first, last) positions in ascending rank order."""
    order = sorted(range(len(names)), key=lambda i: (mean_ranks[i], names[i]))
    ranks = [float(mean_ranks[i]) for i in order]
    labels = [str(names[i]) for i in order]
    k = len(labels)
    lo, hi = 1.0, float(max(k, 2))
    axis_y = 48.0
    left, right = SIDE, WIDTH - SIDE

    def x(r: float, clamp: bool = True) -> float:
        r = min(max(r, lo), hi) if clamp else r
        return left + (r - lo) / (hi - lo) * (right - left)

    parts = [f'<line class="cd-axis" x1="{left:.1f}" y1="{axis_y}" x2="{right:.1f}" y2="{axis_y}" stroke="#222"/>']
    for t in range(1, int(hi) + 1):
        parts.append(f'<line x1="{x(t):.1f}" y1="{axis_y - 5}" x2="{x(t):.1f}" y2="{axis_y}" stroke="#222"/>'
                     f'<text x="{x(t):.1f}" y="{axis_y - 9}" text-anchor="middle" font-size="12">{t}</text>')
    cd_end = x(lo + cd, clamp=False)          # true length, past the axis end if need be (the margin has room)
    parts.append(f'<g class="cd-bar"><line x1="{x(lo):.1f}" y1="14" x2="{cd_end:.1f}" y2="14" stroke="#c62828" '
                 f'stroke-width="2"/><line x1="{x(lo):.1f}" y1="9" x2="{x(lo):.1f}" y2="19" stroke="#c62828"/>'
                 f'<line x1="{cd_end:.1f}" y1="9" x2="{cd_end:.1f}" y2="19" stroke="#c62828"/>'
                 f'<text x="{x(lo) - 6:.1f}" y="18" text-anchor="end" font-size="12" fill="#c62828">CD = {cd:.2f}</text>'
                 '</g>')
    for n, (first, last) in enumerate(groups):
        y = axis_y + 10 + n * GROUP_STEP
        parts.append(f'<line class="cd-group" x1="{x(ranks[first]) - 4:.1f}" y1="{y}" x2="{x(ranks[last]) + 4:.1f}" '
                     f'y2="{y}" stroke="#222" stroke-width="4" stroke-linecap="round"/>')
    top = axis_y + 22 + len(groups) * GROUP_STEP
    n_left = (k + 1) // 2
    for pos, (name, r) in enumerate(zip(labels, ranks)):
        on_left = pos < n_left
        step = pos if on_left else k - 1 - pos     # outermost labels nearest the axis: lines never cross
        y = top + step * ROW
        end = left - 12 if on_left else right + 12
        anchor, tx = ("end", end - 4) if on_left else ("start", end + 4)
        parts.append(f'<polyline fill="none" stroke="#555" points="{x(r):.1f},{axis_y} {x(r):.1f},{y} {end:.1f},{y}"/>'
                     f'<text class="cd-name" x="{tx:.1f}" y="{y + 4}" text-anchor="{anchor}" font-size="13">'
                     f'{esc(name)} ({r:.2f})</text>')
    height = top + max(n_left, k - n_left) * ROW + 6
    label = "Critical-difference diagram: " + ", ".join(f"{n} {r:.2f}" for n, r in zip(labels, ranks))
    return (f'<svg class="cd-diagram" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{esc(label)}" '
            f'width="{WIDTH}" height="{height:.0f}" viewBox="0 0 {WIDTH} {height:.0f}" '
            f'font-family="system-ui, sans-serif">{"".join(parts)}</svg>')

"""The report's section on metric families and run notes: which leaderboard column measures what.

The utility (ids-utility, ids-tstr), detectability (c2st) and privacy
metrics sit in the leaderboard beside the paper's fidelity metrics, but outside
its average rank; this section lists each family's columns per dataset and
the run's notes (the label protocol, the real-trained models' scores).
"""
from __future__ import annotations

import html

from secgen_bench.metric_families import by_family

esc = html.escape


def families_section(view) -> str:
    boards = view.boards
    if not boards:
        return '<p class="missing">No metric records yet: no families to list.</p>'
    notes = (view.plan or {}).get("notes") or {}
    out = []
    for b in boards:
        rows = "".join(
            f"<tr><td>{esc(family)}</td><td>{esc(', '.join(ms))}</td>"
            f"<td>{'yes' if b.averaged is None or all(m in b.averaged for m in ms) else 'no'}</td></tr>"
            for family, ms in by_family(b.metrics).items())
        out.append(f"<h3>{esc(b.dataset)}</h3>")
        if notes.get(b.dataset):
            out.append(f'<p class="note">{esc(str(notes[b.dataset]))}</p>')
        out.append('<table class="families"><thead><tr><th>family</th><th>metrics</th><th>in average rank</th>'
                   f"</tr></thead><tbody>{rows}</tbody></table>")
    return "\n".join(out)

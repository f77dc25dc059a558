"""The leaderboard on a terminal: every number in full, at 80 columns as at 200.

Why a module of its own: the wide table (eight metrics of ``mean ± std [rank]``) needs about 215
columns, and rich elides cells that do not fit. Here the table is measured against the console
width before it is printed: the first layout that fits wins (one line per generator; the same with
``± std`` under the mean; metrics as rows, generators as columns; the same stacked), and when none
fits, the generators are split over several metric-by-generator tables, each beside the Reference
column. Cells fold instead of eliding, so even a terminal narrower than one column loses no digit.

The columns are read from the board's generic ``_header``/``_row`` (the markdown table), so a per-row
text column added there (e.g. a training budget) shows up here too, by default.
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass

from secgen_bench.errors import UsageError
from secgen_bench.leaderboard import Board, _header, _row, legend
from secgen_bench.runner.plan import UNRANKED

# The FlowChronicle paper's Table 2 metrics: the default columns when the board has them.
PAPER_METRICS = ("density", "coverage", "cmd", "pcd", "emd", "jsd", "dkc", "md")
# Headers of _header's service columns -> the names --columns knows them by; timings only on request.
SERVICE_COLUMNS = {"avg rank": "rank", "fit s": "fit", "peak MB": "memory"}
ON_REQUEST = ("fit", "memory")
LOG_WIDTH = 120   # width when stdout is no terminal and COLUMNS is not set (CI logs, pipes)


@dataclass
class Column:
    """One leaderboard column: what ``--columns`` calls it, its header, and each generator's text."""

    name: str
    header: str
    kind: str                       # "metric", "rank" or "extra"
    cells: dict[str, str]           # generator -> text (one line)
    stacked: dict[str, str]         # generator -> text with the spread on a second line


@dataclass
class Layout:
    kind: str                       # "wide" (a row per generator) or "transposed" (a row per column)
    stacked: bool                   # spread under the mean
    tables: list                    # rich Tables, printed one after the other


def columns_of(board: Board, intervals: bool = False) -> list[Column]:
    """Every column of ``board`` but the generator name, in the markdown table's order."""
    headers = _header(board)
    rows = {g: _row(board, g, intervals=intervals) for g in board.order}
    out: list[Column] = []
    for i, head in enumerate(headers[1:], start=1):
        m = head.split(" ")[0].rstrip("*")   # a metric's header is "name[*] arrow"
        if m in board.directions:
            cells = {g: _metric_text(board, g, m, intervals, stacked=False) for g in board.order}
            stacked = {g: _metric_text(board, g, m, intervals, stacked=True) for g in board.order}
            out.append(Column(m, head, "metric", cells, stacked))
            continue
        name = SERVICE_COLUMNS.get(head, head.lower().replace(" ", "-"))
        cells = {g: (rows[g][i] if i < len(rows[g]) else "") for g in board.order}
        out.append(Column(name, head, "rank" if name == "rank" else "extra", cells, cells))
    metrics = sorted((c for c in out if c.kind == "metric"), key=_paper_first)
    return metrics + [c for c in out if c.kind != "metric"]


def _paper_first(column: Column) -> int:
    """Sort key: the paper's metrics in the paper's order, then the others as the board has them (sort is stable)."""
    return PAPER_METRICS.index(column.name) if column.name in PAPER_METRICS else len(PAPER_METRICS)


def _metric_text(board: Board, gen: str, metric: str, intervals: bool, stacked: bool) -> str:
    """The markdown cell's text (same digits); stacked puts ``± std``, the interval and the seed count on lines
    of their own under ``mean [rank]``."""
    cell = board.rows[gen][metric]
    text = cell.text(3, intervals)
    rank = f" [{cell.rank:g}]" if gen not in UNRANKED and cell.rank is not None else ""
    if not stacked:
        return text + rank
    head, *rest = re.split(r" (?=± |\()", text)
    return "\n".join([head + rank, *rest])


def select_columns(columns: list[Column], spec: str | None, board: Board) -> list[Column]:
    """``spec``: None (the paper's eight metrics, average rank, extra columns), "all", or names, comma-separated.

    With names, the average rank is kept (rows are sorted by it); an unknown name is a UsageError naming it.
    """
    by_name = {c.name: c for c in columns}
    if spec is None or spec.strip().lower() in ("", "default"):
        metrics = [c for c in columns if c.kind == "metric"]
        paper = [c for c in metrics if c.name in PAPER_METRICS]
        averaged = [c for c in metrics if board.averaged is None or c.name in board.averaged]
        chosen = paper or averaged or metrics
        return chosen + [c for c in columns if c.kind != "metric" and c.name not in ON_REQUEST]
    if spec.strip().lower() == "all":
        return list(columns)
    names = [t.strip() for t in spec.split(",") if t.strip()]
    if not names:
        raise UsageError(f"--columns {spec!r}: name at least one column, or all")
    chosen = [by_name[n] for n in names if n in by_name]
    if "rank" in by_name and "rank" not in names:
        chosen.append(by_name["rank"])
    return chosen


def check_columns(boards: list[Board], spec: str | None) -> None:
    """An unknown name in ``--columns`` (in no board) is a UsageError listing the known ones."""
    if not boards or spec is None or spec.strip().lower() in ("", "default", "all"):
        return
    known = list(dict.fromkeys(c.name for b in boards for c in columns_of(b)))
    for name in (t.strip() for t in spec.split(",")):
        if name and name not in known:
            raise UsageError(f"--columns: unknown column {name!r}; known: all, {', '.join(known)}")


def _text(value: str, style: str | None = None):
    from rich.text import Text

    bad = "ERROR" in value or "TIMEOUT" in value
    return Text(value, style="red" if bad else (style or ""))


def _table(title: str, first: str):
    from rich import box
    from rich.table import Table

    table = Table(title=title, box=box.SIMPLE_HEAD, show_lines=False, pad_edge=False)
    table.add_column(first, justify="left", overflow="fold")
    return table


def wide_table(board: Board, columns: list[Column], stacked: bool, title: str):
    """A row per generator, a column per metric."""
    table = _table(title, "generator")
    for c in columns:
        table.add_column(c.header, justify="right", overflow="fold")
    pinned = unranked_rows(board)
    for g in board.order:
        style = "dim" if g in pinned else None
        table.add_row(_text(g, style), *[_text((c.stacked if stacked else c.cells)[g], style) for c in columns],
                      end_section=stacked)
    return table


def transposed_table(board: Board, columns: list[Column], gens: list[str], stacked: bool, title: str):
    """A row per metric (and rank, extra columns), a column per generator of ``gens``."""
    table = _table(title, "metric")
    pinned = unranked_rows(board)
    for g in gens:
        table.add_column(g, justify="right", overflow="fold", style="dim" if g in pinned else None)
    for c in columns:
        table.add_row(_text(c.header), *[_text((c.stacked if stacked else c.cells)[g]) for g in gens],
                      end_section=stacked)
    return table


def unranked_rows(board: Board) -> list[str]:
    """Rows scored but never ranked (the Reference and bootstrap rows, any other such pseudo-row): dimmed, and beside every part
    of a split board."""
    never = [g for g in board.order if g in UNRANKED or (
        board.avg_rank.get(g) is None and all(c.rank is None for c in board.rows[g].values()))]
    return never if len(never) < len(board.order) else [g for g in never if g in UNRANKED]   # nothing ranked


def _fits(console, table) -> bool:
    """True when ``table`` at its natural width (every cell on its lines, unwrapped) fits the console."""
    unbounded = console.options.update(max_width=10**6)   # rich clamps a measurement to the width it is given
    return console.measure(table, options=unbounded).maximum <= console.width


def layout(board: Board, console, columns: list[Column]) -> Layout:
    """The first layout whose natural width fits ``console``; else the generators over several tables."""
    title = f"secgen-bench leaderboard: {board.dataset}"
    for stacked in (False, True):
        table = wide_table(board, columns, stacked, title)
        if _fits(console, table):
            return Layout("wide", stacked, [table])
    for stacked in (False, True):
        table = transposed_table(board, columns, board.order, stacked, title)
        if _fits(console, table):
            return Layout("transposed", stacked, [table])
    ref = unranked_rows(board)
    gens = [g for g in board.order if g not in ref]
    if not gens:   # the Reference row alone, wider than the console: it folds, nothing to split
        return Layout("transposed", True, [transposed_table(board, columns, ref, True, title)])
    groups = _split(gens, lambda group: _fits(console, transposed_table(board, columns, ref + group, True, title)))
    tables, start = [], 1
    for group in groups:
        end = start + len(group) - 1
        which = f"generator {start}" if start == end else f"generators {start}–{end}"
        part = f"{title} ({which} of {len(gens)})"
        tables.append(transposed_table(board, columns, ref + group, True, part))
        start = end + 1
    return Layout("transposed", True, tables)


def _split(gens: list[str], fits) -> list[list[str]]:
    """As few groups as fit (greedy), then evened out (10 over 3 tables: 4, 3, 3) when the even groups fit too."""
    greedy: list[list[str]] = []
    for g in gens:
        if greedy and fits(greedy[-1] + [g]):
            greedy[-1].append(g)
        else:
            greedy.append([g])
    k = len(greedy)
    sizes = [len(gens) // k + (1 if i < len(gens) % k else 0) for i in range(k)]
    even = [gens[sum(sizes[:i]):sum(sizes[:i + 1])] for i in range(k)]
    return even if all(fits(group) for group in even) else greedy


def terminal_console():
    """A console as wide as the terminal; COLUMNS when set; LOG_WIDTH for logs and pipes."""
    import os

    from rich.console import Console

    if sys.stdout.isatty() or os.environ.get("COLUMNS", "").isdigit():
        return Console()
    return Console(width=LOG_WIDTH)


def render_rich(boards: list[Board], console=None, intervals: bool = False, columns: str | None = None) -> None:
    """Print each board in the layout that fits the console, with its legend and what was left out."""
    from rich.text import Text

    console = console or terminal_console()
    check_columns(boards, columns)
    for b in boards:
        every = columns_of(b, intervals)
        shown = select_columns(every, columns, b)
        chosen = layout(b, console, shown)
        for table in chosen.tables:
            console.print(table)
        console.print(Text(legend(b, intervals), style="dim"))   # Text: "[rank]" is no markup tag
        hidden = [c.name for c in every if c.name not in {s.name for s in shown}]
        if hidden and columns is None:
            console.print(Text(f"Not shown: {', '.join(hidden)} (--columns all, or --columns NAME,NAME).", style="dim"))

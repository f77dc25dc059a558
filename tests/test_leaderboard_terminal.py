"""The terminal leaderboard: every default number in full at 80 and 120 columns, the layout that fits, --columns."""
import re

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

from secgen_bench.cli import main
from secgen_bench.errors import UsageError
from secgen_bench.leaderboard import board_from_frame
from secgen_bench.leaderboard_terminal import PAPER_METRICS, columns_of, layout, render_rich, select_columns

DIRECTIONS = {"density": "higher", "coverage": "higher", "md": "closest"}
GENERATORS = ["reference", "independent-bn", "sequence-bn", "flowchronicle", "tvae", "ctgan", "ewgan-gp",
              "netshare", "transformer", "tadam", "marginals"]


def paper_board(extra_metrics=("dcr",)):
    """Ten generators and the Reference row, two seeds each, on the paper's eight metrics (and extra ones)."""
    rng = np.random.default_rng(0)
    rows = []
    for gen in GENERATORS:
        for metric in PAPER_METRICS + tuple(extra_metrics):
            for seed in (0, 1):
                rows.append(("simnet", gen, seed, metric, DIRECTIONS.get(metric, "lower"),
                             float(rng.uniform(0, 10 if metric == "md" else 1)), "ok", None))
    rows.append(("simnet", "tadam", 2, "jsd", "lower", None, "timeout", "job timeout in fit"))
    frame = pd.DataFrame(rows, columns=["dataset", "generator", "seed", "metric", "direction", "value", "status",
                                        "error"])
    board = board_from_frame("simnet", frame, ranking="strict")
    board.info = {g: {"fit_s": 12.5 + i, "peak_rss_mb": 300.0 + i} for i, g in enumerate(GENERATORS)}
    return board


def rendered(board, width, **kw) -> str:
    console = Console(width=width, record=True, color_system=None)
    render_rich([board], console=console, **kw)
    return console.export_text()


def numbers_of(board, columns):
    """Every number a default cell shows: means, spreads, ranks, average ranks."""
    out = set()
    for col in columns:
        for text in col.cells.values():
            out |= set(re.findall(r"\d+(?:\.\d+)?", text))
    return out


@pytest.mark.parametrize("width", [80, 120])
def test_every_default_number_is_shown_in_full(width):
    board = paper_board()
    text = rendered(board, width)
    assert "…" not in text
    assert max(len(line) for line in text.splitlines()) <= width
    shown = select_columns(columns_of(board), None, board)
    assert [c.name for c in shown] == list(PAPER_METRICS) + ["rank"]
    tokens = set(re.findall(r"\d+(?:\.\d+)?", text))   # a folded or cut number leaves a shorter token
    for col in shown:
        for gen, cell in col.cells.items():
            assert set(re.findall(r"\d+(?:\.\d+)?", cell)) <= tokens, (col.name, gen, cell)
    assert numbers_of(board, shown) <= tokens
    assert "dcr" not in text.split("Not shown")[0] and "Not shown: dcr, fit, memory" in text
    assert "higher is better" in text and "(2/3)" in text   # one failed seed of three: partial, not failed


def test_narrow_consoles_get_metrics_as_rows_and_generators_split():
    board = paper_board()
    cols = select_columns(columns_of(board), None, board)
    at80 = layout(board, Console(width=80), cols)
    assert at80.kind == "transposed" and len(at80.tables) > 1
    heads = [[c.header for c in t.columns] for t in at80.tables]
    assert all(h[:2] == ["metric", "reference"] for h in heads)   # the Reference column beside every part
    gens = [g for h in heads for g in h[2:]]
    assert sorted(gens) == sorted(GENERATORS[1:]) and len(gens) == len(set(gens))
    assert layout(board, Console(width=400), cols).kind == "wide"


def test_a_console_narrower_than_one_column_folds_and_elides_nothing():
    board = paper_board()
    text = rendered(board, 30)
    assert "…" not in text and max(len(line) for line in text.splitlines()) <= 30
    alone = board_from_frame("d", pd.DataFrame([("d", "reference", 0, "jsd", "lower", 0.5, "ok", None)],
                                               columns=["dataset", "generator", "seed", "metric", "direction",
                                                        "value", "status", "error"]))
    assert "…" not in rendered(alone, 12)   # the Reference row alone, wider than the console: folded, not lost


def test_every_unranked_row_stands_beside_each_part_of_a_split_board():
    board = paper_board()
    for cell in board.rows["marginals"].values():   # a pseudo-row like the Reference: scored, never ranked
        cell.rank = None
    board.avg_rank["marginals"] = None
    chosen = layout(board, Console(width=80), select_columns(columns_of(board), None, board))
    assert len(chosen.tables) > 1
    assert all([c.header for c in t.columns][1:3] == ["reference", "marginals"] for t in chosen.tables)


def test_a_small_board_stays_one_wide_table_at_80_columns():
    frame = pd.DataFrame([("d", g, 0, m, "lower", v, "ok", None) for g, v in (("a", 0.1), ("b", 0.2))
                          for m in ("jsd", "cmd")],
                         columns=["dataset", "generator", "seed", "metric", "direction", "value", "status", "error"])
    board = board_from_frame("d", frame)
    chosen = layout(board, Console(width=80), select_columns(columns_of(board), None, board))
    assert chosen.kind == "wide" and not chosen.stacked and len(chosen.tables) == 1


def test_columns_all_and_a_list():
    board = paper_board()
    every = rendered(board, 120, columns="all")
    assert "dcr" in every and "fit s" in every and "peak MB" in every and "Not shown" not in every
    some = rendered(board, 120, columns="jsd,fit")
    assert "jsd ↓" in some and "fit s" in some and "avg rank" in some and "density" not in some.split("Not shown")[0]
    assert "12.5" in some
    with pytest.raises(UsageError, match="--columns: unknown column 'nope'"):
        rendered(board, 120, columns="jsd,nope")


def test_extra_text_columns_of_the_board_show_by_default(monkeypatch):
    """A per-row column added to the generic header/row (e.g. a training budget) appears without changes here."""
    from secgen_bench import leaderboard, leaderboard_terminal

    header, row = leaderboard._header, leaderboard._row
    monkeypatch.setattr(leaderboard_terminal, "_header", lambda b: header(b)[:1] + ["budget"] + header(b)[1:])
    monkeypatch.setattr(leaderboard_terminal, "_row",
                        lambda b, g, **kw: row(b, g, **kw)[:1] + [f"25/300 ep {g[:2]}"] + row(b, g, **kw)[1:])
    board = paper_board()
    assert [c.name for c in select_columns(columns_of(board), None, board)] == list(PAPER_METRICS) + ["budget", "rank"]
    assert "25/300 ep ne" in rendered(board, 80)


def write_run(root, board_seed=0):
    """A run directory of metric records (the paper's eight metrics, ten generators and the Reference row)."""
    import json

    rng = np.random.default_rng(board_seed)
    for gen in GENERATORS:
        for seed in (0, 1):
            folder = root / "jobs" / f"{gen}-{seed}" / "metrics"
            folder.mkdir(parents=True)
            for metric in PAPER_METRICS:
                rec = {"dataset": {"label": "simnet"}, "generator": {"name": gen}, "seed": seed, "metric": metric,
                       "direction": DIRECTIONS.get(metric, "lower"), "value": float(rng.uniform(0, 1)),
                       "status": "ok"}
                (folder / f"{metric}.json").write_text(json.dumps(rec))
    return root


@pytest.mark.parametrize("width", ["80", "120"])
def test_leaderboard_command_prints_every_number_at_the_terminal_width(tmp_path, capsys, monkeypatch, width):
    run = write_run(tmp_path / "run")
    monkeypatch.setenv("COLUMNS", width)
    assert main(["leaderboard", str(run)]) == 0
    text = capsys.readouterr().out
    assert "…" not in text and max(len(line) for line in text.splitlines()) <= int(width)
    assert main(["leaderboard", str(run), "--format", "json"]) == 0
    import json

    board = json.loads(capsys.readouterr().out)[0]
    tokens = set(re.findall(r"\d+\.\d+", text))
    for gen, cells in board["rows"].items():
        for metric, cell in cells.items():
            assert f"{cell['mean']:.3f}" in tokens and f"{cell['std']:.3f}" in tokens, (gen, metric)
        if board["average_rank"][gen] is not None:
            assert f"{board['average_rank'][gen]:.3f}" in tokens


def test_leaderboard_command_rejects_an_unknown_column_in_one_line(tmp_path, capsys):
    run = write_run(tmp_path / "run")
    assert main(["leaderboard", str(run), "--columns", "jsd,nope"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--columns: unknown column 'nope'" in err[0] and "density" in err[0]

"""The paper-table comparison: exact agreement gives tau 1, a swapped ranking lowers it."""
import pytest

from secgen_bench.leaderboard import board_from_frame
from secgen_bench.reproduce import PAPER_METRICS, compare_with_paper, load_paper_table
from tests.test_leaderboard import frame, rec

DIRECTIONS = {"density": "higher", "coverage": "higher", "md": "closest"}


def board_with(values):
    rows = [rec(g, m, DIRECTIONS.get(m, "lower"), float(v)) for g, row in values.iterrows() for m, v in row.items()]
    return board_from_frame("cidds001-bi", frame(rows))


def test_published_numbers_reproduce_themselves():
    paper = load_paper_table()
    rep = compare_with_paper(board_with(paper[list(PAPER_METRICS.values())]))
    assert rep.differences.abs().max().max() == pytest.approx(0)
    assert all(t == pytest.approx(1.0) for t in rep.kendall.values())
    # The paper ranked unrounded means; its printed two-decimal numbers tie more often (e.g. EMD 0.01
    # for TVAE and CTGAN), and ties share the lower rank, so average ranks can only drop, by a little.
    for g, v in paper["avg_rank"].drop(index="reference").items():
        assert v - 0.25 <= rep.board.avg_rank[g] <= v + 1e-9, g
    assert rep.kendall_avg > 0.95
    assert rep.order()[0] == "flowchronicle"
    md = rep.to_markdown()
    assert "flowchronicle" in md and "Kendall" in md


def test_swapping_two_generators_lowers_tau():
    paper = load_paper_table()[list(PAPER_METRICS.values())].copy()
    paper.loc[["flowchronicle", "ewgan-gp"], "jsd"] = paper.loc[["ewgan-gp", "flowchronicle"], "jsd"].to_numpy()
    rep = compare_with_paper(board_with(paper))
    assert rep.kendall["jsd"] < 0.7
    assert rep.kendall["cmd"] == pytest.approx(1.0)


def test_reproduce_runs_offline_on_the_shared_sample(shared_data, tmp_path):
    from secgen_bench.reproduce import reproduce

    if not (shared_data / "cidds001" / "cidds_wk3_8k.csv").exists():
        pytest.skip("CIDDS sample absent")
    rep = reproduce("flowchronicle-table2", tmp_path / "out", profile="quick", generators=["marginals"])
    assert "marginals" in rep.board.rows and "reference" in rep.board.rows
    assert rep.board.rows["reference"]["jsd"].mean is not None
    assert any("data:" in n for n in rep.notes)

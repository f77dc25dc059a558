import numpy as np
import pandas as pd
import pytest

from secgen_bench.budget import summarize_budgets
from secgen_bench.leaderboard import board_from_frame, to_csv, to_markdown


def frame(rows):
    return pd.DataFrame(rows, columns=["dataset", "generator", "seed", "metric", "direction", "value", "status", "error"])


def rec(gen, metric, direction, value, seed=0, status="ok", error=None):
    return ("d", gen, seed, metric, direction, value, status, error)


def test_min_rank_ties_and_directions():
    b = board_from_frame("d", frame([
        rec("a", "cov", "higher", 0.9), rec("b", "cov", "higher", 0.9), rec("c", "cov", "higher", 0.5),
        rec("a", "jsd", "lower", 0.3), rec("b", "jsd", "lower", 0.1), rec("c", "jsd", "lower", 0.2),
    ]))
    assert [b.rows[g]["cov"].rank for g in "abc"] == [1, 1, 3]
    assert [b.rows[g]["jsd"].rank for g in "abc"] == [3, 1, 2]
    assert b.avg_rank == {"a": 2.0, "b": 1.0, "c": 2.5}
    assert b.order == ["b", "a", "c"]


def test_closest_metric_ranks_by_distance_to_reference_which_is_not_ranked():
    b = board_from_frame("d", frame([
        rec("reference", "md", "closest", 6.7),
        rec("a", "md", "closest", 7.0), rec("b", "md", "closest", 5.0), rec("c", "md", "closest", 6.5),
    ]))
    assert [b.rows[g]["md"].rank for g in "abc"] == [2, 3, 1]
    assert b.rows["reference"]["md"].rank is None
    assert b.order[0] == "reference" and b.avg_rank["reference"] is None


def test_closest_metric_without_reference_is_not_ranked():
    b = board_from_frame("d", frame([rec("a", "md", "closest", 7.0), rec("a", "jsd", "lower", 0.1),
                                      rec("b", "md", "closest", 5.0), rec("b", "jsd", "lower", 0.2)]))
    assert b.rows["a"]["md"].rank is None
    assert b.avg_rank == {"a": 1.0, "b": 2.0}


def test_mean_and_std_over_seeds():
    b = board_from_frame("d", frame([rec("a", "jsd", "lower", v, seed=i) for i, v in enumerate([0.1, 0.2, 0.3])]))
    c = b.rows["a"]["jsd"]
    assert c.mean == pytest.approx(0.2) and c.std == pytest.approx(0.1) and c.n_ok == 3
    assert c.text() == "0.200 ± 0.100"


def test_failed_jobs_show_status_and_take_worst_rank():
    b = board_from_frame("d", frame([
        rec("a", "jsd", "lower", 0.3), rec("b", "jsd", "lower", 0.1),
        rec("c", "jsd", "lower", None, status="timeout", error="job timeout in fit"),
        rec("e", "jsd", "lower", None, status="error", error="boom"),
        rec("p", "jsd", "lower", 0.2, seed=0), rec("p", "jsd", "lower", None, seed=1, status="error"),
    ]))
    assert b.rows["c"]["jsd"].text() == "TIMEOUT" and b.rows["e"]["jsd"].text() == "ERROR"
    assert b.rows["c"]["jsd"].rank == b.rows["e"]["jsd"].rank == 4
    assert b.rows["p"]["jsd"].text() == "0.200 (1/2)" and b.rows["p"]["jsd"].rank == 2
    md = to_markdown([b])
    assert "TIMEOUT" in md and "ERROR" in md and "nan" not in md.lower()
    assert "nan" not in to_csv([b]).split("\n")[0]


def test_metric_nobody_could_compute_is_not_ranked():
    b = board_from_frame("d", frame([rec("a", "jsd", "lower", 0.1), rec("b", "jsd", "lower", 0.2),
                                      rec("a", "dkc", "lower", None, status="error"),
                                      rec("b", "dkc", "lower", None, status="error")]))
    assert b.rows["a"]["dkc"].rank is None and b.rows["a"]["dkc"].text() == "ERROR"
    assert b.avg_rank == {"a": 1.0, "b": 2.0}


def test_metrics_outside_the_average_are_ranked_but_not_averaged():
    f = frame([rec("a", "jsd", "lower", 0.1), rec("b", "jsd", "lower", 0.2),
               rec("a", "acf", "lower", 0.9), rec("b", "acf", "lower", 0.1)])
    f["in_average_rank"] = f["metric"] == "jsd"
    b = board_from_frame("d", f)
    assert b.rows["a"]["acf"].rank == 2 and b.averaged == ["jsd"]
    assert b.avg_rank == {"a": 1.0, "b": 2.0}
    assert b.metrics == ["jsd", "acf"]
    assert "acf* ↓" in to_markdown([b])


def test_bootstrap_row_is_scored_beside_reference_and_never_ranked():
    b = board_from_frame("d", frame([
        rec("reference", "md", "closest", 6.7), rec("bootstrap", "md", "closest", 6.69),
        rec("reference", "jsd", "lower", 0.01), rec("bootstrap", "jsd", "lower", 0.02),
        rec("a", "md", "closest", 7.0), rec("b", "md", "closest", 5.0),
        rec("a", "jsd", "lower", 0.3), rec("b", "jsd", "lower", 0.1),
    ]))
    assert b.order == ["reference", "bootstrap", "a", "b"]
    assert b.avg_rank["bootstrap"] is None and b.rows["bootstrap"]["jsd"].rank is None
    assert [b.rows[g]["jsd"].rank for g in "ab"] == [2, 1], "the floor does not push the generators down"
    line = next(l for l in to_markdown([b]).splitlines() if l.startswith("| bootstrap"))
    assert "[" not in line and "0.020" in line


def test_budget_column_shows_done_over_paper_and_marks_rows_that_did_not_converge():
    b = board_from_frame("d", frame([rec("a", "jsd", "lower", 0.3), rec("b", "jsd", "lower", 0.1)]), info={
        "a": {"fit_s": 1.0, "budget": summarize_budgets([
            {"units": "epochs", "done": 25, "paper": 300, "converged": False, "criterion": "plateau", "stopped": "cap"},
            {"units": "epochs", "done": 25, "paper": 300, "converged": True, "criterion": "plateau", "stopped": "cap"}])},
        "b": {"fit_s": 2.0, "budget": summarize_budgets([
            {"units": "rounds", "done": 7, "paper": None, "converged": True, "criterion": "ended", "stopped": "converged"}])},
    })
    md = to_markdown([b])
    assert "| budget |" in md and "Budget: units done" in md
    assert "25/300 ep ✗ (1/2 ✓)" in md and "7 rd ✓" in md
    assert b.to_dict()["info"]["a"]["budget"]["converged"] is False
    plain = board_from_frame("d", frame([rec("a", "jsd", "lower", 0.3)]))
    assert "budget" not in to_markdown([plain]), "no column when no row records a budget"


def test_a_privacy_metric_flags_copying_beyond_the_reference_row_only_on_its_copy_side():
    from secgen_bench.leaderboard import COPY_MARK, to_markdown

    rng = np.random.default_rng(0)
    rows = []
    for seed in range(5):
        for gen, centre in (("reference", 7.5), ("copier", 8.1), ("miss-below", 6.9), ("near", 7.5)):
            rows.append(rec(gen, "md", "closest", centre + rng.normal(0, 0.01), seed=seed))
        rows.append(rec("copier", "jsd", "lower", 0.1, seed=seed))  # no copy side: never flagged
    b = board_from_frame("d", frame(rows))
    assert b.rows["copier"]["md"].copies
    assert not b.rows["miss-below"]["md"].copies   # as far from the Reference, the other way: not copying
    assert not b.rows["near"]["md"].copies
    assert not b.rows["copier"]["jsd"].copies
    text = to_markdown([b])
    assert text.count(COPY_MARK) == 2                # the copier's cell and the legend
    assert "closer to the training flows" in text
    assert b.to_dict()["rows"]["copier"]["md"]["copies"] is True


def test_no_copy_flag_without_a_reference_row():
    b = board_from_frame("d", frame([rec("a", "md", "closest", 9.0, seed=s) for s in range(3)]))
    assert not b.rows["a"]["md"].copies

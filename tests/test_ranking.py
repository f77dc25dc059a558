"""Tie-aware ranks and 95 % intervals: generators within seed/repetition noise share a rank, clear gaps do not."""
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from secgen_bench import ranking, stats
from secgen_bench.compare import board_from_dict, compare, load_boards
from secgen_bench.leaderboard import board_from_frame, to_csv, to_markdown

COLUMNS = ["dataset", "generator", "seed", "metric", "direction", "value", "status", "error", "values"]


def noisy_records(gen, metric, direction, centre, spread, dataset="d", seeds=(0, 1, 2), reps=20, shared_noise=None):
    """One record per seed: ``reps`` repetition values around ``centre`` (seeded, so the test is deterministic).

    ``shared_noise`` (seed -> array) is noise common to all generators at a (seed, rep): the real subsample.
    """
    rows = []
    for seed in seeds:
        rng = np.random.default_rng([seed, sum(map(ord, gen))])
        own = rng.normal(0.0, spread, reps)
        values = centre + own + (shared_noise[seed] if shared_noise is not None else 0.0)
        rows.append((dataset, gen, seed, metric, direction, float(values.mean()), "ok", None, values.tolist()))
    return rows


def board(rows, ranking_name="ties"):
    return board_from_frame("d", pd.DataFrame(rows, columns=COLUMNS), ranking=ranking_name)


def fixed_records(gen, metric, direction, grid, dataset="d"):
    """Records from an explicit seed -> repetition values grid."""
    return [(dataset, gen, s, metric, direction, float(np.mean(v)), "ok", None, list(v)) for s, v in grid.items()]


def test_generators_within_noise_share_a_rank_and_a_clear_gap_does_not():
    # b sits 0.001 above a, inside the repetition noise of 0.01; c sits 0.2 above: clearly worse
    rows = (noisy_records("a", "jsd", "lower", 0.055, 0.01) + noisy_records("b", "jsd", "lower", 0.056, 0.01)
            + noisy_records("c", "jsd", "lower", 0.255, 0.01))
    b = board(rows)
    assert [b.rows[g]["jsd"].rank for g in "abc"] == [1, 1, 3]
    assert b.avg_rank == {"a": 1.0, "b": 1.0, "c": 3.0}
    strict = board(rows, "strict")                 # the paper's ranking separates a and b by their means
    first = min("ab", key=lambda g: b.rows[g]["jsd"].mean)
    second = "b" if first == "a" else "a"
    assert (strict.rows[first]["jsd"].rank, strict.rows[second]["jsd"].rank, strict.rows["c"]["jsd"].rank) == (1, 2, 3)
    assert b.avg_ranks == {"ties": {"a": 1.0, "b": 1.0, "c": 3.0}, "strict": strict.avg_rank}


def test_a_difference_larger_than_the_noise_gives_distinct_ranks_in_each_direction():
    rows = (noisy_records("a", "cov", "higher", 0.90, 0.002) + noisy_records("b", "cov", "higher", 0.80, 0.002)
            + noisy_records("a", "emd", "lower", 0.010, 0.001) + noisy_records("b", "emd", "lower", 0.030, 0.001))
    b = board(rows)
    assert (b.rows["a"]["cov"].rank, b.rows["b"]["cov"].rank) == (1, 2)
    assert (b.rows["a"]["emd"].rank, b.rows["b"]["emd"].rank) == (1, 2)


def test_pairing_on_matched_repetitions_separates_a_small_but_consistent_gap():
    # the repetitions share a large common noise (the same real subsample); b is always exactly 0.002 worse
    shared = {s: np.random.default_rng(s).normal(0.0, 0.05, 20) for s in (0, 1, 2)}
    grid_a = {s: 0.1 + shared[s] for s in shared}
    grid_b = {s: 0.102 + shared[s] for s in shared}
    b = board(fixed_records("a", "jsd", "lower", grid_a) + fixed_records("b", "jsd", "lower", grid_b))
    assert (b.rows["a"]["jsd"].rank, b.rows["b"]["jsd"].rank) == (1, 2)
    # the intervals of the two cells overlap widely: only the paired test sees the gap
    assert b.rows["b"]["jsd"].ci_low < b.rows["a"]["jsd"].ci_high


def test_ties_are_transitive_dense_groups_from_the_best():
    # a ~ b and b ~ c, yet c is significantly worse than a: b joins a's group, c leads its own (never 1 and 2)
    grids = {g: {s: (c + np.random.default_rng([s, ord(g)]).normal(0, 0.01, 10)).tolist() for s in range(3)}
             for g, c in (("a", 0.100), ("b", 0.104), ("c", 0.108))}
    differ = (lambda x, y: stats.significantly_different([grids[x], grids[y]], lambda p, q: p - q))
    assert not differ("a", "b") and not differ("b", "c") and differ("a", "c")
    b = board([r for g, grid in grids.items() for r in fixed_records(g, "jsd", "lower", grid)])
    assert [b.rows[g]["jsd"].rank for g in "abc"] == [1, 1, 3]


def test_closest_metric_ties_by_distance_to_the_reference_which_is_never_ranked():
    ref = noisy_records("reference", "md", "closest", 6.7, 0.05)
    rows = (ref + noisy_records("a", "md", "closest", 6.75, 0.05) + noisy_records("b", "md", "closest", 6.65, 0.05)
            + noisy_records("c", "md", "closest", 4.0, 0.05))
    b = board(rows)
    assert b.rows["reference"]["md"].rank is None and b.avg_rank["reference"] is None
    assert b.rows["a"]["md"].rank == b.rows["b"]["md"].rank == 1 and b.rows["c"]["md"].rank == 3


def test_failures_take_the_worst_rank_under_ties_too():
    rows = noisy_records("a", "jsd", "lower", 0.1, 0.01) + noisy_records("b", "jsd", "lower", 0.1001, 0.01)
    rows.append(("d", "e", 0, "jsd", "lower", None, "error", "boom", []))
    b = board(rows)
    assert b.rows["e"]["jsd"].rank == 3 and b.rows["e"]["jsd"].ci_low is None
    assert b.rows["a"]["jsd"].rank == b.rows["b"]["jsd"].rank == 1


def test_every_cell_has_a_deterministic_interval_around_its_mean():
    rows = noisy_records("a", "jsd", "lower", 0.055, 0.01) + noisy_records("b", "jsd", "lower", 0.3, 0.02)
    first, second = board(rows), board(rows)
    for g in "ab":
        c = first.rows[g]["jsd"]
        assert c.ci_low < c.mean < c.ci_high
        assert (c.ci_low, c.ci_high) == (second.rows[g]["jsd"].ci_low, second.rows[g]["jsd"].ci_high)
    # wider noise, wider interval
    width = {g: first.rows[g]["jsd"].ci_high - first.rows[g]["jsd"].ci_low for g in "ab"}
    assert width["b"] > width["a"]
    single = board([("d", "a", 0, "jsd", "lower", 0.2, "ok", None, [0.2])])
    assert (single.rows["a"]["jsd"].ci_low, single.rows["a"]["jsd"].ci_high) == (0.2, 0.2)


def test_records_without_repetition_values_rank_as_before():
    f = pd.DataFrame([("d", "a", 0, "jsd", "lower", 0.1, "ok", None), ("d", "b", 0, "jsd", "lower", 0.2, "ok", None)],
                     columns=COLUMNS[:-1])
    b = board_from_frame("d", f)
    assert (b.rows["a"]["jsd"].rank, b.rows["b"]["jsd"].rank) == (1, 2)   # no noise estimate: every gap counts
    assert b.rows["a"]["jsd"].ci_low == b.rows["a"]["jsd"].ci_high == 0.1


def test_json_cells_carry_intervals_and_both_average_ranks_and_round_trip():
    rows = noisy_records("a", "jsd", "lower", 0.055, 0.01) + noisy_records("b", "jsd", "lower", 0.056, 0.01)
    b = board(rows)
    d = json.loads(json.dumps(b.to_dict()))
    assert set(d["rows"]["a"]["jsd"]) >= {"ci_low", "ci_high", "rank"}
    assert d["ranking"] == "ties" and set(d["average_ranks"]) == {"ties", "strict"}
    back = board_from_dict(d)
    assert back.rows["a"]["jsd"].ci_low == b.rows["a"]["jsd"].ci_low
    assert not any(c.regression for c in compare([back], [b]))
    assert "jsd_ci_low" in to_csv([b]).splitlines()[0]
    md = to_markdown([b], intervals=True)
    assert "95% CI" in md and "paired bootstrap" in md
    assert "95% CI" not in to_markdown([b])


@pytest.mark.parametrize("path", sorted(Path(__file__).parent.parent.glob("leaderboards/ci/*.json")), ids=lambda p: p.name)
def test_committed_ci_baselines_still_load_and_compare_equal(path):
    base = load_boards(path)
    changes = compare(base, load_boards(path))
    assert changes and all(c.verdict == "same" for c in changes)


def test_unknown_ranking_is_refused():
    with pytest.raises(ValueError, match="--ranking 'loose'"):
        board(noisy_records("a", "jsd", "lower", 0.1, 0.01), "loose")


def test_cli_ranking_choices_are_the_library_names():
    from secgen_bench.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    for verb in ("run", "leaderboard"):
        opt = next(a for a in sub.choices[verb]._actions if a.dest == "ranking")
        assert sorted(opt.choices) == sorted(ranking.RANKINGS) and opt.default == ranking.TIES


# ---- statistics ---------------------------------------------------------------------------------------
def test_nemenyi_table_is_demsar_2006_and_agrees_with_the_studentized_range():
    from scipy.stats import studentized_range

    assert stats.NEMENYI_Q_005[2] == 1.960 and stats.NEMENYI_Q_005[10] == 3.164
    for k, q in stats.NEMENYI_Q_005.items():
        assert q == pytest.approx(studentized_range.ppf(0.95, k, np.inf) / np.sqrt(2), abs=0.002)
    assert stats.nemenyi_q(12) > stats.nemenyi_q(10)
    # Demsar's example: k = 4 classifiers, N = 14 data sets, CD = 1.25
    assert stats.critical_difference(4, 14) == pytest.approx(1.25, abs=0.01)


def test_friedman_rejects_a_consistent_order_and_not_a_shuffled_one():
    consistent = np.tile([1.0, 2.0, 3.0, 4.0], (10, 1))
    res = stats.friedman(consistent)
    assert res.rejects and list(res.mean_ranks) == [1, 2, 3, 4]
    rng = np.random.default_rng(0)
    shuffled = np.array([rng.permutation(4) for _ in range(10)], dtype=float)
    assert not stats.friedman(shuffled).rejects
    flat = stats.friedman(np.ones((5, 3)))
    assert flat.p_value is None and not flat.rejects
    with pytest.raises(ValueError):
        stats.friedman(np.ones((1, 3)))


def test_nemenyi_groups_are_maximal_runs_within_the_critical_difference():
    assert stats.nemenyi_groups([1.0, 1.2, 2.5, 2.6, 3.9], 1.0) == [(0, 1), (2, 3)]
    assert stats.nemenyi_groups([1.0, 1.5, 1.9, 2.8], 1.0) == [(0, 2), (2, 3)]
    assert stats.nemenyi_groups([1.0, 3.0], 1.0) == []


def _two_dataset_boards(seeds=(0, 1, 2)):
    out = []
    for ds in ("d1", "d2"):
        rows = []
        for g, centre in (("a", 0.1), ("b", 0.2), ("c", 0.3), ("e", 0.4)):
            rows += noisy_records(g, "jsd", "lower", centre, 0.01, dataset=ds, seeds=seeds)
        out.append(board_from_frame(ds, pd.DataFrame(rows, columns=COLUMNS)))
    return out


def test_blocks_are_dataset_times_seed_and_a_clear_order_is_significant():
    cmp = ranking.compare_blocks(_two_dataset_boards())
    assert cmp.blocks == [(d, s) for d in ("d1", "d2") for s in (0, 1, 2)]
    assert cmp.result is not None and cmp.result.rejects
    assert cmp.order() == ["a", "b", "c", "e"]
    assert list(cmp.result.mean_ranks) == [1, 2, 3, 4]


def test_block_comparison_says_why_it_cannot_run():
    one_block = [_two_dataset_boards(seeds=(0,))[0]]
    cmp = ranking.compare_blocks(one_block)
    assert cmp.result is None and "1 (dataset, seed) block" in cmp.reason
    rows = noisy_records("a", "jsd", "lower", 0.1, 0.01) + noisy_records("b", "jsd", "lower", 0.2, 0.01)
    cmp = ranking.compare_blocks([board(rows)])
    assert cmp.result is None and "2 generator(s)" in cmp.reason


def test_reproduce_reports_both_average_ranks():
    from secgen_bench.reproduce import PAPER_METRICS, compare_with_paper, load_paper_table

    paper = load_paper_table()
    directions = {"density": "higher", "coverage": "higher", "md": "closest"}
    rows = []   # the published means, each with a repetition noise of 20 % of the value: many ties
    for g, row in paper[list(PAPER_METRICS.values())].iterrows():
        for m, v in row.items():
            rows += noisy_records(g, m, directions.get(m, "lower"), float(v), 0.2 * abs(float(v)) + 1e-3,
                                  dataset="cidds001-bi", seeds=(0, 1), reps=5)
    rep = compare_with_paper(board_from_frame("cidds001-bi", pd.DataFrame(rows, columns=COLUMNS), ranking="strict"))
    ties, strict = rep.board.avg_ranks["ties"], rep.board.avg_ranks["strict"]
    assert all(ties[g] <= strict[g] for g in ties if g != "reference") and any(ties[g] < strict[g] for g in ties
                                                                               if g != "reference")
    md = rep.to_markdown()
    assert "avg rank ours (strict) / paper" in md and "avg rank ours (ties)" in md
    for g in ties:
        if g == "reference":
            continue
        line = next(ln for ln in md.splitlines() if ln.startswith(f"| {g} |"))
        assert line.endswith(f" | {strict[g]:.3f} / {paper.loc[g, 'avg_rank']:.3f} | {ties[g]:.3f} |"), line


# ---- the CLI ------------------------------------------------------------------------------------------
def test_run_and_leaderboard_take_the_ranking_and_show_intervals_on_demand(plugins, tmp_path, capsys):
    from secgen_bench.cli import main

    out = tmp_path / "run"
    assert main(["run", "-g", "marginals", "-d", "tiny", "--quick", "--seeds", "0,1", "--metrics", "mean-bytes-gap",
                 "--out", str(out), "--no-progress", "--no-cache", "--ranking", "strict"]) == 0
    written = json.loads((out / "leaderboard.json").read_text())[0]
    assert written["ranking"] == "strict" and written["average_rank"] == written["average_ranks"]["strict"]
    cell = written["rows"]["marginals"]["mean-bytes-gap"]
    assert cell["ci_low"] <= cell["mean"] <= cell["ci_high"]
    capsys.readouterr()
    assert main(["leaderboard", str(out), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["ranking"] == "ties"
    assert main(["leaderboard", str(out), "--format", "markdown", "--intervals"]) == 0
    text = capsys.readouterr().out
    assert "95% CI" in text and "paired bootstrap" in text
    assert main(["leaderboard", str(out), "--format", "markdown", "--ranking", "strict"]) == 0
    text = capsys.readouterr().out
    assert "95% CI" not in text and "strict" in text


def test_an_unknown_ranking_exits_2_with_one_line(tmp_path, capsys):
    from secgen_bench.cli import main

    (tmp_path / "jobs").mkdir()
    assert main(["leaderboard", str(tmp_path), "--ranking", "loose"]) == 2
    assert "invalid choice: 'loose'" in capsys.readouterr().err

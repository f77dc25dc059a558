"""compare: direction-aware, fails on worse numbers and new failures, passes on noise and improvements."""
import json

import pytest

from secgen_bench import registry
from secgen_bench.cli import main
from secgen_bench.compare import compare, load_boards, parse_tolerances
from secgen_bench.leaderboard import board_from_frame
from tests.test_leaderboard import frame, rec


def boards(values, status=None):
    rows = []
    for (gen, metric, direction), v in values.items():
        st = (status or {}).get((gen, metric), "ok")
        rows.append(rec(gen, metric, direction, v if st == "ok" else None, status=st))
    return [board_from_frame("d", frame(rows))]


BASE = {("reference", "md", "closest"): 6.7, ("a", "md", "closest"): 6.0,
        ("a", "jsd", "lower"): 0.20, ("a", "density", "higher"): 0.50}


def verdicts(changes):
    return {(c.generator, c.metric): c.verdict for c in changes}


def test_worse_in_each_direction_fails_and_better_passes():
    worse = dict(BASE)
    worse.update({("a", "jsd", "lower"): 0.30, ("a", "density", "higher"): 0.40, ("a", "md", "closest"): 5.0})
    v = verdicts(compare(boards(BASE), boards(worse)))
    assert v[("a", "jsd")] == v[("a", "density")] == v[("a", "md")] == "worse"
    better = dict(BASE)
    better.update({("a", "jsd", "lower"): 0.10, ("a", "density", "higher"): 0.60, ("a", "md", "closest"): 6.6})
    changes = compare(boards(BASE), boards(better))
    assert not any(c.regression for c in changes)
    assert verdicts(changes)[("a", "jsd")] == "better"


def test_noise_within_tolerance_passes():
    noisy = dict(BASE)
    noisy[("a", "jsd", "lower")] = 0.2005
    assert not any(c.regression for c in compare(boards(BASE), boards(noisy), parse_tolerances("jsd=0.001")))
    assert any(c.regression for c in compare(boards(BASE), boards(noisy), parse_tolerances("jsd=0.0001")))


def test_ok_to_error_is_a_regression():
    changes = compare(boards(BASE), boards(BASE, status={("a", "jsd"): "timeout"}))
    assert verdicts(changes)[("a", "jsd")] == "new-failure"


def test_missing_generator_is_a_regression():
    cur = {k: v for k, v in BASE.items() if k[0] != "a"}
    assert "missing" in verdicts(compare(boards(BASE), boards(cur))).values()


def test_bad_tolerance_is_rejected():
    with pytest.raises(ValueError, match="use METRIC=NUMBER"):
        parse_tolerances("jsd")


EXTRA_GENERATORS = {"worse-copycat": "tests.test_compare:WorseCopycat"}  # beside the conftest test plugins


from tests.plugins import Copycat  # noqa: E402


class WorseCopycat(Copycat):
    """The copycat made deliberately worse: every byte count doubled."""

    def _sample(self, n, *, seed):
        out = super()._sample(n, seed=seed)
        out["bytes"] = out["bytes"] * 2
        return out


def test_a_generator_made_worse_fails_compare_naming_it(plugins, tmp_path, capsys):
    from secgen_bench.runner.plan import protocol_for
    from secgen_bench.datasets.loading import DatasetSource
    from secgen_bench.runner.request import RunRequest
    from secgen_bench.runner.run import run_benchmark

    def run(out, gen_target):
        registry.generators.unregister("copycat")
        registry.generators.register("copycat", gen_target, source="test")
        proto = protocol_for("quick", seeds=(0, 1), sample_size=80)
        return run_benchmark(RunRequest(["copycat"], [DatasetSource("tiny")], proto, out, profile="quick",
                                        metrics=["mean-bytes-gap"], use_cache=False))

    run(tmp_path / "base", "tests.plugins:Copycat")
    run(tmp_path / "same", "tests.plugins:Copycat")
    run(tmp_path / "worse", "tests.test_compare:WorseCopycat")
    assert main(["compare", str(tmp_path / "base"), str(tmp_path / "same")]) == 0
    capsys.readouterr()
    assert main(["compare", str(tmp_path / "base"), str(tmp_path / "worse"), "--format", "markdown"]) == 1
    err = capsys.readouterr().err
    assert "REGRESSION: copycat / mean-bytes-gap on tiny:" in err and "(worse" in err
    # a committed leaderboard JSON works as the baseline too
    from secgen_bench import leaderboard

    (tmp_path / "base.json").write_text(json.dumps([b.to_dict() for b in leaderboard.build(tmp_path / "base")]))
    assert len(load_boards(tmp_path / "base.json")[0].rows) == 3   # copycat, reference, bootstrap
    assert main(["compare", str(tmp_path / "base.json"), str(tmp_path / "worse")]) == 1


def test_a_new_bootstrap_row_is_not_a_regression_against_an_old_baseline():
    old = board_from_frame("d", frame([rec("reference", "jsd", "lower", 0.01), rec("a", "jsd", "lower", 0.3)]))
    new = board_from_frame("d", frame([rec("reference", "jsd", "lower", 0.01), rec("bootstrap", "jsd", "lower", 0.02),
                                       rec("a", "jsd", "lower", 0.3)]))
    changes = compare([old], [new])
    assert not any(c.regression for c in changes) and {c.generator for c in changes} == {"reference", "a"}

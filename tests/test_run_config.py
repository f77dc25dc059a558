"""``run --config``: a file builds the request the flags build, flags win, run.json replays the run; --split."""
import json

import pytest

from secgen_bench.cli import build_parser, main, run_request


def request_of(argv):
    return run_request(build_parser().parse_args(["run", *argv]))


def write(path, text):
    path.write_text(text)
    return str(path)


def test_a_yaml_file_builds_the_same_request_as_the_flags(tmp_path):
    flags = request_of(["-g", "independent-bn", "--profile", "quick", "--seeds", "0,3", "--metrics", "jsd,cmd",
                        "--split", "time", "--repeats", "3", "--sample-size", "500", "--out", str(tmp_path / "o"),
                        "--set", "independent-bn.max_iter=7", "--no-cache"])
    cfg = write(tmp_path / "run.yaml", "generators: [independent-bn]\nprofile: quick\nseeds: [0, 3]\n"
                                       "metrics: jsd,cmd\nsplit: time\nrepeats: 3\nsample_size: 500\n"
                                       "set: {independent-bn: {max_iter: 7}}\nno-cache: true\n")
    from_file = request_of(["--config", cfg, "--out", str(tmp_path / "o")])
    assert from_file == flags
    assert from_file.protocol.split == "time" and from_file.protocol.seeds == (0, 3)
    assert from_file.overrides == {"independent-bn": {"max_iter": "7"}} and not from_file.use_cache


def test_flags_given_override_the_files_values(tmp_path):
    cfg = write(tmp_path / "run.json", json.dumps({
        "generators": ["independent-bn"], "profile": "paper", "seeds": [0, 1], "split": "time",
        "set": ["independent-bn.max_iter=7", "independent-bn.min_count=3"]}))
    req = request_of(["--config", cfg, "--quick", "--seeds", "4", "--split", "random",
                      "--set", "independent-bn.max_iter=9", "--out", str(tmp_path / "o")])
    assert req.profile == "quick" and req.protocol.seeds == (4,) and req.protocol.split == "random"
    assert req.overrides == {"independent-bn": {"max_iter": "9", "min_count": "3"}}
    assert req.config["profile"] == "quick" and req.config["seeds"] == [4]
    assert req.config["set"] == {"independent-bn": {"max_iter": "9", "min_count": "3"}}


def test_split_defaults_to_random_and_time_reaches_the_protocol(tmp_path):
    assert request_of(["-g", "marginals", "--out", str(tmp_path)]).protocol.split == "random"
    assert request_of(["-g", "marginals", "--split", "time", "--out", str(tmp_path)]).protocol.split == "time"


@pytest.mark.parametrize("text, message", [
    ("generators: [marginals]\nepochs: 3\n", "unknown key 'epochs'"),
    ("generators: [marginals]\nout: somewhere\n", "unknown key 'out'"),
    ("generators: [marginals]\nprofile: full\n", "profile must be one of quick, default, paper"),
    ("generators: [marginals]\nrepeats: many\n", "repeats must be a number"),
    ("generators: [marginals]\nseeds: {a: 1}\n", "seeds must be a list or a comma-separated string"),
    ("generators: [marginals]\nno-cache: 1\n", "no-cache must be true or false"),
    ("generators: [marginals]\nset: {marginals: 3}\n", "set must map GENERATOR"),
    ("- generators\n", "expected a mapping of run options"),
    ("generators: [marginals\n", "not valid YAML"),
])
def test_a_bad_file_is_one_line_naming_the_file_and_key(tmp_path, capsys, text, message):
    cfg = write(tmp_path / "bad.yaml", text)
    code = main(["run", "--config", cfg, "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and message in err and cfg in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_a_missing_file_and_a_run_json_without_config_are_refused(tmp_path, capsys):
    assert main(["run", "--config", str(tmp_path / "none.yaml")]) == 2
    assert "no such file" in capsys.readouterr().err
    old = write(tmp_path / "run.json", json.dumps({"run_id": "x", "jobs": [], "profile": "quick"}))
    assert main(["run", "--config", old, "--out", str(tmp_path / "o")]) == 2
    assert 'holds no "config" entry' in capsys.readouterr().err


def test_run_json_replays_the_run_with_the_same_jobs_and_numbers(tmp_path, capsys):
    first, again = tmp_path / "first", tmp_path / "again"
    assert main(["run", "-g", "marginals", "--quick", "--metrics", "jsd,cmd", "--split", "time", "--no-cache",
                 "--out", str(first), "--no-progress"]) == 0   # no cache: the replay fits and samples again
    plan = json.loads((first / "run.json").read_text())
    assert plan["config"]["generators"] == ["marginals"] and plan["config"]["split"] == "time"
    assert plan["config"]["no-cache"] is True
    assert plan["protocol"]["split"] == "time"
    assert main(["run", "--config", str(first / "run.json"), "--out", str(again), "--no-progress"]) == 0
    replay = json.loads((again / "run.json").read_text())
    assert replay["jobs"] == plan["jobs"] and replay["config"] == plan["config"]
    boards = [json.loads((d / "leaderboard.json").read_text())[0]["rows"] for d in (first, again)]
    means = [{g: {m: c["mean"] for m, c in row.items()} for g, row in b.items()} for b in boards]
    assert means[0] == means[1] and means[0]["marginals"]["jsd"] is not None
    capsys.readouterr()


def test_reproduce_takes_the_run_profile_names_and_full_is_a_deprecated_alias(capsys):
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    for verb in ("run", "generate"):
        assert next(a for a in sub.choices[verb]._actions if a.dest == "profile").choices == ["quick", "default",
                                                                                              "paper"]
    code = main(["reproduce", "flowchronicle-table2", "--profile", "full", "--data", "/no/such/raw.csv"])
    err = capsys.readouterr().err
    assert code == 2 and "--profile full is deprecated, use --profile paper" in err and "no such file" in err


def test_the_library_refuses_full_naming_the_profiles(tmp_path):
    from secgen_bench.reproduce import reproduce

    with pytest.raises(ValueError, match="choose one of quick, default, paper"):
        reproduce("flowchronicle-table2", tmp_path, profile="full")

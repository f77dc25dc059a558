"""Bad options and broken files end with one line and exit 2 before any work; output files follow the umask.

Each case here used to run with the bad value (a timeout that never fires, every job an ERROR with exit 0,
a tolerance that lets any regression pass, an override nobody reads) or to end as an "internal error".
"""
import json
import os
import subprocess
import sys

import pytest

from secgen_bench.cli import main
from secgen_bench.compare import parse_tolerances


def run_cli(args, capsys):
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def assert_one_line_exit_2(code, err, *needles):
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err and "internal error" not in err, err
    for needle in needles:
        assert needle in err, err


# ---- numeric options: finite and in range, checked before any job starts --------------------------------
@pytest.mark.parametrize("option, value", [
    ("--timeout", "nan"), ("--timeout", "inf"), ("--timeout", "-5"),
    ("--memory-limit", "-1"), ("--memory-limit", "nan"), ("--memory-limit", "0"),
    ("--seeds", "-1"), ("--seeds", "0,-3"), ("--workers", "0"),
])
def test_run_refuses_a_bad_number_before_any_job(option, value, tmp_path, capsys):
    out = tmp_path / "run"
    code, _, err = run_cli(["run", "-g", "marginals", "--quick", "--metrics", "jsd", "--out", str(out),
                            option, value], capsys)
    assert_one_line_exit_2(code, err, option)
    assert not (out / "jobs").exists()  # nothing ran


def test_reproduce_refuses_a_negative_seed(tmp_path, capsys):
    code, _, err = run_cli(["reproduce", "flowchronicle-table2", "--seeds", "-1", "--out", str(tmp_path / "r")],
                           capsys)
    assert_one_line_exit_2(code, err, "--seeds")
    assert not (tmp_path / "r").exists()


def test_generate_refuses_a_negative_seed(tmp_path, capsys):
    out = tmp_path / "s.csv"
    code, _, err = run_cli(["generate", "-g", "marginals", "-d", "simnet", "-n", "5", "-o", str(out),
                            "--seed", "-1", "--quick"], capsys)
    assert_one_line_exit_2(code, err, "--seed")
    assert not out.exists()


# ---- compare tolerances ------------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["jsd=nan", "jsd=inf", "jsd=-0.1"])
def test_a_tolerance_must_be_a_finite_number(text):
    with pytest.raises(ValueError, match="finite number >= 0"):
        parse_tolerances(text)


def _board(jsd: float) -> list[dict]:
    cell = {"mean": jsd, "std": 0.0, "n_ok": 1, "n_total": 1, "status": "ok", "rank": 1.0}
    return [{"dataset": "simnet", "metrics": ["jsd"], "directions": {"jsd": "lower"},
             "rows": {"marginals": {"jsd": cell}}, "average_rank": {"marginals": 1.0}}]


def test_a_nan_tolerance_does_not_let_a_jsd_rise_pass(tmp_path, capsys):
    base, cur = tmp_path / "base.json", tmp_path / "cur.json"
    base.write_text(json.dumps(_board(0.06)))
    cur.write_text(json.dumps(_board(0.56)))
    code, _, err = run_cli(["compare", str(base), str(cur), "--tolerance", "jsd=nan"], capsys)
    assert_one_line_exit_2(code, err, "jsd=nan")
    assert run_cli(["compare", str(base), str(cur), "--tolerance", "jsd=0.01"], capsys)[0] == 1  # the rise fails


@pytest.mark.parametrize("text", ['[{"dataset": "simnet"}]', "5", '["a board"]', '[{"dataset": "d", "rows": 3}]'])
def test_compare_names_a_malformed_leaderboard_file(text, tmp_path, capsys):
    bad = tmp_path / "board.json"
    bad.write_text(text)
    good = tmp_path / "good.json"
    good.write_text(json.dumps(_board(0.1)))
    code, _, err = run_cli(["compare", str(bad), str(good)], capsys)
    assert_one_line_exit_2(code, err, "board.json", "not a leaderboard JSON file")


# ---- --set -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("item, message", [
    ("typo.option=1", "unknown generator 'typo'"),
    ("marginals.typo=1", "unknown option 'typo'"),
    ("tvae.epochs=1", "'tvae' is not among the plugins of this command"),
])
def test_run_refuses_an_override_nobody_would_read(item, message, tmp_path, capsys):
    out = tmp_path / "run"
    code, _, err = run_cli(["run", "-g", "marginals", "--quick", "--metrics", "jsd", "--out", str(out),
                            "--set", item], capsys)
    assert_one_line_exit_2(code, err, item, message)
    assert not (out / "jobs").exists()


@pytest.mark.parametrize("item, message", [("marginals.epochs=3", "unknown option 'epochs'"),
                                           ("tvae.epochs=3", "'tvae' is not among the plugins")])
def test_generate_refuses_an_override_nobody_would_read(item, message, tmp_path, capsys):
    out = tmp_path / "s.csv"
    code, _, err = run_cli(["generate", "-g", "marginals", "-d", "simnet", "-n", "5", "-o", str(out), "--quick",
                            "--set", item], capsys)
    assert_one_line_exit_2(code, err, message)
    assert not out.exists()


def test_cuda_without_a_gpu_is_an_error_before_any_job(tmp_path, capsys):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA device")
    out = tmp_path / "run"
    code, _, err = run_cli(["run", "-g", "marginals", "--quick", "--metrics", "jsd", "--out", str(out),
                            "--device", "cuda"], capsys)
    assert_one_line_exit_2(code, err, "--device cuda", "no CUDA device")
    assert not (out / "jobs").exists()


# ---- files the user names --------------------------------------------------------------------------------
@pytest.mark.parametrize("command", [["run", "-g", "marginals", "--quick", "--metrics", "jsd"],
                                     ["reproduce", "flowchronicle-table2"]])
def test_out_naming_an_existing_file_is_bad_input(command, tmp_path, capsys):
    existing = tmp_path / "results.txt"
    existing.write_text("keep me\n")
    code, _, err = run_cli(command + ["--out", str(existing)], capsys)
    assert_one_line_exit_2(code, err, str(existing))
    assert existing.read_text() == "keep me\n"


def test_a_too_long_file_name_is_bad_input(tmp_path, capsys):
    long_name = tmp_path / ("x" * 300)
    code, _, err = run_cli(["run", "-g", "marginals", "--quick", "--metrics", "jsd", "--out", str(long_name)], capsys)
    assert_one_line_exit_2(code, err, "x" * 300, "too long")


def test_a_too_long_output_file_name_is_bad_input_before_fitting(tmp_path, capsys):
    long_name = tmp_path / ("y" * 300 + ".csv")
    code, _, err = run_cli(["generate", "-g", "marginals", "-d", "simnet", "-n", "5", "--quick", "-o", str(long_name)],
                           capsys)
    assert_one_line_exit_2(code, err, "y" * 300, "too long")


def _metric_record(**changes) -> dict:
    rec = {"dataset": {"label": "simnet"}, "generator": {"name": "marginals"}, "seed": 0, "metric": "jsd",
           "direction": "lower", "value": 0.1, "status": "ok"}
    rec.update(changes)
    return rec


@pytest.mark.parametrize("name, text", [
    ("metrics/jsd.json", "{not json"),
    ("metrics/jsd.json", json.dumps({"metric": "jsd"})),
    ("metrics/jsd.json", "[1, 2]"),
    ("job.json", "{not json"),
    ("job.json", json.dumps({"status": "ok"})),
])
def test_leaderboard_names_a_broken_record(name, text, tmp_path, capsys):
    job = tmp_path / "run" / "jobs" / "marginals--simnet--s0--abc"
    (job / "metrics").mkdir(parents=True)
    (job / "metrics" / "jsd.json").write_text(json.dumps(_metric_record()))
    (job / "job.json").write_text(json.dumps({**_metric_record(), "timings": {}, "resources": {}}))
    (job / name).write_text(text)
    code, _, err = run_cli(["leaderboard", str(tmp_path / "run"), "--format", "json"], capsys)
    assert_one_line_exit_2(code, err, str(job / name), "broken record")


def test_a_run_directory_of_sound_records_still_ranks(tmp_path, capsys):
    job = tmp_path / "run" / "jobs" / "marginals--simnet--s0--abc"
    (job / "metrics").mkdir(parents=True)
    (job / "metrics" / "jsd.json").write_text(json.dumps(_metric_record()))
    (job / "job.json").write_text(json.dumps({**_metric_record(), "timings": {"fit_s": 2.0}, "resources": {}}))
    code, out, _ = run_cli(["leaderboard", str(tmp_path / "run"), "--format", "json"], capsys)
    board = json.loads(out)[0]
    assert code == 0 and board["rows"]["marginals"]["jsd"]["mean"] == 0.1 and board["info"]["marginals"]["fit_s"] == 2.0


# ---- argparse and a closed stdout ------------------------------------------------------------------------
@pytest.mark.parametrize("args, needle", [
    (["run", "-g", "marginals", "--bogus"], "unrecognized arguments: --bogus"),
    (["run", "--workers", "two"], "--workers"),
    (["list", "things"], "invalid choice: 'things'"),
    ([], "command"),
])
def test_a_usage_error_is_one_line_exit_2(args, needle, capsys):
    code, _, err = run_cli(args, capsys)
    assert_one_line_exit_2(code, err, needle)


def test_help_still_exits_0(capsys):
    code, out, _ = run_cli(["list", "--help"], capsys)
    assert code == 0 and "usage:" in out


@pytest.mark.parametrize("args", [["list", "generators", "--json"], ["list", "generators"]])
def test_a_closed_stdout_ends_quietly(args):
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the command writes anything (like `| head -1` that finished)
    try:
        proc = subprocess.run([sys.executable, "-m", "secgen_bench.cli", *args],
                              stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(write_end)
    assert proc.stderr == ""  # no traceback, no "Exception ignored", no "internal error"
    assert proc.returncode == 1  # as rich ends a table it cannot print


# ---- output files follow the umask -----------------------------------------------------------------------
@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_output_files_follow_the_umask(umask, mode, tmp_path):
    from secgen_bench.runner.store import atomic_write_bytes, write_json

    old = os.umask(umask)
    try:
        atomic_write_bytes(tmp_path / "a.md", b"x")
        write_json(tmp_path / "b.json", {"a": 1})
    finally:
        os.umask(old)
    assert (tmp_path / "a.md").stat().st_mode & 0o777 == mode
    assert (tmp_path / "b.json").stat().st_mode & 0o777 == mode
    assert (tmp_path / "a.md").read_bytes() == b"x"

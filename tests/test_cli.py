"""The command line: one-line errors with exit code 2, and the real main path on the built-in dataset."""
import json
import subprocess
import sys

import pytest

from secgen_bench.cli import main


def run_cli(args, capsys):
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("args, message", [
    (["run", "-g", "nope"], "unknown generator 'nope'"),
    (["run", "--all", "-d", "nope"], "unknown dataset 'nope'"),
    (["run", "--all", "--data", "/no/such/file.csv"], "no such file or directory"),
    (["run", "-g", "marginals", "--resume"], "--resume needs the --out DIR"),
    (["run", "-g", "marginals", "--seeds", "a,b"], "--seeds must be comma-separated integers"),
    (["run", "-g", "marginals", "--quick", "--profile", "paper"], "--quick contradicts --profile paper"),
    (["run", "-g", "marginals", "--set", "epochs=3"], "use GENERATOR.OPTION=VALUE"),
    (["run", "-g", "marginals", "--repeats", "0"], "repeats must be >= 1"),
    (["run"], "choose the generators"),
    (["leaderboard", "/no/such/run"], "no such run directory"),
    (["evaluate", "--real", "/no/real.csv", "--synthetic", "/no/s.csv"], "/no/real.csv: no such file"),
])
def test_bad_input_is_one_line_exit_2(args, message, capsys):
    code, out, err = run_cli(args, capsys)
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_evaluate_names_the_bad_column(tmp_path, capsys):
    real = tmp_path / "real.csv"
    real.write_text("a,b\n1,2\n")
    code, _, err = run_cli(["evaluate", "--real", str(real), "--synthetic", str(real)], capsys)
    assert code == 2 and "cannot detect the schema" in err and "real.csv" in err


def test_evaluate_rejects_a_synthetic_file_missing_a_column(tmp_path, capsys, shared_specs):
    fx = shared_specs / "metric-fixtures"
    bad = tmp_path / "synth.csv"
    text = (fx / "synth_indep_500.csv").read_text().splitlines()
    header = text[0].split(",")
    drop = header.index("Flags")
    bad.write_text("\n".join(",".join(c for i, c in enumerate(line.split(",")) if i != drop) for line in text) + "\n")
    code, _, err = run_cli(["evaluate", "--real", str(fx / "real_500.csv"), "--synthetic", str(bad)], capsys)
    assert code == 2 and "synth.csv: missing column 'Flags'" in err


def test_debug_shows_the_traceback():
    with pytest.raises(Exception, match="unknown generator"):
        main(["--debug", "run", "-g", "nope"])


def test_list_shows_unavailable_plugins_with_reason(capsys):
    code, out, _ = run_cli(["list", "generators", "--json"], capsys)
    rows = {r["name"]: r for r in json.loads(out)}
    assert code == 0 and rows["marginals"]["available"]
    for row in rows.values():
        assert row["available"] or row["reason"], row


def test_run_quick_writes_a_run_directory_and_leaderboard(tmp_path):
    out = tmp_path / "run"
    proc = subprocess.run([sys.executable, "-m", "secgen_bench.cli", "run", "-g", "marginals", "--quick",
                           "--out", str(out), "--metrics", "jsd,cmd"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "secgen-bench leaderboard: simnet" in proc.stdout
    assert (out / "run.json").exists() and (out / "leaderboard.md").exists()
    board = json.loads((out / "leaderboard.json").read_text())[0]
    assert board["order"] == ["reference", "bootstrap", "marginals"]
    assert board["rows"]["marginals"]["jsd"]["mean"] is not None
    again = subprocess.run([sys.executable, "-m", "secgen_bench.cli", "run", "-g", "marginals", "--quick",
                            "--out", str(out), "--metrics", "jsd,cmd", "--resume", "--no-progress"],
                           capture_output=True, text=True, timeout=600)
    assert again.returncode == 0 and again.stdout.count("skip ") == 3


def test_evaluate_json_gives_the_artefact_values_on_full_tables(shared_specs, capsys):
    fx = shared_specs / "metric-fixtures"
    expected = json.loads((fx / "expected_artefact_values.json").read_text())["synth_noisy"]
    code, out, _ = run_cli(["evaluate", "--real", str(fx / "real_2000.csv"), "--synthetic",
                            str(fx / "synth_noisy_2000.csv"), "--metrics", "jsd,emd,pcd,cmd,density,coverage,dkc",
                            "--repeats", "1", "--sample-size", "all", "--json"], capsys)
    got = json.loads(out)
    assert code == 0
    for name, value in got.items():
        assert value == pytest.approx(expected[name], rel=1e-6), name


def test_evaluate_exits_0_when_one_metric_is_not_applicable(shared_specs, tmp_path, capsys):
    import pandas as pd

    fx = shared_specs / "metric-fixtures"
    synth = pd.read_csv(fx / "real_500.csv")
    synth["Date first seen"] = synth["Date first seen"].iloc[0]  # every flow in one second: no series to correlate
    path = tmp_path / "one_second.csv"
    synth.to_csv(path, index=False)
    code, out, err = run_cli(["evaluate", "--real", str(fx / "real_500.csv"), "--synthetic", str(path),
                              "--metrics", "jsd,acf", "--repeats", "1", "--json"], capsys)
    got = json.loads(out)
    assert code == 0
    assert got["acf"] is None and got["jsd"] is not None
    assert "acf n/a" in err and "at least 3 seconds" in err

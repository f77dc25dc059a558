"""No file a user can name is unpickled: a crafted pickle given to inspect, run --resume, report or
Generator.load never runs (its marker file never appears) and ends with one line and exit 2."""
from __future__ import annotations

import pickle
import shutil

import pytest

from secgen_bench.cli import main
from secgen_bench.generators.base import Generator
from secgen_bench.runner.store import read_json

RUN_ARGS = ["run", "-g", "marginals", "--quick", "--seeds", "0", "--metrics", "jsd", "--no-cache", "--no-progress"]


class Crafted:
    """Unpickling it creates ``marker``: the proof that a pickle ran code."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def crafted_pickle(path, marker):
    path.write_bytes(pickle.dumps(Crafted(marker)))
    return path


def run_cli(args, capsys):
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def assert_one_line_exit_2(code, err, message):
    assert code == 2, err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("untrusted") / "run"
    assert main(RUN_ARGS + ["--out", str(out)]) == 0
    return out


@pytest.fixture
def run_copy(finished_run, tmp_path):
    copy = tmp_path / "run"
    shutil.copytree(finished_run, copy)
    return copy


def test_inspect_refuses_a_pickle_and_other_files(tmp_path, capsys):
    marker = tmp_path / "ran"
    code, _, err = run_cli(["inspect", "marginals", crafted_pickle(tmp_path / "model.pkl", marker)], capsys)
    assert_one_line_exit_2(code, err, "pickle files are no longer loaded")
    assert "generate --save-model" in err and not marker.exists()
    flows = tmp_path / "flows.csv"
    flows.write_text("a,b\n1,2\n")
    code, _, err = run_cli(["inspect", "marginals", flows], capsys)
    assert_one_line_exit_2(code, err, "not a secgen-bench model file")


def test_inspect_reads_a_saved_model(tmp_path, capsys):
    from secgen_bench.generators.marginals import IndependentMarginals
    from tests.tiny_tables import TINY_SCHEMA, tiny_flows

    table, schema = tiny_flows(48), TINY_SCHEMA
    IndependentMarginals().fit(table, schema, seed=0).save(tmp_path / "m.sgb")
    code, out, err = run_cli(["inspect", "marginals", tmp_path / "m.sgb"], capsys)
    assert code == 0 and "IndependentMarginals" in out, err
    code, _, err = run_cli(["inspect", "tvae", tmp_path / "m.sgb"], capsys)
    assert_one_line_exit_2(code, err, "holds a IndependentMarginals, not a TVAE")


def test_generator_load_never_unpickles(tmp_path):
    marker = tmp_path / "ran"
    with pytest.raises(ValueError, match="pickle files are no longer loaded"):
        Generator.load(crafted_pickle(tmp_path / "model.pkl", marker))
    assert not marker.exists()


def test_resume_refuses_an_old_run_with_pickled_tables(run_copy, tmp_path, capsys):
    marker = tmp_path / "ran"
    (data_dir,) = (run_copy / "data").iterdir()
    (data_dir / "train.parquet").unlink()
    crafted_pickle(data_dir / "train.pkl", marker)
    for job in (run_copy / "jobs").glob("*/job.json"):
        job.unlink()   # so resuming would have to run the jobs again
    code, _, err = run_cli(RUN_ARGS + ["--out", run_copy, "--resume"], capsys)
    assert_one_line_exit_2(code, err, "rerun without --resume")
    assert "train.pkl" in err and not marker.exists()


def test_resume_deletes_old_job_files_unread(run_copy, tmp_path, capsys):
    marker = tmp_path / "ran"
    (job_dir,) = [p.parent for p in (run_copy / "jobs").glob("*/job.json") if "marginals" in p.parent.name]
    (job_dir / "job.json").unlink()
    for name in (".call.pkl", ".outcome.pkl"):
        crafted_pickle(job_dir / name, marker)
    code, _, err = run_cli(RUN_ARGS + ["--out", run_copy, "--resume"], capsys)
    assert code == 0, err
    assert read_json(job_dir / "job.json")["status"] == "ok"
    assert not marker.exists() and not list(job_dir.glob(".*.pkl"))


def test_report_refuses_an_old_run_with_pickled_tables(run_copy, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    marker = tmp_path / "ran"
    (data_dir,) = (run_copy / "data").iterdir()
    crafted_pickle(data_dir / "holdout.pkl", marker)
    code, _, err = run_cli(["report", run_copy, "-o", tmp_path / "r.html"], capsys)
    assert_one_line_exit_2(code, err, "no longer read")
    assert not marker.exists() and not (tmp_path / "r.html").exists()


def test_the_job_process_reads_its_call_as_json_only(tmp_path):
    from secgen_bench.runner.isolation import CALL_FILE, OUTCOME_FILE, child_main, run_isolated

    marker = tmp_path / "ran"
    crafted_pickle(tmp_path / ".call.pkl", marker)
    with pytest.raises(FileNotFoundError, match=CALL_FILE):
        child_main(str(tmp_path))
    assert not marker.exists()
    outcome = run_isolated("tests.test_untrusted_files:echo_json", (str(tmp_path / "plain.json"),), tmp_path / "job")
    assert outcome.status == "error" and "plain.json" in outcome.error   # the call went as JSON, the error came back
    (tmp_path / "plain.json").write_text('{"value": [1, 2.5, null]}')
    outcome = run_isolated("tests.test_untrusted_files:echo_json", (str(tmp_path / "plain.json"),), tmp_path / "job")
    assert outcome.status == "ok" and outcome.result == {"value": [1, 2.5, None]}, outcome.error
    assert not (tmp_path / "job" / OUTCOME_FILE).exists()
    with pytest.raises(TypeError, match="not plain data"):
        run_isolated("tests.test_untrusted_files:echo_json", (Crafted(marker),), tmp_path / "job")


def echo_json(path, reporter):
    """A job target for run_isolated: returns the JSON it reads."""
    return read_json(path)

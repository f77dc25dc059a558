"""The anomaly track through the runner: labelled split, detector jobs, records, leaderboard, resume, CLI."""
import importlib.util
import json

import numpy as np
import pandas as pd
import pytest

from secgen_bench import leaderboard, registry
from secgen_bench.anomaly.base import Detector
from secgen_bench.anomaly.protocol import anomaly_split
from secgen_bench.datasets.base import Dataset, LoadedData
from secgen_bench.datasets.schemas import HDFS
from secgen_bench.runner.executor import LocalExecutor
from secgen_bench.runner.plan import protocol_for
from secgen_bench.datasets.loading import DatasetSource
from secgen_bench.runner.request import RunRequest
from secgen_bench.runner.run import run_benchmark
from secgen_bench.runner.store import read_table

HAS_HMM = importlib.util.find_spec("hmmlearn") is not None


def toy_logs(n_normal: int = 700, n_anomalous: int = 40, seed: int = 0) -> pd.DataFrame:
    """Normal words 'open (read|write){1,4} close'; anomalies lose their close or contain 'crash'."""
    rng = np.random.default_rng(seed)
    rows = []
    for k in range(n_normal + n_anomalous):
        anomalous = k >= n_normal
        events = ["open", *rng.choice(["read", "write"], size=int(rng.integers(1, 5))), "close"]
        if anomalous:
            if k % 2:
                events = events[:-1]
            else:
                events.insert(int(rng.integers(1, len(events))), "crash")
        rows += [(f"s{k}", e, 0.0, "anomaly" if anomalous else "normal") for e in events]
    return pd.DataFrame(rows, columns=HDFS.names)


class ToyLogs(Dataset):
    name = "toy-logs"
    track = "anomaly"
    description = "a toy labelled log language for tests"

    def load(self, path=None, *, seed=0, profile="default"):
        return LoadedData(toy_logs(), HDFS, {"source": "tests"})


class BrokenDetector(Detector):
    name = "broken"

    def _fit(self, sequences, *, seed):
        raise RuntimeError("boom in fit")


class NaNDetector(Detector):
    name = "nan-scorer"

    def _fit(self, sequences, *, seed):
        pass

    def _score(self, sequences):
        return np.full(len(sequences), np.nan)


@pytest.fixture
def toy_plugins():
    registry.datasets.register("toy-logs", "tests.test_anomaly_track:ToyLogs", source="test")
    registry.detectors.register("broken", "tests.test_anomaly_track:BrokenDetector", source="test")
    registry.detectors.register("nan-scorer", "tests.test_anomaly_track:NaNDetector", source="test")
    yield
    registry.datasets.unregister("toy-logs")
    registry.detectors.unregister("broken")
    registry.detectors.unregister("nan-scorer")


def request(out, detectors, dataset="toy-logs", **kw):
    proto = protocol_for("quick", seeds=(0,), timeout_s=120)
    return RunRequest(generators=detectors, datasets=[DatasetSource(dataset)], protocol=proto, out=out,
                      profile="quick", **kw)


def jobs(store):
    return {r["generator"]["name"]: r for r in store.job_records()}


def test_split_trains_on_normal_only_and_tests_at_the_natural_ratio():
    table = toy_logs()
    a = anomaly_split(table, HDFS, profile="quick", seed=3)
    b = anomaly_split(table, HDFS, profile="quick", seed=3)
    pd.testing.assert_frame_equal(a.train, b.train)
    assert set(a.train["label"]) == {"normal"}
    per_seq = a.test.groupby("block_id", sort=False)["label"].first()
    n_norm, n_anom = int((per_seq == "normal").sum()), int((per_seq == "anomaly").sum())
    assert a.train["block_id"].nunique() == 490 and n_norm == 210 and n_anom == round(0.03 * 210)
    assert not set(a.train["block_id"]) & set(a.test["block_id"])
    assert "490 of the 700 normal sequences train" in a.note
    # sequences keep their events in order
    first = a.train[a.train["block_id"] == a.train["block_id"].iloc[0]]["event"].tolist()
    assert first[0] == "open" and first[-1] == "close"
    other = anomaly_split(table, HDFS, profile="quick", seed=4)
    assert set(other.train["block_id"]) != set(a.train["block_id"])
    with pytest.raises(ValueError, match="both classes"):
        anomaly_split(table[table["label"] == "normal"], HDFS, source="x")


@pytest.mark.skipif(not HAS_HMM, reason="hmmlearn absent")
def test_detectors_run_as_jobs_and_rank_on_a_leaderboard(toy_plugins, tmp_path):
    out = tmp_path / "run"
    store = run_benchmark(request(out, ["tadam", "hmm", "broken", "nan-scorer"]), LocalExecutor(2))
    js = jobs(store)
    assert set(js) == {"tadam", "hmm", "broken", "nan-scorer"}          # no Reference row on this track
    assert js["tadam"]["status"] == "ok" and js["hmm"]["status"] == "ok"
    assert js["tadam"]["generator"]["config"]["max_seconds"] == 30.0     # tadam's quick profile
    assert js["broken"]["status"] == "error" and js["broken"]["phase"] == "fit"
    assert "RuntimeError: boom in fit" in js["broken"]["error"]
    recs = {(r["generator"]["name"], r["metric"]): r for r in store.metric_records()}
    assert {m for _, m in recs} == {"auroc", "tpr", "fpr", "f1"}
    auroc = recs[("tadam", "auroc")]
    assert auroc["status"] == "ok" and auroc["value"] > 0.95 and auroc["direction"] == "higher"
    assert recs[("tadam", "fpr")]["direction"] == "lower"
    assert auroc["breakdown"]["n_anomalies"] == 6 and auroc["breakdown"]["n_normal"] == 210
    assert recs[("nan-scorer", "auroc")]["status"] == "error" and "NaN" in recs[("nan-scorer", "auroc")]["error"]
    assert recs[("broken", "f1")]["value"] is None
    # training data kept its labels and holds normal sequences only; the test set has both
    data_dir = next((out / "data").iterdir())
    assert set(read_table(data_dir / "train.parquet")["label"]) == {"normal"}
    assert set(read_table(data_dir / "holdout.parquet")["label"]) == {"normal", "anomaly"}
    scores = pd.read_csv(store.job_dir(js["tadam"]["job_key"]) / "scores.csv")
    assert len(scores) == 216 and list(scores.columns) == ["block_id", "score", "label"]
    assert scores.loc[scores["label"] == "anomaly", "score"].min() > scores.loc[scores["label"] == "normal", "score"].median()
    assert "anomaly protocol: 490 of the 700" in json.loads((out / "run.json").read_text())["notes"]["toy-logs"]
    (board,) = leaderboard.build(out)
    assert board.directions == {"auroc": "higher", "f1": "higher", "fpr": "lower", "tpr": "higher"}
    assert "reference" not in board.rows
    assert board.order[-2:] == ["broken", "nan-scorer"] or board.order[-2:] == ["nan-scorer", "broken"]
    assert board.rows["tadam"]["auroc"].rank == 1 and board.rows["broken"]["auroc"].rank == 3
    assert "ERROR" in leaderboard.to_markdown([board])

    # resume: finished jobs are skipped, failed ones rerun; a missing metric is recomputed from scores.csv
    first = {n: r["finished_at"] for n, r in js.items()}
    events = []
    run_benchmark(request(out, ["tadam", "hmm", "broken", "nan-scorer"], resume=True), on_event=events.append)
    skipped = {e.job.generator.name for e in events if e.kind == "skipped"}
    assert skipped == {"tadam", "hmm"}
    assert {n: r["finished_at"] for n, r in jobs(store).items() if n in skipped} == {n: first[n] for n in skipped}
    store.metric_record_path(js["tadam"]["job_key"], "f1").unlink()
    run_benchmark(request(out, ["tadam"], resume=True))
    again = jobs(store)["tadam"]
    assert again["reused_synthetic"] is True and again["timings"]["fit_s"] == js["tadam"]["timings"]["fit_s"]
    assert store.metric_record(js["tadam"]["job_key"], "f1")["value"] == recs[("tadam", "f1")]["value"]


def test_cli_runs_the_anomaly_track_and_lists_detectors(toy_plugins, tmp_path, capsys):
    from secgen_bench.cli import main

    assert main(["list", "detectors", "--json"]) == 0
    listed = {r["name"] for r in json.loads(capsys.readouterr().out)}
    assert {"tadam", "hmm", "tag", "rti+"} <= listed
    out = tmp_path / "cli"
    assert main(["run", "--track", "anomaly", "-d", "toy-logs", "-g", "tag,rti+", "--quick", "--out", str(out),
                 "--metrics", "auroc,fpr", "--seeds", "0,1", "--no-progress"]) == 0
    board = json.loads((out / "leaderboard.json").read_text())[0]
    assert set(board["rows"]) == {"tag", "rti+"} and board["metrics"] == ["auroc", "fpr"]
    assert board["rows"]["tag"]["auroc"]["n_ok"] == 2
    assert "anomaly protocol:" in (out / "leaderboard.md").read_text()     # the protocol is stated beside the table
    # each seed draws its own split: same sizes, other sequences
    tested = [set(pd.read_csv(f)["block_id"]) for f in sorted(out.glob("jobs/tag--*/scores.csv"))]
    assert len(tested) == 2 and len(tested[0]) == len(tested[1]) == 216 and tested[0] != tested[1]
    assert main(["run", "-d", "toy-logs", "-g", "nope", "--quick", "--out", str(tmp_path / "x")]) == 2
    assert "unknown detector 'nope'" in capsys.readouterr().err
    assert main(["run", "-d", "toy-logs", "--all", "--metrics", "jsd", "--quick", "--out", str(tmp_path / "y")]) == 2
    assert "unknown anomaly-track metric 'jsd'" in capsys.readouterr().err
    assert main(["run", "-d", "toy-logs", "-g", "tag", "--set", "tag.k=0", "--quick", "--out", str(tmp_path / "z")]) == 2
    assert "k must be >= 1" in capsys.readouterr().err


def test_real_hdfs_quick(shared_data, tmp_path):
    if not (shared_data / "hdfs" / "deeplog_sequences" / "hdfs_train").exists():
        pytest.skip("DeepLog HDFS sessions absent")
    store = run_benchmark(request(tmp_path / "hdfs", ["tag"], dataset="hdfs"))
    rec = store.metric_record(jobs(store)["tag"]["job_key"], "auroc")
    assert rec["status"] == "ok" and rec["value"] > 0.9
    assert rec["breakdown"] == {"n_anomalies": 30, "n_normal": 1000, "threshold": pytest.approx(rec["breakdown"]["threshold"])}
    note = json.loads((tmp_path / "hdfs" / "run.json").read_text())["notes"]["hdfs"]
    assert "500 of the 4855 normal sequences train" in note

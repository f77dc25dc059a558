"""Labels in, never generated: attack rows stay out of a generator's fit, the ids-* metrics get labels and attacks.

Constructed flows (tests/ids_tables.py) check the split, the label inputs and
the n/a status; the CIC-IDS2017 cleaned sample, read with a schema file,
checks a whole quick run of two generators.
"""
import json

import numpy as np
import pandas as pd
import pytest

from secgen_bench.datasets.base import LoadedData
from secgen_bench.evaluation import NO_LABELS, LabelInputs, evaluate
from secgen_bench.metrics.c2st import C2ST
from secgen_bench.metrics.ids_tstr import IDSTSTR
from secgen_bench.metrics.ids_utility import IDSUtility
from secgen_bench.metrics.jsd import JSD
from secgen_bench.runner.labelled import benign_mask, declared_benign, load_labelled, split_by_label
from secgen_bench.runner.real_baselines import real_trained_lines
from secgen_bench.schema import SchemaError
from secgen_bench.tracks.conditional import class_counts
from tests.ids_tables import NO_LABEL, SCHEMA, attacks, benign


def labelled_table(n_benign=300, n_attacks=120, seed=0) -> pd.DataFrame:
    return pd.concat([benign(n_benign, seed), attacks(n_attacks, seed + 1)], ignore_index=True).sample(
        frac=1.0, random_state=seed).reset_index(drop=True)


def test_declared_benign_reads_both_meta_forms():
    assert declared_benign({"benign": {"label": ["benign"]}}, ["label"]) == {"label": ["benign"]}
    assert declared_benign({"benign:label": ["0"]}, ["label"]) == {"label": ["0"]}
    assert declared_benign({"benign": {}}, ["label"]) == {}


def test_attack_rows_and_labels_leave_the_generators_tables():
    table = labelled_table()
    train, holdout = table.iloc[:280].reset_index(drop=True), table.iloc[280:].reset_index(drop=True)
    split = split_by_label(train, holdout, SCHEMA, {"label": ["benign"]}, "toy.csv")
    assert "label" not in split.train.columns and "label" not in split.holdout.columns
    assert (split.train_labels["label"] == "benign").all() and len(split.train_labels) == len(split.train)
    assert set(split.attacks["label"]) == {"scan", "flood"}
    assert len(split.train) + len(split.holdout) + len(split.attacks) == len(table)
    assert split.attacks_from_train == int((train["label"] != "benign").sum())
    # the benign rows, in order, are exactly those of the labelled split
    pd.testing.assert_frame_equal(split.train, train[train["label"] == "benign"].drop(columns="label")
                                  .reset_index(drop=True))


def test_a_split_without_benign_rows_names_the_column():
    table = attacks(50, 0)
    with pytest.raises(SchemaError, match="column 'label': no training row is benign"):
        split_by_label(table, table, SCHEMA, {"label": ["benign"]}, "toy.csv")


def test_every_declared_label_column_must_be_benign():
    table = pd.DataFrame({"a": ["x", "x", "y"], "b": ["0", "1", "0"]})
    assert benign_mask(table, {"a": ["x"], "b": ["0"]}).tolist() == [True, False, False]


def test_prepared_labels_join_back_in_the_job(tmp_path):
    from secgen_bench.datasets.loading import DatasetSource
    from secgen_bench.runner.plan import PROTOCOLS
    from secgen_bench.runner.prepare import load_prepared, prepare_dataset
    from secgen_bench.runner.store import RunStore
    from secgen_bench.tracks.flows import FLOWS

    data = tmp_path / "toy.csv"
    labelled_table(200, 80).to_csv(data, index=False)
    store = RunStore(tmp_path / "run")
    source = DatasetSource(name=None, path=str(data), columns=(
        "src=ip,dst=ip,dport=port,proto=protocol,bytes=bytes,packets=packets,duration=duration:s,label=label:benign"))
    ref, loaded = prepare_dataset(store, source, PROTOCOLS["quick"], "quick", FLOWS)
    ddir = store.data_dir(ref.key)
    train, holdout, schema = load_prepared(ddir)
    assert "label" not in train.columns and "label" not in schema.names and len(train) == len(loaded.table)
    lab = load_labelled(ddir, train, holdout)
    assert len(lab.train) + len(lab.holdout) == 280 and set(lab.train["label"]) == {"benign", "scan", "flood"}
    assert (lab.attacks["label"] != "benign").all() and len(lab.attacks) == 80
    assert "Labels: column `label`, benign benign" in FLOWS.note(loaded)


def test_class_counts_follow_the_real_shares_and_keep_every_class():
    labels = pd.Series(["a"] * 90 + ["b"] * 9 + ["c"] * 1)
    assert class_counts(labels, 1000) == {"a": 900, "b": 90, "c": 10}
    assert class_counts(labels, 10) == {"a": 9, "b": 1, "c": 1}
    assert sum(class_counts(pd.Series(list("aabbbcc")), 20).values()) == 20
    assert class_counts(labels, 1000) == class_counts(labels.sample(frac=1.0, random_state=3), 1000)


def test_label_metrics_are_not_applicable_without_labels_and_others_do_not_move():
    real, hold = benign(300, 0).drop(columns="label"), benign(200, 1).drop(columns="label")
    syn = benign(300, 2).drop(columns="label")
    plain = evaluate(real, syn, NO_LABEL, [JSD(), C2ST()], holdout=hold, repeats=2, sample_size=150, seed=4)
    lab_real = pd.concat([benign(300, 0), attacks(100, 5)], ignore_index=True)
    labels = LabelInputs(SCHEMA, attacks=attacks(100, 3), real=lab_real, holdout=lab_real, synthetic=None,
                         synthetic_error="boom")
    out = evaluate(real, syn, NO_LABEL, [JSD(), C2ST(), IDSUtility(), IDSTSTR()], holdout=hold, repeats=2,
                   sample_size=150, seed=4, labels=labels)
    for name in ("jsd", "c2st"):   # label inputs draw from their own generator: the other numbers stay
        assert out[name].values == plain[name].values
    assert out["ids-utility"].error is None and 0 < out["ids-utility"].mean
    assert "boom" in out["ids-tstr"].error
    none = evaluate(real, syn, NO_LABEL, [IDSUtility(), IDSTSTR()], holdout=hold, repeats=1, seed=0)
    for o in none.values():
        assert o.error is None and o.mean is None and o.not_applicable == NO_LABELS
        assert o.to_dict()["status"] == "n/a"


def test_real_trained_lines_average_the_real_keys_only():
    recs = [{"status": "ok", "dataset": {"label": "d"}, "metric": "ids-utility",
             "breakdown": {"knn_auc_real": v, "knn_auc_synthetic": 0.1, "knn_tpr1_real": 0.3}} for v in (0.8, 0.9)]
    recs.append({"status": "error", "dataset": {"label": "d"}, "metric": "ids-tstr", "breakdown": {"f1_real": 0.1}})
    assert real_trained_lines(recs) == {"d": "Real-trained baselines (mean over jobs): ids-utility knn AU-ROC 0.850."}


CIC_SCHEMA = """name: cicids2017
other_columns: ignore
columns:
  "Destination Port": port
  "Flow Duration": duration
  "Total Fwd Packets": {role: packets, direction: out}
  "Total Length of Fwd Packets": continuous
  "Fwd Packet Length Max": continuous
  "Bwd Packet Length Max": continuous
  "Flow Bytes/s": continuous
  "Flow IAT Mean": continuous
  "Init_Win_bytes_forward": continuous
  "Attack Type": {role: label, benign: ["Normal Traffic"]}
"""


def test_cicids2017_quick_run_scores_every_generator_on_benign_training_flows(shared_data, tmp_path, capsys):
    from secgen_bench.cli import main

    sample = shared_data / "ids" / "cicids2017" / "cicids2017_cleaned_sample.csv"
    if not sample.exists():
        pytest.skip(f"{sample} absent")
    rows = pd.read_csv(sample).iloc[::3]   # a third of the rows, every class kept
    data = tmp_path / "cic.csv"
    rows.to_csv(data, index=False)
    schema = tmp_path / "cic.yaml"
    schema.write_text(CIC_SCHEMA)
    out = tmp_path / "run"
    code = main(["run", "-g", "marginals,independent-bn", "--data", str(data), "--schema", str(schema), "--quick",
                 "--metrics", "ids-utility,ids-tstr,c2st", "--out", str(out), "--no-progress"])
    assert code == 0, capsys.readouterr().err
    board = json.loads((out / "leaderboard.json").read_text())[0]
    for gen in ("reference", "marginals", "independent-bn"):
        for metric in ("ids-utility", "ids-tstr", "c2st"):
            assert board["rows"][gen][metric]["mean"] is not None, (gen, metric, board["rows"][gen][metric])
    (ddir,) = (out / "data").iterdir()
    assert "Attack Type" not in pd.read_parquet(ddir / "train.parquet").columns
    n_benign = int((rows["Attack Type"] == "Normal Traffic").sum())
    n_attacks = len(rows) - n_benign
    assert len(pd.read_parquet(ddir / "attacks.parquet")) == n_attacks
    assert len(pd.read_parquet(ddir / "train.parquet")) + len(pd.read_parquet(ddir / "holdout.parquet")) == n_benign
    note = json.loads((out / "run.json").read_text())["notes"][board["dataset"]]
    aucs = [float(x) for x in __import__("re").findall(r"AU-ROC (\d\.\d+)", note)]
    assert len(aucs) == 3 and min(aucs) > 0.5, note
    md = (out / "leaderboard.md").read_text()
    assert "Families:" in md and "utility: ids-tstr, ids-utility" in md and "Real-trained baselines" in md
    job = json.loads(next((out / "jobs").glob("marginals*/job.json")).read_text())
    assert job["status"] == "ok"
    assert job["timings"]["class_conditional_s"] > 0   # the per-class fits of ids-tstr are timed apart
    assert np.isfinite(board["rows"]["marginals"]["ids-tstr"]["mean"])
    from secgen_bench.report.html import write_report

    page = write_report(out).read_text()
    assert 'id="families"' in page and "Real-trained baselines" in page and "ids-tstr, ids-utility" in page


def test_label_metrics_are_n_a_in_a_run_on_an_unlabelled_table(tmp_path, capsys):
    from secgen_bench.cli import main

    data = tmp_path / "toy.csv"
    benign(300, 0).drop(columns="label").to_csv(data, index=False)
    out = tmp_path / "run"
    code = main(["run", "-g", "marginals", "--data", str(data), "--quick", "--no-progress", "--out", str(out),
                 "--columns", "src=ip,dst=ip,dport=port,proto=protocol,bytes=bytes,packets=packets,duration=duration:s",
                 "--metrics", "jsd,ids-tstr,ids-utility"])
    assert code == 0, capsys.readouterr().err
    rec = json.loads(next((out / "jobs").glob("marginals*/metrics/ids-tstr.json")).read_text())
    assert rec["status"] == "n/a" and rec["reason"] == NO_LABELS and rec["value"] is None
    board = json.loads((out / "leaderboard.json").read_text())[0]
    assert board["rows"]["marginals"]["ids-utility"]["status"] == "n/a"
    assert board["rows"]["marginals"]["jsd"]["mean"] is not None
    assert "| n/a | n/a |" in (out / "leaderboard.md").read_text()


def test_a_class_the_generator_cannot_fit_gets_no_rows_and_is_named(tmp_path):
    from secgen_bench.evaluation import MetricOutcome
    from secgen_bench.runner.labelled import LabelledData
    from secgen_bench.runner.spec import JobSpec
    from secgen_bench.tracks.conditional import conditional_sample, note_failed_classes

    train = pd.concat([benign(200, 0), attacks(60, 1)], ignore_index=True)
    train.loc[train["label"] == "flood", "bytes"] = -1   # breaks the schema's range for that class only
    lab = LabelledData(SCHEMA, "label", train, train, attacks(10, 2))
    spec = JobSpec("k", "flows", "marginals", "secgen_bench.generators.marginals:IndependentMarginals", "quick", 0,
                   "cpu", str(tmp_path), str(tmp_path), 100, "rows", False, False, 1, None, 0.3)
    sample, info = conditional_sample(spec, lab, lambda phase: None)
    assert set(sample["label"]) == {"benign", "scan"} and list(info["failed_classes"]) == ["flood"]
    assert "bytes" in info["failed_classes"]["flood"]
    out = {"metrics": None, "class_conditional": info}
    outcomes = {"ids-tstr": MetricOutcome("ids-tstr", "higher", "1.0", mean=0.5)}
    note_failed_classes(outcomes, [IDSTSTR()], out)
    assert outcomes["ids-tstr"].breakdown["classes_not_generated"].startswith("flood (")

"""``--data FOLDER`` reads a folder's data files as one dataset; CESNET-MINER22 has a labelled flows view."""
from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from secgen_bench.cli import main
from secgen_bench.datasets.common import DataFormatError
from secgen_bench.datasets.loading import DatasetSource, load_dataset
from secgen_bench.runner.labelled import benign_mask, declared_benign


@pytest.fixture
def unsw_sets(shared_data, tmp_path):
    """The UNSW-NB15 subset cut in two files of the training/testing-set layout (BOM and CRLF kept)."""
    sample = shared_data / "ids" / "unsw-nb15" / "UNSW_NB15_testing-set.subset.csv"
    lines = sample.read_bytes().split(b"\r\n")
    header, rows = lines[0], [r for r in lines[1:] if r]
    folder = tmp_path / "unsw"
    folder.mkdir()
    half = len(rows) // 2
    (folder / "UNSW_NB15_testing-set.csv").write_bytes(b"\r\n".join([header, *rows[:half]]) + b"\r\n")
    (folder / "UNSW_NB15_training-set.csv").write_bytes(b"\r\n".join([header.lstrip(b"\xef\xbb\xbf"), *rows[half:]]) + b"\r\n")
    return folder, sample, len(rows), half


def test_a_folder_of_unsw_files_loads_as_one_dataset(unsw_sets):
    folder, sample, n, half = unsw_sets
    (folder / "NUSW-NB15_features.txt").write_text("No.,Name,Type,Description\n1,srcip,nominal,Source IP address\n")
    whole = load_dataset(DatasetSource(path=str(folder)), "quick")
    single = load_dataset(DatasetSource(path=str(sample)), "quick")
    assert len(whole.table) == n == len(single.table)
    assert whole.schema.to_dict() == single.schema.to_dict()
    assert whole.meta["files"] == ["UNSW_NB15_testing-set.csv", "UNSW_NB15_training-set.csv"]
    assert whole.meta["rows_per_file"] == {"UNSW_NB15_testing-set.csv": half, "UNSW_NB15_training-set.csv": n - half}
    assert whole.meta["skipped_files"] == ["NUSW-NB15_features.txt"]
    benign = declared_benign(whole.meta, whole.schema.by_role("label"))
    assert benign_mask(whole.table, benign).sum() == benign_mask(single.table, benign).sum() > 0
    assert sorted(map(tuple, whole.table.astype(str).to_numpy())) == sorted(map(tuple, single.table.astype(str).to_numpy()))


def test_a_folder_mixing_two_layouts_is_refused_in_one_line(unsw_sets, shared_data):
    folder, *_ = unsw_sets
    shutil.copy(shared_data / "ugr16" / "ugr16_1k.csv", folder / "ugr16_1k.csv")
    with pytest.raises(DataFormatError) as exc:
        load_dataset(DatasetSource(path=str(folder)), "quick")
    assert len(str(exc.value).splitlines()) == 1 and "ugr16_1k.csv" in str(exc.value) and "layout" in str(exc.value)


def test_a_folder_with_no_data_file_says_so(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("nothing here\n")
    code = main(["run", "-g", "marginals", "--quick", "--data", str(tmp_path), "--out", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert code == 2 and "no data file" in err and "notes.txt" in err and len(err.strip().splitlines()) == 1


def test_folder_with_max_rows_samples_the_joined_table(unsw_sets):
    folder, _, n, _ = unsw_sets
    a = load_dataset(DatasetSource(path=str(folder), max_rows=500), "quick", seed=0)
    b = load_dataset(DatasetSource(path=str(folder), max_rows=500), "quick", seed=0)
    assert len(a.table) == 500 and a.meta["max_rows"] == 500 and a.table.equals(b.table)


def test_cesnet_flows_view_is_labelled_miner_vs_other(shared_data):
    sample = shared_data / "cesnet-miner22" / "miner22-sampled.csv"
    raw = pd.read_csv(sample, usecols=["string LABEL"])["string LABEL"]
    for source, track in ((DatasetSource(path=str(sample)), "flows"), (DatasetSource(name="cesnet-miner22"), "flows")):
        data = load_dataset(source, "quick", 0, track)
        assert data.schema.name == "cesnet-miner22" and len(data.table) == len(raw)
        benign = declared_benign(data.meta, data.schema.by_role("label"))
        assert benign == {"LABEL": ["Other"]}
        assert int((~benign_mask(data.table, benign)).sum()) == int((raw == "Miner").sum()) > 0
    limited = load_dataset(DatasetSource(name="cesnet-miner22", max_rows=1000), "quick", 0, "flows")
    assert len(limited.table) == 1000 and set(limited.table["LABEL"]) == {"Miner", "Other"}


def test_cesnet_flows_run_keeps_miner_flows_out_of_training(shared_data, tmp_path, capsys):
    sample = shared_data / "cesnet-miner22" / "miner22-sampled.csv"
    out = tmp_path / "run"
    code = main(["run", "-g", "marginals", "--quick", "--data", str(sample), "--max-rows", "800", "--seeds", "0",
                 "--metrics", "ids-utility", "--executor", "inline", "--no-progress", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    (ddir,) = (out / "data").iterdir()
    train = pd.read_parquet(ddir / "train.parquet")
    attacks = pd.read_parquet(ddir / "attacks.parquet")
    assert "LABEL" not in train.columns and set(attacks["LABEL"]) == {"Miner"}
    board = json.loads((out / "leaderboard.json").read_text())[0]
    assert board["rows"]["marginals"]["ids-utility"]["mean"] is not None
    assert board["rows"]["reference"]["ids-utility"]["mean"] is not None

"""``secgen-bench datasets convert|split|list``, bad input, and ``run --data`` on real files of each format."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from secgen_bench.cli import main
from secgen_bench.datasets.cidds import read_raw
from secgen_bench.datasets.detect import load_path

HEADER = "Date first seen,Duration,Proto,Src IP Addr,Src Pt,Dst IP Addr,Dst Pt,Packets,Bytes,Flows,Flags"
RAW_ROWS = [
    # a web request and its answer (one session), a DNS pair, an ICMP record and a record > 1 M bytes
    "2017-04-05 10:00:00.100,1.500,TCP  ,192.168.100.5,50000,10.0.0.80,443,5,   420,1,.AP.SF",
    "2017-04-05 10:00:00.150,1.400,TCP  ,10.0.0.80,443,192.168.100.5,50000,7,   1.2 M,1,.AP.SF",
    "2017-04-05 10:00:01.000,0.000,UDP  ,192.168.100.6,53001,DNS,53,1,    70,1,......",
    "2017-04-05 10:00:01.010,0.000,UDP  ,DNS,53,192.168.100.6,53001,1,   130,1,......",
    "2017-04-05 09:59:59.000,0.000,ICMP ,192.168.100.7,0,192.168.100.1,8.0,1,    84,1,......",
    "2017-04-05 10:05:00.000,3.250,TCP  ,192.168.100.8,50123,192.168.100.9,22,40,  5400,1,.AP.S.",
]


def run_cli(args, capsys):
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def raw_cidds(tmp_path, rows=RAW_ROWS, name="raw.csv"):
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    return path


def assert_same_table(again, loaded):
    assert list(again.columns) == list(loaded.columns)
    pd.testing.assert_frame_equal(again, loaded)      # values and dtypes


# ---- convert ---------------------------------------------------------------------------------
def test_convert_raw_cidds_writes_the_bidirectional_view_and_reads_back(tmp_path, capsys):
    raw = raw_cidds(tmp_path)
    out = tmp_path / "out" / "bi.csv"
    code, stdout, err = run_cli(["datasets", "convert", str(raw), "-o", str(out)], capsys)
    assert code == 0, err
    assert "schema cidds001-bi" in stdout and out.exists()
    expected = load_path(raw, "auto")
    again = load_path(out, "auto")
    assert again.schema.name == "cidds001-bi" and again.meta["loader"] == "csv"
    assert_same_table(again.table, expected.table)
    t = again.table
    assert len(t) == 4                                 # request+answer and the DNS pair became one session each
    web = t[t["Dst Pt"] == 443].iloc[0]
    assert (web["Out Byte"], web["In Byte"], web["Flags"]) == (420, 1_200_000, ".AP.SF")
    # converting the converted file changes nothing (byte for byte)
    out2 = tmp_path / "bi2.csv"
    assert run_cli(["datasets", "convert", str(out), "-o", str(out2)], capsys)[0] == 0
    assert out2.read_bytes() == out.read_bytes()


def test_convert_raw_format_keeps_the_unidirectional_records(tmp_path, capsys):
    raw = raw_cidds(tmp_path)
    out = tmp_path / "raw_out.csv"
    code, _, err = run_cli(["datasets", "convert", str(raw), "--format", "cidds001", "-o", str(out)], capsys)
    assert code == 0, err
    # a raw-schema table is itself a raw CIDDS file, which auto detection turns into the bidirectional
    # view by design; the command says how to read it back unchanged
    assert "--format csv" in err
    for fmt in ("csv", "cidds001"):
        again = load_path(out, fmt)
        assert again.schema.name == "cidds001"
        assert_same_table(again.table, read_raw(raw)[0])


def test_convert_shared_cidds_sample_round_trips(shared_data, tmp_path, capsys):
    src = shared_data / "cidds001" / "cidds_wk3_8k.csv"
    if not src.exists():
        pytest.skip("CIDDS sample absent")
    out = tmp_path / "wk3_bi.csv"
    code, _, err = run_cli(["datasets", "convert", str(src), "-o", str(out)], capsys)
    assert code == 0, err
    expected = load_path(src, "auto")
    assert_same_table(load_path(out, "auto").table, expected.table)
    assert len(expected.table) > 8000


def test_convert_packet_view_of_a_capture(shared_data, tmp_path, capsys):
    pcap = shared_data / "pcaps" / "test-cc-capture-1.pcap"
    if not pcap.exists():
        pytest.skip("capture absent")
    pytest.importorskip("dpkt")
    out = tmp_path / "packets.csv"
    code, _, err = run_cli(["datasets", "convert", str(pcap), "--track", "packets", "-o", str(out)], capsys)
    assert code == 0, err
    again = load_path(out, "auto")
    assert again.schema.name == "packets"
    from secgen_bench.datasets.pcap import packet_sequences

    assert_same_table(again.table, packet_sequences(pcap).table)


def test_convert_registered_dataset(tmp_path, capsys):
    out = tmp_path / "simnet.csv"
    code, stdout, err = run_cli(["datasets", "convert", "-d", "simnet", "--profile", "quick", "--seed", "4",
                                 "-o", str(out)], capsys)
    assert code == 0, err
    from secgen_bench.datasets.simnet import SimNet

    expected = SimNet().load(seed=4, profile="quick").table
    assert_same_table(load_path(out, "auto").table, expected)


# ---- split -----------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["time", "random"])
def test_split_writes_train_and_holdout_whose_union_is_the_table(tmp_path, capsys, method):
    raw = raw_cidds(tmp_path)
    folder = tmp_path / "split"
    code, stdout, err = run_cli(["datasets", "split", str(raw), "--holdout-fraction", "0.5", "--method", method,
                                 "--seed", "7", "-o", str(folder)], capsys)
    assert code == 0, err
    table = load_path(raw, "auto").table
    train = load_path(folder / "train.csv", "auto").table
    holdout = load_path(folder / "holdout.csv", "auto").table
    assert len(train) == 2 and len(holdout) == 2
    union = pd.concat([train, holdout]).sort_values(list(table.columns)).reset_index(drop=True)
    assert_same_table(union, table.sort_values(list(table.columns)).reset_index(drop=True))
    if method == "time":
        assert holdout["Date first seen"].min() >= train["Date first seen"].max()
    info = json.loads((folder / "split.json").read_text())
    assert (info["method"], info["seed"], info["rows"]) == (method, 7, 4)


def test_split_random_is_seeded_and_default_is_chronological(tmp_path, capsys):
    def split(name, *extra):
        folder = tmp_path / name
        args = ["datasets", "split", "-d", "simnet", "--profile", "quick", "--holdout-fraction", "0.3",
                "-o", str(folder), *extra]
        assert run_cli(args, capsys)[0] == 0
        return folder

    a, b, c = (split(n, "--method", "random", "--seed", s) for n, s in (("a", "1"), ("b", "1"), ("c", "2")))
    assert (a / "holdout.csv").read_bytes() == (b / "holdout.csv").read_bytes()
    assert (a / "holdout.csv").read_bytes() != (c / "holdout.csv").read_bytes()
    default = split("default")
    assert json.loads((default / "split.json").read_text())["method"] == "time"
    train = load_path(default / "train.csv").table
    holdout = load_path(default / "holdout.csv").table
    assert holdout["Date first seen"].min() >= train["Date first seen"].max()


# ---- list ------------------------------------------------------------------------------------
def test_datasets_list_shows_size_source_and_cache_state(capsys, monkeypatch, tmp_path):
    code, out, _ = run_cli(["datasets", "list", "--json"], capsys)
    assert code == 0
    rows = {r["name"]: r for r in json.loads(out)}
    assert {"simnet", "cidds001-bi", "pcap", "zeek", "ctu"} <= set(rows)
    assert rows["simnet"]["size"] == "quick 1,500, default 4,000, paper 20,000 flows"
    assert rows["simnet"]["cached"] is None and rows["cidds001-bi"]["cached"] == "no"
    # a cached download is reported as such
    from secgen_bench.datasets import download

    target = download.cached_path("cidds001-week3")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("x")
    rows = {r["name"]: r for r in json.loads(run_cli(["datasets", "list", "--json"], capsys)[1])}
    assert rows["cidds001-bi"]["cached"] == "yes"
    # without the shared data folder, sizes come from the download sources or the user's file
    monkeypatch.setenv("SECGEN_BENCH_DATA", str(tmp_path / "absent"))
    rows = {r["name"]: r for r in json.loads(run_cli(["datasets", "list", "--json"], capsys)[1])}
    assert rows["cidds001-bi"]["size"] == "download about 380 MB"
    assert rows["zeek"]["source"] == "--data PATH"
    code, out, _ = run_cli(["datasets", "list"], capsys)
    assert code == 0 and "simnet" in out and "cached" in out


def test_shared_sample_sizes_are_counted(shared_data, capsys):
    rows = {r["name"]: r for r in json.loads(run_cli(["datasets", "list", "--json"], capsys)[1])}
    if (shared_data / "cidds001" / "cidds_wk3_8k.csv").exists():
        assert rows["cidds001-bi"]["size"] == "8,192 rows"
    if (shared_data / "zeek" / "test9-mixed_conn.log").exists():
        assert rows["zeek"]["size"] == "576 rows"


def test_list_datasets_is_unchanged(capsys):
    code, out, _ = run_cli(["list", "datasets", "--json"], capsys)
    assert code == 0 and {"name", "available", "source", "description"} <= set(json.loads(out)[0])


# ---- bad input -------------------------------------------------------------------------------
def _bad_files(tmp_path):
    non_utf8 = tmp_path / "latin1.csv"
    non_utf8.write_bytes((HEADER + "\n").encode() + RAW_ROWS[0].replace("TCP", "T\xe9P").encode("latin-1") + b"\n")
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    good = raw_cidds(tmp_path)
    return {"non_utf8": non_utf8, "empty": empty, "good": good}


@pytest.mark.parametrize("case, extra, message", [
    ("good", ["--format", "nope"], "unknown format 'nope'"),
    ("missing", [], "no such file"),
    ("non_utf8", [], "line 2: not UTF-8 text"),
    ("empty", [], "empty file"),
    ("good", ["--format", "ctu"], "missing column 'StartTime'"),
])
@pytest.mark.parametrize("verb", ["convert", "split"])
def test_bad_input_is_one_line_exit_2(tmp_path, capsys, case, extra, message, verb):
    files = _bad_files(tmp_path)
    path = files.get(case, tmp_path / "missing.csv")
    out = tmp_path / ("o.csv" if verb == "convert" else "odir")
    code, _, err = run_cli(["datasets", verb, str(path), *extra, "-o", str(out)], capsys)
    assert code == 2
    assert message in err and path.name in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not out.exists()


@pytest.mark.parametrize("args, message", [
    (["datasets", "convert", "-o", "x.csv"], "give a data file PATH or -d NAME"),
    (["datasets", "convert", "-d", "nope", "-o", "x.csv"], "unknown dataset 'nope'"),
    (["datasets", "split", "-d", "simnet", "--holdout-fraction", "1", "-o", "d"], "--holdout-fraction must be strictly"),
])
def test_bad_options_are_one_line_exit_2(args, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(args, capsys)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_convert_refuses_to_overwrite_its_input(tmp_path, capsys):
    raw = raw_cidds(tmp_path)
    before = raw.read_bytes()
    code, _, err = run_cli(["datasets", "convert", str(raw), "-o", str(raw)], capsys)
    assert code == 2 and "would overwrite the input" in err and raw.read_bytes() == before


# ---- run --data on one real file of each format (marginals only, to stay fast) ---------------
REAL_FILES = [
    ("cidds001", "cidds_wk3_8k.csv"),
    ("ctu", "2013-10-21_capture-1.binetflow"),
    ("zeek", "test10-mixed_conn.log"),
    ("pcaps", "ndpi", "1kxun.pcap"),
]


@pytest.mark.parametrize("parts", REAL_FILES, ids=lambda p: p[-1])
def test_run_marginals_on_real_file(shared_data, tmp_path, capsys, parts):
    path = shared_data.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} absent")
    if path.suffix == ".pcap":
        pytest.importorskip("dpkt")
    out = tmp_path / "run"
    code, stdout, err = run_cli(["run", "-g", "marginals", "--quick", "--data", str(path), "--format", "auto",
                                 "--metrics", "jsd,cmd,dkc", "--out", str(out), "--no-progress", "--no-cache"], capsys)
    assert code == 0, err
    records = [json.loads(p.read_text()) for p in out.glob("jobs/*/job.json")]
    assert sorted(r["generator"]["name"] for r in records) == ["bootstrap", "marginals", "reference"]
    assert all(r["status"] == "ok" for r in records), [(r.get("error")) for r in records]
    metrics = [json.loads(p.read_text()) for p in out.glob("jobs/*/metrics/*.json")]
    assert {m["metric"] for m in metrics} == {"jsd", "cmd", "dkc"}
    assert all(m["status"] == "ok" and m["value"] is not None for m in metrics), \
        [(m["metric"], m.get("error")) for m in metrics]

"""``datasets inspect`` proposes schema files that load; a renamed real table runs with one end to end."""
import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from secgen_bench.cli import main
from secgen_bench.datasets.inference import propose, words
from secgen_bench.schema_file import SchemaFile, apply_schema
from secgen_bench.tables import read_text_table

# Every tabular flow sample of the shared data (README there); captures, logs and the headerless nfdump lines
# are read by their own loaders, not by a schema file.
SAMPLES = [
    "cidds001/cidds_wk3_8k.csv", "ugr16/ugr16_1k.csv",
    "ctu/test2.binetflow", "ctu/2013-10-21_capture-1.binetflow", "ctu/CTU-Malware-Capture-Botnet-207-1.binetflow",
    "ctu/2015-03-24_capture1-only-dns.binetflow", "zeek/test9-mixed_conn.log", "zeek/test10-mixed_conn.log",
    "cesnet-miner22/miner22-sampled.csv", "cesnet-miner22/miner22-ppi-sampled.csv",
    "ids/cicids2017/cicids2017_cleaned_sample.csv",
    "ids/cicids2017/Friday-WorkingHours-Afternoon-DDos.pcap_ISCX.rows1-150.csv",
    "ids/nf-bot-iot-v2/NF-BoT-IoT-v2.rows1-10000.csv", "ids/unsw-nb15/UNSW_NB15_testing-set.subset.csv",
    "ids/zeek-json/conn.kali-lab.json.log",
]


def run_cli(args, capsys):
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_words_split_names_the_way_people_write_them():
    assert words("SrcBytes") == ["src", "bytes"]
    assert words("FLOW_DURATION_MILLISECONDS") == ["flow", "duration", "milliseconds"]
    assert words(" Total Fwd Packets") == ["total", "fwd", "packets"]


@pytest.mark.parametrize("sample", SAMPLES)
def test_inspect_proposes_a_schema_that_loads_every_real_sample(shared_data, sample, tmp_path, capsys):
    path = shared_data / sample
    schema = tmp_path / "schema.yaml"
    code, out, err = run_cli(["datasets", "inspect", str(path), "-o", str(schema)], capsys)
    assert code == 0, err
    spec = SchemaFile.from_dict(yaml.safe_load(schema.read_text()), str(schema))
    raw, header = read_text_table(path)
    needs_drop = "--drop-invalid" in err
    applied = apply_schema(raw, spec, str(path), drop_invalid=needs_drop, header_lines=header)
    assert len(applied.table) + applied.dropped_rows == len(raw)
    assert len(applied.table) > 0.5 * len(raw)
    placed = applied.schema.names
    assert len(placed) >= 2
    for column in spec.columns:
        if column.role == "ignore":
            assert f"'{column.name}'" in err          # every unplaced column is reported


def test_inference_reads_roles_and_units_from_real_samples(shared_data):
    nf = propose(read_text_table(shared_data / "ids/nf-bot-iot-v2/NF-BoT-IoT-v2.rows1-10000.csv")[0]).schema
    roles = {c.name: c for c in nf.columns}
    assert roles["IPV4_SRC_ADDR"].role == "ip" and roles["L4_DST_PORT"].role == "port"
    assert roles["FLOW_DURATION_MILLISECONDS"].role == "duration" and roles["FLOW_DURATION_MILLISECONDS"].unit == "ms"
    assert roles["IN_BYTES"].role == "bytes" and roles["OUT_PKTS"].direction == "out"
    assert roles["Attack"].role == "label" and roles["Attack"].benign == ("Benign",)
    ugr = {c.name: c for c in propose(read_text_table(shared_data / "ugr16/ugr16_1k.csv")[0]).schema.columns}
    assert ugr["ts"].role == "timestamp" and ugr["ts"].unit == "us" and ugr["srcip"].role == "ip"
    assert ugr["type"].benign == ("background",)
    unsw = {c.name: c for c in propose(read_text_table(
        shared_data / "ids/unsw-nb15/UNSW_NB15_testing-set.subset.csv")[0]).schema.columns}
    assert unsw["id"].role == "ignore" and unsw["sbytes"].direction == "out" and unsw["dbytes"].direction == "in"
    assert unsw["label"].benign == ("0",) and unsw["attack_cat"].benign == ("Normal",)


RENAMED = ["when", "length_s", "transport", "client_address", "client_pt", "server_address", "server_pt",
           "pkts", "octets", "flows", "tcp_flags"]


@pytest.fixture
def renamed_cidds(shared_data, tmp_path) -> Path:
    """The CIDDS sample's first 1,200 flows under column names no built-in format knows, one Infinity cell."""
    table = pd.read_csv(shared_data / "cidds001/cidds_wk3_8k.csv", dtype=str, keep_default_na=False).head(1200)
    table.columns = RENAMED
    table.loc[7, "octets"] = "Infinity"
    path = tmp_path / "renamed.csv"
    table.to_csv(path, index=False)
    return path


def test_renamed_table_runs_with_the_schema_inspect_wrote(renamed_cidds, tmp_path, capsys):
    schema = tmp_path / "renamed.yaml"
    code, _, err = run_cli(["datasets", "inspect", str(renamed_cidds), "-o", str(schema)], capsys)
    assert code == 0 and "1 sampled rows hold non-finite" in err
    roles = {c.name: c.role for c in SchemaFile.from_dict(yaml.safe_load(schema.read_text())).columns}
    assert roles == {"when": "timestamp", "length_s": "continuous", "transport": "categorical",
                     "client_address": "ip", "client_pt": "port", "server_address": "ip", "server_pt": "port",
                     "pkts": "packets", "octets": "bytes", "flows": "count", "tcp_flags": "flags"}

    code, _, err = run_cli(["run", "-g", "independent-bn", "--quick", "--data", str(renamed_cidds),
                            "--schema", str(schema), "--out", str(tmp_path / "refused"), "--no-progress"], capsys)
    assert code == 2 and "column 'octets', row 8 (line 9): 'Infinity'" in err and "--drop-invalid" in err
    assert len(err.strip().splitlines()) == 1

    out = tmp_path / "run"
    code, stdout, err = run_cli(["run", "-g", "independent-bn", "--quick", "--data", str(renamed_cidds),
                                 "--schema", str(schema), "--drop-invalid", "--out", str(out), "--no-progress"],
                                capsys)
    assert code == 0, err
    plan = json.loads((out / "run.json").read_text())
    assert plan["dropped_rows"] == {"renamed.csv": {"rows with non-finite or empty numbers": 1}}
    assert plan["datasets"][0]["schema"] == str(schema) and plan["datasets"][0]["drop_invalid"] is True
    jobs = [json.loads(p.read_text()) for p in out.glob("jobs/*/job.json")]
    assert len(jobs) == 3 and all(j["status"] == "ok" for j in jobs), jobs  # reference, bootstrap, independent-bn
    board = json.loads((out / "leaderboard.json").read_text())
    assert "independent-bn" in json.dumps(board)


def test_convert_with_a_schema_names_the_bad_cell_and_exits_2(tmp_path, capsys):
    data = tmp_path / "mine.csv"
    data.write_text("a,b,c\n10.0.0.1,80,5\n10.0.0.2,http,6\n")
    code, _, err = run_cli(["datasets", "convert", str(data), "--columns", "a=ip,b=port,c=bytes",
                            "-o", str(tmp_path / "out.csv")], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert f"{data}: column 'b', row 2 (line 3): 'http' is not a number (port)" in err
    code, _, err = run_cli(["datasets", "convert", "-d", "simnet", "--columns", "a=ip", "-o", str(tmp_path / "o.csv")],
                           capsys)
    assert code == 2 and "--columns describes a data file PATH" in err


def test_convert_and_evaluate_read_a_schema_file(tmp_path, capsys):
    data = tmp_path / "mine.csv"
    rows = [f"{1700000000 + i},10.0.0.{i % 7},10.0.1.{i % 3},{[80, 443, 53][i % 3]},{100 + 13 * i},{i % 5 + 1}"
            for i in range(60)]
    data.write_text("t,s,d,p,b,k\n" + "\n".join(rows) + "\n")
    schema = tmp_path / "mine.json"
    schema.write_text(json.dumps({"name": "mine", "columns": {"t": {"role": "timestamp", "unit": "s"}, "s": "ip",
                                                               "d": "ip", "p": "port", "b": "bytes", "k": "packets"}}))
    out = tmp_path / "converted.csv"
    code, stdout, err = run_cli(["datasets", "convert", str(data), "--schema", str(schema), "-o", str(out)], capsys)
    assert code == 0 and "schema mine (loader schema file)" in stdout, err
    assert pd.read_csv(out)["t"].iloc[0] == "2023-11-14 22:13:20"
    columns = err.split("read it back with --columns ")[1].strip().strip('"')
    assert columns == "t=timestamp,s=ip,d=ip,p=port,b=bytes,k=packets"
    again = tmp_path / "again.csv"
    assert run_cli(["datasets", "convert", str(out), "--columns", columns, "-o", str(again)], capsys)[0] == 0
    assert again.read_text() == out.read_text()
    code, stdout, err = run_cli(["evaluate", "--real", str(data), "--synthetic", str(out), "--schema", str(schema),
                                 "--metrics", "jsd", "--repeats", "1", "--json"], capsys)
    assert code == 0, err
    assert json.loads(stdout)["jsd"] == pytest.approx(0.0, abs=1e-9)


def test_inspect_of_something_that_is_not_a_table_is_one_line(tmp_path, capsys):
    path = tmp_path / "notes.txt"
    path.write_text("hello world\n" + "".join(f"line {i} of free text\n" for i in range(200)))
    code, _, err = run_cli(["datasets", "inspect", str(path)], capsys)
    assert code == 2 and "no column could be placed" in err and len(err.strip().splitlines()) == 1
    code, _, err = run_cli(["run", "-g", "marginals", "--columns", "a=ip"], capsys)
    assert code == 2 and "use it with --data PATH" in err

"""Schema files: parsing and round trip, unit conversion, bad cells, --drop-invalid (no real data needed)."""
import json

import numpy as np
import pandas as pd
import pytest
import yaml

from secgen_bench.datasets.detect import load_declared, load_path
from secgen_bench.schema import Role, SchemaError
from secgen_bench.schema_file import ColumnSpec, SchemaFile, apply_schema, parse_inline, read_schema_file

SCHEMA_YAML = """
name: lab-flows
columns:
  start: {role: timestamp, unit: ms}
  src: ip
  dst: ip
  dport: port
  proto: protocol
  ob: {role: bytes, direction: out}
  opk: {role: packets, direction: out}
  dur: {role: duration, unit: ms}
  verdict: {role: label, benign: [ok]}
  flow id: ignore
"""

ROWS = """start,src,dst,dport,proto,ob,opk,dur,verdict,flow id
1700000000000,10.0.0.1,10.0.0.2,443,TCP,1200,4,1500,ok,a
1700000001500,10.0.0.3,10.0.0.2,53,UDP,80,1,2,attack,b
1700000002000,10.0.0.1,10.0.0.9,80,TCP,640,3,250,ok,c
"""


@pytest.fixture
def lab(tmp_path):
    schema = tmp_path / "lab.yaml"
    schema.write_text(SCHEMA_YAML)
    data = tmp_path / "lab.csv"
    data.write_text(ROWS)
    return data, schema


def test_schema_file_maps_columns_to_flow_schema_roles(lab):
    _, schema_path = lab
    spec = read_schema_file(schema_path)
    flow = spec.flow_schema()
    assert flow.name == "lab-flows" and "flow id" not in flow.names
    assert flow.column("ob").role is Role.BYTES and flow.column("ob").direction == "out"
    assert flow.timestamp == "start" and flow.by_role("label") == ["verdict"]
    assert spec.benign == {"verdict": ["ok"]}


def test_schema_file_round_trips_through_yaml_and_json(lab, tmp_path):
    spec = read_schema_file(lab[1])
    again = SchemaFile.from_dict(yaml.safe_load(spec.dumps()), "again.yaml")
    assert again == spec
    as_json = tmp_path / "lab.json"
    as_json.write_text(json.dumps(spec.to_dict()))
    assert read_schema_file(as_json) == spec
    listed = {"name": "lab-flows", "columns": [{"name": c.name, **(v if isinstance(v := c.to_value(), dict)
                                                                    else {"role": v})} for c in spec.columns]}
    assert SchemaFile.from_dict(listed) == spec


def test_loading_converts_units_in_one_place(lab):
    data, schema = lab
    loaded = load_declared(data, schema_file=str(schema))
    table = loaded.table
    assert list(table.columns) == loaded.schema.names
    assert table["start"].iloc[1] == pd.Timestamp("2023-11-14 22:13:21.500")
    np.testing.assert_allclose(table["dur"], [1.5, 0.002, 0.25])
    assert table["ob"].dtype == np.int64 and table["dport"].tolist() == [443, 53, 80]
    assert loaded.meta["benign:verdict"] == ["ok"] and loaded.meta["dropped_invalid_rows"] == 0


def test_strptime_and_iso_timestamps(tmp_path):
    data = tmp_path / "t.csv"
    data.write_text("when,bytes\n05/04/2017 10:00,1\n06/04/2017 11:30,2\n")
    loaded = load_declared(data, columns="when=timestamp:%d/%m/%Y %H:%M,bytes=bytes")
    assert loaded.table["when"].tolist() == [pd.Timestamp("2017-04-05 10:00"), pd.Timestamp("2017-04-06 11:30")]
    with pytest.raises(SchemaError, match=r"t.csv: column 'when', row 1 \(line 2\): '05/04/2017 10:00' "
                                          r"does not match timestamp format iso"):
        load_declared(data, columns="when=timestamp:iso,bytes=bytes")


@pytest.mark.parametrize("cell, message", [
    ("12x", r"column 'ob', row 2 \(line 3\): '12x' is not a number \(bytes\)"),
    ("-5", r"column 'ob', row 2 \(line 3\): '-5' is negative"),
    ("1.5", r"column 'ob', row 2 \(line 3\): '1.5' is not an integer"),
])
def test_a_bad_cell_names_file_column_row_and_value(lab, cell, message):
    data, schema = lab
    data.write_text(ROWS.replace("UDP,80,", f"UDP,{cell},"))
    with pytest.raises(SchemaError, match=message) as err:
        load_declared(data, schema_file=str(schema))
    assert str(data) in str(err.value) and "\n" not in str(err.value)


def test_port_out_of_range_and_bad_epoch_are_named(lab):
    data, schema = lab
    data.write_text(ROWS.replace(",53,UDP", ",70000,UDP"))
    with pytest.raises(SchemaError, match=r"column 'dport', row 2 \(line 3\): '70000' is not a port"):
        load_declared(data, schema_file=str(schema))
    data.write_text(ROWS.replace("1700000001500", "soon"))
    with pytest.raises(SchemaError, match=r"column 'start', row 2 \(line 3\): 'soon' is not an epoch timestamp in ms"):
        load_declared(data, schema_file=str(schema))


def test_non_finite_numbers_are_counted_and_refused_or_dropped(lab):
    data, schema = lab
    data.write_text(ROWS.replace("UDP,80,1,", "UDP,Infinity,1,").replace("TCP,640,3,250", "TCP,640,NaN,250"))
    with pytest.raises(SchemaError, match=r"2 rows hold non-finite or empty numbers \(ob 1, opk 1\), first column "
                                          r"'ob', row 2 \(line 3\): 'Infinity'; pass --drop-invalid") as err:
        load_declared(data, schema_file=str(schema))
    assert "\n" not in str(err.value)
    loaded = load_declared(data, schema_file=str(schema), drop_invalid=True)
    assert len(loaded.table) == 1 and loaded.table["src"].tolist() == ["10.0.0.1"]
    assert loaded.meta["dropped_invalid_rows"] == 2 and loaded.meta["invalid_cells"] == {"ob": 1, "opk": 1}


def test_columns_the_schema_does_not_list_are_refused_unless_ignored(lab):
    data, schema = lab
    data.write_text(ROWS.replace("flow id\n", "flow id,extra\n").replace(",a\n", ",a,1\n")
                    .replace(",b\n", ",b,2\n").replace(",c\n", ",c,3\n"))
    with pytest.raises(SchemaError, match=r"column 'extra' is not in schema 'lab-flows'"):
        load_declared(data, schema_file=str(schema))
    loaded = load_declared(data, columns="src=ip,dst=ip,ob=bytes:out")
    assert loaded.schema.names == ["src", "dst", "ob"]
    with pytest.raises(SchemaError, match=r"no column 'nope' \(named in schema"):
        load_declared(data, columns="nope=ip")


@pytest.mark.parametrize("text, message", [
    ("columns: {a: colour}", r"column 'a': unknown role 'colour'"),
    ("columns: {a: {role: ip, unit: ms}}", r"column 'a': unit applies to timestamp and duration"),
    ("columns: {a: {role: bytes, direction: up}}", r"column 'a': direction must be 'in' or 'out'"),
    ("columns: {a: {role: duration, unit: h}}", r"column 'a': unit must be one of s, ms, us, ns"),
    ("columns: {a: timestamp, b: timestamp}", r"more than one timestamp column"),
    ("columns: {a: ignore}", r"no column has a role other than ignore"),
    ("columns: [1, 2]", r"each entry of a 'columns' list needs a 'name'"),
    ("name: x", r"a schema file is a mapping with a 'columns' mapping"),
    ("columns: {a: ip}\nextra: 1", r"unknown key 'extra'"),
    ("columns: {a: !!python/object:os.system x}", r"not a readable schema file"),
])
def test_bad_schema_files_are_one_line(tmp_path, text, message):
    path = tmp_path / "s.yaml"
    path.write_text(text)
    with pytest.raises(SchemaError, match=message) as err:
        read_schema_file(path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_inline_columns_take_direction_unit_and_benign_values():
    spec = parse_inline("a=ip, b=bytes:in, c=duration:us, d=label:Benign|Normal, e=timestamp:s")
    assert spec.columns[1] == ColumnSpec("b", "bytes", direction="in")
    assert spec.columns[2].unit == "us" and spec.columns[3].benign == ("Benign", "Normal")
    assert spec.columns[4].unit == "s" and spec.other_columns == "ignore"
    for bad, message in (("a", "is not NAME=ROLE"), ("a=ip:out", "role 'ip' takes no option"),
                         ("a=bytes:sideways", "direction must be")):
        with pytest.raises(SchemaError, match=message):
            parse_inline(bad)


def test_format_auto_falls_back_to_the_inferred_schema_and_says_so(tmp_path, capsys):
    data = tmp_path / "mine.csv"
    data.write_text("client_ip,server_ip,server_port,bytes_sent\n10.0.0.1,10.0.0.2,443,10\n10.0.0.3,10.0.0.2,80,7\n")
    loaded = load_path(data)
    assert loaded.meta["loader"] == "inferred"
    assert loaded.schema.by_role("ip") == ["client_ip", "server_ip"] and loaded.schema.by_role("port") == ["server_port"]
    assert "matches no built-in format; assumed client_ip=ip" in capsys.readouterr().err


def test_apply_schema_needs_rows():
    spec = parse_inline("a=ip")
    with pytest.raises(SchemaError, match="t.csv: empty table"):
        apply_schema(pd.DataFrame({"a": pd.Series([], dtype=str)}), spec, "t.csv")


def test_timestamps_with_offsets_become_utc(tmp_path):
    data = tmp_path / "tz.csv"
    data.write_text("when,bytes\n2020-01-01 10:00+01:00,1\n2020-01-01 10:00+02:00,2\n2020-01-01 10:00,3\n")
    loaded = load_declared(data, columns="when=timestamp,bytes=bytes")
    assert loaded.table["when"].tolist() == [pd.Timestamp("2020-01-01 09:00"), pd.Timestamp("2020-01-01 08:00"),
                                             pd.Timestamp("2020-01-01 10:00")]


def test_a_schema_file_replaces_format_and_fits_the_flows_track_only(lab):
    from secgen_bench.datasets.loading import DatasetSource, load_dataset

    data, schema = lab
    with pytest.raises(ValueError, match="--schema reads .* itself: drop --format csv"):
        load_dataset(DatasetSource(path=str(data), format="csv", schema=str(schema)), "quick")
    with pytest.raises(ValueError, match="--columns describes a flow table; the packets track"):
        load_dataset(DatasetSource(path=str(data), columns="src=ip"), "quick", track="packets")
    assert len(load_dataset(DatasetSource(path=str(data), schema=str(schema)), "quick", track="flows").table) == 3

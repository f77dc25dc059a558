"""CIDDS-001 raw loader and the bidirectional view (metrics.md, "Data the metrics see")."""
from __future__ import annotations

import pandas as pd
import pytest

from secgen_bench import registry
from secgen_bench.datasets.cidds import CIDDS001, CIDDS001Bi, bidirectional, read_raw
from secgen_bench.datasets.schemas import CIDDS_BI, CIDDS_RAW
from secgen_bench.schema import SchemaError

HEADER = "Date first seen,Duration,Proto,Src IP Addr,Src Pt,Dst IP Addr,Dst Pt,Packets,Bytes,Flows,Flags"


def write(tmp_path, lines, name="flows.csv", header=HEADER):
    path = tmp_path / name
    path.write_text("\n".join([header, *lines]) + "\n")
    return path


def test_raw_parsing_padding_units_and_class_filter(tmp_path):
    header = HEADER + ",Tos,class,attackType,attackID,attackDescription"
    path = write(tmp_path, [
        "2017-03-15 00:01:16.632,0.000,TCP  ,192.168.100.5,445,192.168.220.16,58844,1,108,1,.AP...,0,normal,---,---,---",
        "2017-03-15 00:01:16.552,1.500,UDP  ,192.168.100.5,53,DNS,53,2,   1.2 M,1,......,0,normal,---,---,---",
        "2017-03-15 00:01:17.000,0.000,TCP  ,192.168.220.1,4444,192.168.100.5,22,1,60,1,....S.,0,attacker,bruteForce,1,x",
        "2017-03-15 00:01:18.000,0.000,ICMP ,192.168.220.1,0,192.168.100.5,3.3,1,60,1,......,0,normal,---,---,---",
    ], header=header)
    table, meta = read_raw(path)
    assert list(table.columns) == CIDDS_RAW.names and len(table) == 3
    assert table["Date first seen"].is_monotonic_increasing
    assert table.loc[0, "Bytes"] == 1_200_000 and table.loc[0, "Proto"] == "UDP"
    assert meta["dropped"] == {"class=attacker": 1} and "normal" in meta["traffic"]
    assert table["Dst Pt"].tolist()[-1] == 3 and meta["icmp_type_code_ports_floored"] == 1


def test_bidirectional_sessions_gap_directions_and_flags(tmp_path):
    path = write(tmp_path, [
        # client 10.0.0.1:50000 <-> server 1.2.3.4:443, request then answer; answer ends at +3 s
        "2017-04-05 10:00:00.000,1.000,TCP,10.0.0.1,50000,1.2.3.4,443,5,500,1,.AP.S.",
        "2017-04-05 10:00:00.100,3.000,TCP,1.2.3.4,443,10.0.0.1,50000,7,7000,1,.A...F",
        # same 5-tuple 200 s later: a new session (gap >= 120 s)
        "2017-04-05 10:03:23.200,0.000,TCP,10.0.0.1,50000,1.2.3.4,443,1,60,1,...R..",
        # a lone answer of a web server: oriented client -> server:80, bytes under In
        "2017-04-05 11:00:00.000,0.500,TCP,8.8.4.4,80,10.0.0.2,40000,3,300,1,.AP...",
        "2017-04-05 12:00:00.000,0.000,UDP,10.0.0.3,137,10.0.0.255,137,1,78,1,......",
    ])
    raw, _ = read_raw(path)
    view = bidirectional(raw)
    assert list(view.columns) == CIDDS_BI.names and len(view) == 4
    first = view.iloc[0]
    assert (first["Src IP Addr"], first["Dst IP Addr"], first["Dst Pt"]) == ("10.0.0.1", "1.2.3.4", 443)
    assert (first["Out Byte"], first["In Byte"], first["Out Packet"], first["In Packet"]) == (500, 7000, 5, 7)
    assert first["Duration"] == pytest.approx(3.1) and first["Flags"] == ".AP.SF"
    assert view.iloc[1]["Flags"] == "...R.." and view.iloc[1]["Out Byte"] == 60
    lone = view.iloc[2]
    assert (lone["Src IP Addr"], lone["Dst IP Addr"], lone["Dst Pt"], lone["In Byte"], lone["Out Byte"]) == ("10.0.0.2", "8.8.4.4", 80, 300, 0)
    assert view.iloc[3]["Out Byte"] == 78 and view.iloc[3]["Src IP Addr"] == "10.0.0.3"
    first_rule = bidirectional(raw, initiator="first")
    assert first_rule.iloc[2]["Src IP Addr"] == "8.8.4.4" and first_rule.iloc[2]["Out Byte"] == 300


def test_gap_just_under_120s_stays_one_session(tmp_path):
    path = write(tmp_path, [
        "2017-04-05 10:00:00.000,10.000,UDP,10.0.0.1,5000,9.9.9.9,53,1,60,1,......",
        "2017-04-05 10:02:09.900,0.000,UDP,10.0.0.1,5000,9.9.9.9,53,1,60,1,......",
    ])
    view = bidirectional(read_raw(path)[0])
    assert len(view) == 1 and view.iloc[0]["Out Packet"] == 2 and view.iloc[0]["Duration"] == pytest.approx(129.9)


def test_shared_sample_view(shared_data, shared_specs):
    loaded = registry.datasets.get("cidds001-bi")().load()
    view, raw = loaded.table, read_raw(shared_data / "cidds001" / "cidds_wk3_8k.csv")[0]
    assert "sample" in loaded.meta["origin"] and loaded.schema is CIDDS_BI
    assert len(raw) == 8192 and 8000 <= len(view) <= 8192
    assert view["In Byte"].sum() + view["Out Byte"].sum() == raw["Bytes"].sum()
    assert view["In Packet"].sum() + view["Out Packet"].sum() == raw["Packets"].sum()
    assert (view["Duration"] >= 0).all()
    assert view.dtypes.astype(str).to_dict() == CIDDS_BI.dtypes
    # the artefact's own bidirectional rows (made from the same sample) are rows of our view
    ref = CIDDS_BI.validate(pd.read_csv(shared_specs / "metric-fixtures" / "real_2000.csv"))
    matched = view.merge(ref.drop_duplicates(), on=CIDDS_BI.names, how="inner")
    assert len(matched) >= 0.95 * len(ref.drop_duplicates())


def test_raw_dataset_and_round_trip(shared_data, tmp_path):
    loaded = CIDDS001().load(shared_data / "cidds001" / "cidds_wk3_8k.csv")
    out = tmp_path / "rt.csv"
    loaded.table.to_csv(out, index=False)
    again = CIDDS001().load(out)
    pd.testing.assert_frame_equal(loaded.table, again.table)
    assert CIDDS001.sniff(out) and CIDDS001Bi.sniff(out)


@pytest.mark.parametrize("line,message", [
    ("2017-04-05 10:00:00.000,0.0,TCP,a,1,b,2,x,60,1,......", r"line 2: column 'Packets'"),
    ("2017-04-05 10:00:00.000,0.0,TCP,a,1,b,2,1,12 Q,1,......", r"line 2: column 'Bytes'"),
    ("yesterday,0.0,TCP,a,1,b,2,1,60,1,......", r"line 2: column 'Date first seen'"),
    ("2017-04-05 10:00:00.000,-1,TCP,a,1,b,2,1,60,1,......", r"line 2: column 'Duration': negative"),
])
def test_malformed_rows_name_file_line_and_column(tmp_path, line, message):
    path = write(tmp_path, ["2017-04-05 10:00:00.000,0.0,TCP,a,1,b,2,1,60,1,......", line])
    with pytest.raises(SchemaError, match=message.replace("line 2", "line 3")) as err:
        read_raw(path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_wrong_delimiter_and_empty_file(tmp_path):
    semi = tmp_path / "semi.csv"
    semi.write_text(HEADER.replace(",", ";") + "\n2017-04-05;0;TCP;a;1;b;2;1;60;1;......\n")
    with pytest.raises(SchemaError, match="missing column .*delimiter"):
        read_raw(semi)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(SchemaError, match="empty file"):
        read_raw(empty)
    bad = tmp_path / "latin.csv"
    bad.write_bytes((HEADER + "\n2017-04-05 10:00:00,0,TCP,caf\xe9,1,b,2,1,60,1,......\n").encode("latin-1"))
    with pytest.raises(SchemaError, match="line 2: not UTF-8"):
        read_raw(bad)

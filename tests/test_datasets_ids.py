"""Loaders for the IDS research formats (CICFlowMeter, UNSW-NB15, NF- NetFlow, TON_IoT, nfdump): real samples,
hand-made files with the formats' known defects, Parquet copies, and the --max-rows/--window row limits."""
from __future__ import annotations

import json
from dataclasses import asdict

import numpy as np
import pandas as pd
import pytest

from secgen_bench.datasets import layouts
from secgen_bench.datasets.detect import load_path, sniff_format
from secgen_bench.datasets.limits import RowLimits, apply_limits, parse_window
from secgen_bench.datasets.loading import DatasetSource, load_dataset
from secgen_bench.schema import SchemaError


def _round_trip(loaded, tmp_path):
    out = tmp_path / "rt.csv"
    loaded.table.to_csv(out, index=False)
    again = load_path(out)
    assert again.schema.names == loaded.schema.names
    pd.testing.assert_frame_equal(again.table, loaded.table)


def _parquet_copy_loads_the_same(path, loaded, tmp_path):
    """A Parquet file with the CSV's columns (as text, names unstripped) reads to the same table."""
    if loaded.schema.name == "unsw-nb15" or path.suffix == ".txt":
        return
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    raw.columns = [c if list(raw.columns).count(c) == 1 else f"{c}_{i}" for i, c in enumerate(raw.columns)]
    pq = tmp_path / "copy.parquet"
    raw.to_parquet(pq, index=False)
    again = load_path(pq)
    assert again.meta["loader"] == loaded.meta["loader"]
    pd.testing.assert_frame_equal(again.table, loaded.table)


# ---- the real samples ---------------------------------------------------------------------------
SAMPLES = {
    # file: (loader, layout, rows, {column: value of row 0 after sorting}, label column, benign value)
    "cicids2017/Friday-WorkingHours-Afternoon-DDos.pcap_ISCX.rows1-150.csv":
        ("cicflowmeter", "cicids2017", 149, {"Destination Port": 54865, "Total Fwd Packets": 2}, "Label", "BENIGN"),
    "cicids2017/cicids2017_cleaned_sample.csv":
        ("cicflowmeter", "cicids2017-cleaned", 12_000, {"Destination Port": 80, "Total Fwd Packets": 6}, "Attack Type", "Normal Traffic"),
    "nf-bot-iot-v2/NF-BoT-IoT-v2.rows1-10000.csv":
        ("nf-netflow", "nf-netflow", 10_000, {"IPV4_SRC_ADDR": "192.168.100.149", "IN_BYTES": 280}, "Attack", "Benign"),
    "unsw-nb15/UNSW_NB15_testing-set.subset.csv":
        ("unsw-nb15", "unsw-nb15-sets", 4_528, {"proto": "udp", "sbytes": 496}, "attack_cat", "Normal"),
    "nfdump/nfdump16_csv_rows.txt":
        ("nfdump", "nfdump", 5, {"sa": "192.168.56.117", "ibyt": 12920, "flg": "...RS."}, None, None),
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_real_sample_loads_with_auto(shared_data, tmp_path, name):
    loader, layout, rows, first, label, benign = SAMPLES[name]
    path = shared_data / "ids" / name
    assert sniff_format(path) == loader
    loaded = load_path(path)
    assert loaded.meta["loader"] == loader and loaded.schema.name == layout and len(loaded.table) == rows
    for column, value in first.items():
        assert loaded.table.loc[0, column] == value, column
    if label is not None:
        assert label in loaded.schema.by_role("label") and benign in loaded.meta["benign"][label]
        assert (loaded.table[label] == benign).any()
    _round_trip(loaded, tmp_path)
    _parquet_copy_loads_the_same(path, loaded, tmp_path)


def test_cicids2017_distributed_defects(shared_data):
    loaded = load_path(shared_data / "ids" / "cicids2017" / "Friday-WorkingHours-Afternoon-DDos.pcap_ISCX.rows1-150.csv")
    t = loaded.table
    assert loaded.meta["dropped"] == {"non-finite Flow Bytes/s (Infinity/NaN)": 1}     # the Infinity cell
    assert t["Timestamp"].min() == pd.Timestamp("2017-07-07 03:30:00")                  # day first
    assert t["duration"].max() < 200 and loaded.schema.column("Total Fwd Packets").direction == "out"
    assert np.isfinite(t["Flow Bytes/s"]).all()


def test_zeek_json_sample(shared_data):
    loaded = load_path(shared_data / "ids" / "zeek-json" / "conn.kali-lab.json.log")
    assert loaded.meta["loader"] == "zeek" and len(loaded.table) == 273


# ---- hand-made files: the defects each format is known for ------------------------------------------
CIC_HEAD = (" Source IP, Source Port, Destination IP, Destination Port, Protocol, Timestamp, Flow Duration,"
            " Total Fwd Packets, Total Backward Packets,Total Length of Fwd Packets, Total Length of Bwd Packets,"
            "Flow Bytes/s, Flow Packets/s, Label\n")


def test_cicflowmeter_repeated_header_infinity_nan_empty(tmp_path):
    path = tmp_path / "cic.csv"
    path.write_text(CIC_HEAD
                    + "10.0.0.1,5000,10.0.0.2,80,6,3/7/2017 8:55,2000000,3,2,120,80,100.0,2.5,BENIGN\n"
                    + CIC_HEAD
                    + "10.0.0.1,5001,10.0.0.2,80,6,3/7/2017 8:56,0,1,0,0,0,Infinity,Infinity,DoS Hulk\n"
                    + "10.0.0.1,5002,10.0.0.2,80,6,3/7/2017 8:57,10,1,0,0,0,NaN,NaN,DoS Hulk\n"
                    + "10.0.0.1,5003,10.0.0.2,80,6,3/7/2017 8:58,-1,1,0,0,0,1.0,1.0,DoS Hulk\n"
                    + ",,,,,,,,,,,,,\n")
    loaded = load_path(path)
    assert loaded.schema.name == "cicids2017" and len(loaded.table) == 1
    assert loaded.meta["dropped"] == {"repeated header line": 1, "empty line": 1, "negative Flow Duration": 1,
                                      "non-finite Flow Bytes/s (Infinity/NaN)": 2}
    row = loaded.table.iloc[0]
    assert row["Timestamp"] == pd.Timestamp("2017-07-03 08:55") and row["duration"] == 2.0
    bad = tmp_path / "bad.csv"
    bad.write_text(CIC_HEAD + "10.0.0.1,5000,10.0.0.2,80,6,3/7/2017 8:55,20,three,2,120,80,1.0,2.5,BENIGN\n")
    with pytest.raises(SchemaError, match=r"column 'Total Fwd Packets': not a non-negative integer 'three' \(data row 1\)"):
        load_path(bad)


def test_cse_cic_ids2018(tmp_path):
    path = tmp_path / "2018.csv"
    path.write_text("Dst Port,Protocol,Timestamp,Flow Duration,Tot Fwd Pkts,Tot Bwd Pkts,TotLen Fwd Pkts,TotLen Bwd Pkts,"
                    "Fwd Pkt Len Max,Flow Byts/s,Flow Pkts/s,Label\n"
                    "443,6,02/03/2018 08:47:38,141385,9,7,553,3773,202,30597.31,113.17,Benign\n"
                    "Dst Port,Protocol,Timestamp,Flow Duration,Tot Fwd Pkts,Tot Bwd Pkts,TotLen Fwd Pkts,TotLen Bwd Pkts,"
                    "Fwd Pkt Len Max,Flow Byts/s,Flow Pkts/s,Label\n"
                    "8080,6,02/03/2018 08:47:40,500,2,0,0,0,0,0,4000,Bot\n")
    loaded = load_path(path)
    assert loaded.schema.name == "cse-cic-ids2018" and loaded.table["Label"].tolist() == ["Benign", "Bot"]
    assert loaded.table.loc[0, "Timestamp"] == pd.Timestamp("2018-03-02 08:47:38")


UNSW_RAW_ROWS = (
    "59.166.0.0,1390,149.171.126.6,53,udp,CON,0.001055,132,164,31,29,0,0,dns,500473.9375,621800.9375,2,2,0,0,0,0,66,82,"
    "0,0,0,0,1421927414,1421927414,0.017,0.013,0,0,0,0,0,0,0,0,3,7,1,3,1,1,1,,0\n"
    "175.45.176.1,0x000b,149.171.126.16,-,icmp,INT,0,1000,0,254,0,0,0,-,0,0,2,0,0,0,0,0,500,0,"
    "0,0,0,0,1421927400,1421927400,0,0,0,0,0,0,2,0,0,0,1,1,1,1,1,1,1, Reconnaissance ,1\n"
)


def test_unsw_nb15_raw_headerless_hex_ports(tmp_path):
    path = tmp_path / "UNSW-NB15_1.csv"
    path.write_text(UNSW_RAW_ROWS)
    loaded = load_path(path)
    assert loaded.meta["loader"] == "unsw-nb15" and loaded.schema.name == "unsw-nb15"
    t = loaded.table
    assert t["sport"].tolist() == [11, 1390] and t["dsport"].tolist() == [0, 53]     # sorted by Stime
    assert t["attack_cat"].tolist() == ["Reconnaissance", "-"] and t["Label"].tolist() == ["1", "0"]
    assert t.loc[1, "Stime"] == pd.Timestamp(1421927414, unit="s")
    _round_trip(loaded, tmp_path)


def test_ton_iot_network(tmp_path):
    path = tmp_path / "Train_Test_Network.csv"
    path.write_text("ts,src_ip,src_port,dst_ip,dst_port,proto,service,duration,src_bytes,dst_bytes,conn_state,missed_bytes,"
                    "src_pkts,src_ip_bytes,dst_pkts,dst_ip_bytes,dns_query,http_uri,label,type\n"
                    "1556000000,192.168.1.37,4444,192.168.1.193,49178,tcp,-,290.371539,101568,2592,OTH,0,108,108064,31,3832,-,-,0,normal\n"
                    "1556000010,192.168.1.30,52000,192.168.1.1,53,udp,dns,0.0012,30,60,SF,0,1,58,1,88,example.com,-,1,scanning\n")
    loaded = load_path(path)
    assert loaded.meta["loader"] == "ton-iot" and loaded.table["type"].tolist() == ["normal", "scanning"]
    assert loaded.schema.column("src_bytes").direction == "out" and loaded.table.loc[1, "ts"] == pd.Timestamp(1556000010, unit="s")
    _round_trip(loaded, tmp_path)


def test_nfdump17_header_and_summary(tmp_path):
    path = tmp_path / "flows.csv"
    path.write_text("ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,opkt,obyt,in,out\n"
                    "2024-01-02 10:00:01.250,2024-01-02 10:00:02.250,1.000,10.0.0.1,10.0.0.2,4000,443,TCP,.AP.SF,0,0,10,1500,0,0,1,2\n"
                    "2024-01-02 10:00:00.000,2024-01-02 10:00:00.000,0.000,10.0.0.3,10.0.0.2,53,53,UDP,......,0,0,1,80,0,0,1,2\n"
                    "Summary\nflows,bytes,packets,avg_bps,avg_pps,avg_bpp\n2,1580,11,0,0,0\n")
    loaded = load_path(path)
    assert loaded.meta["loader"] == "nfdump" and len(loaded.table) == 2
    assert loaded.meta["dropped"] == {"line with another field count": 3}
    assert loaded.table["sa"].tolist() == ["10.0.0.3", "10.0.0.1"] and loaded.table.loc[1, "ibyt"] == 1500


def test_nf_v3_has_a_timestamp(tmp_path):
    path = tmp_path / "NF-UNSW-NB15-v3.csv"
    path.write_text("FLOW_START_MILLISECONDS,FLOW_END_MILLISECONDS,IPV4_SRC_ADDR,L4_SRC_PORT,IPV4_DST_ADDR,L4_DST_PORT,"
                    "PROTOCOL,L7_PROTO,IN_BYTES,IN_PKTS,OUT_BYTES,OUT_PKTS,TCP_FLAGS,FLOW_DURATION_MILLISECONDS,Label,Attack\n"
                    "1424242193040,1424242193043,59.166.0.2,4894,149.171.126.3,53,17,5.212,146,2,178,2,0,3,0,Benign\n")
    loaded = load_path(path)
    assert loaded.schema.name == "nf-netflow-v3" and loaded.table.loc[0, "duration"] == 0.003
    assert loaded.table.loc[0, "ts"] == pd.Timestamp(1424242193040, unit="ms")


# ---- --max-rows and --window ------------------------------------------------------------------------
def _many_flows(tmp_path, n=3000):
    rng = np.random.default_rng(1)
    start = pd.Timestamp("2024-01-02 10:00:00")
    rows = [f"{(start + pd.Timedelta(seconds=int(i))).strftime('%Y-%m-%d %H:%M:%S')},0,{rng.random():.3f},10.0.0.{i % 250},"
            f"10.0.1.1,{1024 + i},443,TCP,.AP.SF,0,0,{1 + i % 7},{100 + i},0,0" for i in range(n)]
    path = tmp_path / "many.csv"
    path.write_text("ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,opkt,obyt\n" + "\n".join(rows) + "\n")
    return path


def test_max_rows_is_seeded_uniform_and_streamed(tmp_path, monkeypatch):
    path = _many_flows(tmp_path)
    whole = load_path(path).table
    monkeypatch.setattr(layouts, "BLOCK_BYTES", 4096)         # many blocks: the sample is kept block by block
    src = DatasetSource(path=str(path), max_rows=500)
    a = load_dataset(src, "quick", seed=3)
    b = load_dataset(src, "quick", seed=3)
    c = load_dataset(src, "quick", seed=4)
    assert len(a.table) == 500 and a.meta["max_rows"] == 500 and a.meta["rows_read"] == 3000
    pd.testing.assert_frame_equal(a.table, b.table)
    assert not a.table.equals(c.table)
    pd.testing.assert_frame_equal(a.table, apply_limits(whole, "ts", RowLimits(500), 3, "x"))   # same rows in memory
    assert a.table["sp"].mean() == pytest.approx(whole["sp"].mean(), rel=0.1)                   # uniform over the file


def test_window_keeps_a_time_slice(tmp_path):
    path = _many_flows(tmp_path)
    src = DatasetSource(path=str(path), window="2024-01-02T10:10:00/2024-01-02T10:20:00")
    t = load_dataset(src, "quick").table
    assert len(t) == 600 and t["ts"].min() == pd.Timestamp("2024-01-02 10:10") and t["ts"].max() < pd.Timestamp("2024-01-02 10:20")
    both = load_dataset(DatasetSource(path=str(path), window=src.window, max_rows=50), "quick")
    assert len(both.table) == 50 and both.meta["window"].startswith("2024-01-02T10:10:00")
    assert asdict(src)["window"] == src.window                                   # what run.json records
    untimed = tmp_path / "nf.csv"
    untimed.write_text("IPV4_SRC_ADDR,L4_SRC_PORT,IPV4_DST_ADDR,L4_DST_PORT,PROTOCOL,L7_PROTO,IN_BYTES,OUT_BYTES,IN_PKTS,"
                       "OUT_PKTS,TCP_FLAGS,FLOW_DURATION_MILLISECONDS,Label,Attack\n"
                       "10.0.0.1,5000,10.0.0.2,80,6,7.0,100,50,2,1,27,10,0,Benign\n")
    with pytest.raises(SchemaError, match="--window needs a timestamp column"):
        load_dataset(DatasetSource(path=str(untimed), window=src.window), "quick")
    with pytest.raises(SchemaError, match="START must be before END"):
        parse_window("2024-01-02/2024-01-01")


def test_limits_on_an_in_memory_loader(shared_data):
    src = DatasetSource(path=str(shared_data / "ugr16" / "ugr16_1k.csv"), max_rows=100)
    t = load_dataset(src, "quick").table
    assert len(t) == 100 and t["ts"].is_monotonic_increasing


def test_bad_limits_are_one_line_exit_2(tmp_path):
    from secgen_bench.cli import main

    path = _many_flows(tmp_path, 10)
    for extra in (["--max-rows", "0"], ["--window", "yesterday"], ["--window", "2024-01-02/2024-01-01"]):
        assert main(["run", "-g", "independent-bn", "--quick", "--data", str(path), "--out", str(tmp_path / "r"), *extra]) == 2


def test_run_records_limits_in_run_json(tmp_path):
    from secgen_bench.cli import main

    path = _many_flows(tmp_path, 400)
    out = tmp_path / "run"
    code = main(["run", "-g", "independent-bn", "--quick", "--data", str(path), "--out", str(out), "--no-progress",
                 "--max-rows", "300", "--metrics", "jsd"])
    assert code == 0
    plan = json.loads((out / "run.json").read_text())
    assert plan["datasets"][0]["max_rows"] == 300 and plan["datasets"][0]["window"] is None


def test_cse_cic_ids2018_entry_reads_its_cached_download(tmp_path, monkeypatch):
    from secgen_bench import registry
    from secgen_bench.datasets import download

    cls = registry.datasets.get("cse-cic-ids2018")
    src = download.source(cls.download_source)
    assert all(u.startswith("https://") for u in src.urls) and "unverified" in src.size
    assert "cse-cic-ids2018" not in __import__("secgen_bench.datasets.detect", fromlist=["x"]).candidates()
    monkeypatch.setenv("SECGEN_BENCH_CACHE", str(tmp_path))
    cached = download.cached_path(cls.download_source)
    cached.parent.mkdir(parents=True)
    cached.write_text("Dst Port,Protocol,Timestamp,Flow Duration,Tot Fwd Pkts,Tot Bwd Pkts,TotLen Fwd Pkts,TotLen Bwd Pkts,"
                      "Flow Byts/s,Flow Pkts/s,Label\n443,6,02/03/2018 08:47:38,141385,9,7,553,3773,30597.31,113.17,Benign\n")
    loaded = cls().load(limits=RowLimits(max_rows=1))
    assert loaded.schema.name == "cse-cic-ids2018" and len(loaded.table) == 1
    assert json.loads(download.record_path(cached).read_text())["sha256"] == download.sha256_of(cached)


def test_broken_parquet_is_one_line(tmp_path):
    path = tmp_path / "x.parquet"
    good = tmp_path / "g.parquet"
    pd.DataFrame({"IPV4_SRC_ADDR": ["10.0.0.1"], "L4_SRC_PORT": [1], "IPV4_DST_ADDR": ["10.0.0.2"], "L4_DST_PORT": [80],
                  "PROTOCOL": [6], "L7_PROTO": [7.0], "IN_BYTES": [10], "OUT_BYTES": [0], "IN_PKTS": [1], "OUT_PKTS": [0],
                  "TCP_FLAGS": [2], "FLOW_DURATION_MILLISECONDS": [0], "Label": [0], "Attack": ["Benign"]}).to_parquet(good)
    assert load_path(good).table.loc[0, "L4_DST_PORT"] == 80                 # typed Parquet columns read too
    path.write_bytes(good.read_bytes()[:200] + b"PAR1")
    with pytest.raises(SchemaError, match="x.parquet"):
        load_path(path, "nf-netflow")

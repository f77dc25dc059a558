"""UGR'16, CTU/Argus, Zeek, pcap, CESNET-MINER22 and HDFS loaders: real files, small hand-made files, bad input."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from secgen_bench import registry
from secgen_bench.datasets import schemas
from secgen_bench.datasets.detect import load_path
from secgen_bench.schema import SchemaError


def _round_trip(loaded, tmp_path):
    out = tmp_path / "rt.csv"
    loaded.table.to_csv(out, index=False)
    again = load_path(out)
    assert again.schema.names == loaded.schema.names
    pd.testing.assert_frame_equal(again.table, loaded.table)


# ---- UGR'16 ------------------------------------------------------------------------
def test_ugr16_netshare_and_official(tmp_path):
    net = tmp_path / "n.csv"
    net.write_text("srcip,dstip,srcport,dstport,proto,ts,td,pkt,byt,type\n"
                   "3232235777,134744072,5000,53,UDP,1458298072364000.0,0.5,2,120,background\n")
    t = load_path(net).table
    assert (t.loc[0, "srcip"], t.loc[0, "dstip"]) == ("192.168.1.1", "8.8.8.8")
    assert t.loc[0, "ts"] == pd.Timestamp("2016-03-18 10:47:52.364")
    off = tmp_path / "o.csv"
    off.write_text("2016-03-18 00:00:10,2.000,10.0.0.1,10.0.0.2,1234,80,TCP,.AP...,0,0,5,500,background\n")
    t = load_path(off).table
    assert t.loc[0, "ts"] == pd.Timestamp("2016-03-18 00:00:08") and t.loc[0, "byt"] == 500
    bad = tmp_path / "b.csv"
    bad.write_text("srcip,dstip,srcport,dstport,proto,ts,td,pkt,byt,type\n1,2,3,4,TCP,5,0.1,x,9,background\n")
    with pytest.raises(SchemaError, match=r"line 2: column 'pkt'"):
        load_path(bad, "ugr16")


def test_ugr16_shared(shared_data, tmp_path):
    loaded = registry.datasets.get("ugr16")().load()
    assert len(loaded.table) == 1000 and loaded.table["srcip"].str.count(r"\.").eq(3).all()
    _round_trip(loaded, tmp_path)


# ---- CTU ------------------------------------------------------------------------------
CTU_HEAD = "StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,Label\n"


def test_ctu_small_file(tmp_path):
    path = tmp_path / "x.binetflow"
    path.write_text(CTU_HEAD + "2019/04/04 16:23:00.325010,0.02,udp,10.0.0.1,48427,  <->,8.8.8.8,53,CON,0,0,2,142,63,\n"
                    "2019/04/04 16:23:01.000000,0.0,icmp,10.0.0.1,0x0008,   ->,8.8.8.8,0x0000,ECO,0,,1,98,98,flow=Normal\n"
                    "2019/04/04 16:23:02.000000,1.0,arp,10.0.0.1,,  who,10.0.0.2,,CON,,,2,120,60,\n")
    t = load_path(path).table
    assert t["Sport"].tolist() == [48427, 8, 0] and t["Dir"].tolist()[0] == "<->"
    assert t["Label"].tolist() == ["-", "flow=Normal", "-"]
    path.write_text(CTU_HEAD + "2019/04/04 16:23:00.325010,0.02,udp,10.0.0.1,48427,<->,8.8.8.8,53,CON,0,0,2,142,163,\n")
    with pytest.raises(SchemaError, match="line 2: column 'SrcBytes'"):
        load_path(path, "ctu")


def test_ctu_shared(shared_data, tmp_path):
    for name, rows in (("test2.binetflow", 6751), ("2013-10-21_capture-1.binetflow", 2398)):
        loaded = load_path(shared_data / "ctu" / name)
        assert loaded.schema is schemas.CTU and len(loaded.table) == rows
    assert "SrcBytes" in loaded.meta["filled"]
    _round_trip(load_path(shared_data / "ctu" / "test2.binetflow"), tmp_path)


# ---- Zeek -----------------------------------------------------------------------------
ZEEK_TSV = ("#separator \\x09\n#path\tconn\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\t"
            "orig_bytes\tresp_bytes\tconn_state\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\n"
            "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tstring\tcount\tcount\tcount\tcount\n"
            "1601998366.785668\tC1\t10.0.0.1\t5000\t10.0.0.2\t53\tudp\tdns\t0.0077\t37\t77\tSF\tDd\t1\t65\t1\t105\n"
            "1601998367.000001\tC2\t10.0.0.1\t5001\t10.0.0.3\t443\ttcp\t-\t-\t-\t-\tS0\tS\t1\t60\t0\t0\n#close\t2020\n")


def test_zeek_tsv_and_json(tmp_path):
    tsv = tmp_path / "conn.log"
    tsv.write_text(ZEEK_TSV)
    a = load_path(tsv)
    assert a.schema is schemas.ZEEK and len(a.table) == 2
    assert a.table.loc[0, "ts"] == pd.Timestamp("2020-10-06 15:32:46.785668")
    assert a.table.loc[1, "service"] == "-" and a.table.loc[1, "orig_bytes"] == 0 and a.meta["filled"]["duration"] == 1
    js = tmp_path / "conn.json"
    js.write_text("\n".join(json.dumps(r) for r in [
        {"ts": 1601998366.785668, "uid": "C1", "id.orig_h": "10.0.0.1", "id.orig_p": 5000, "id.resp_h": "10.0.0.2",
         "id.resp_p": 53, "proto": "udp", "service": "dns", "duration": 0.0077, "orig_bytes": 37, "resp_bytes": 77,
         "conn_state": "SF", "history": "Dd", "orig_pkts": 1, "orig_ip_bytes": 65, "resp_pkts": 1, "resp_ip_bytes": 105},
        {"ts": 1601998367.000001, "uid": "C2", "id.orig_h": "10.0.0.1", "id.orig_p": 5001, "id.resp_h": "10.0.0.3",
         "id.resp_p": 443, "proto": "tcp", "conn_state": "S0", "history": "S", "orig_pkts": 1, "orig_ip_bytes": 60,
         "resp_pkts": 0, "resp_ip_bytes": 0}]) + "\n")
    b = load_path(js)
    pd.testing.assert_frame_equal(a.table, b.table)


def test_zeek_bad_lines(tmp_path):
    tsv = tmp_path / "conn.log"
    tsv.write_text(ZEEK_TSV.replace("\t1\t65\t1\t105\n", "\t1\t65\n"))
    with pytest.raises(SchemaError, match="line 5: 15 fields"):
        load_path(tsv)
    tsv.write_text(ZEEK_TSV.replace("\t37\t77\t", "\tabc\t77\t"))
    with pytest.raises(SchemaError, match="line 5: column 'orig_bytes'"):
        load_path(tsv, "zeek")
    js = tmp_path / "c.json"
    js.write_text('{"ts": 1, "id.orig_h": "a", "id.orig_p": 1, "id.resp_h": "b", "id.resp_p": 2, "proto": "tcp"}\n{"ts": 2,\n')
    with pytest.raises(SchemaError, match="line 2: column"):
        load_path(js, "zeek")


def test_zeek_shared(shared_data, tmp_path):
    loaded = load_path(shared_data / "zeek" / "test9-mixed_conn.log")
    assert len(loaded.table) == 576 and loaded.table["ts"].dt.year.max() == 1970     # relative timestamps
    _round_trip(loaded, tmp_path)


# ---- pcap ------------------------------------------------------------------------------
def _write_pcap(path, packets):
    import dpkt

    with open(path, "wb") as fh:
        w = dpkt.pcap.Writer(fh)
        for ts, frame in packets:
            w.writepkt(frame, ts=ts)


def _tcp(src, dst, sport, dport, flags, data=b""):
    import socket

    import dpkt

    tcp = dpkt.tcp.TCP(sport=sport, dport=dport, flags=flags, data=data)
    ip = dpkt.ip.IP(src=socket.inet_aton(src), dst=socket.inet_aton(dst), p=6, data=tcp)
    ip.len = len(bytes(ip))
    return bytes(dpkt.ethernet.Ethernet(src=b"\x00" * 6, dst=b"\x01" * 6, type=0x0800, data=ip))


def _udp(src, dst, sport, dport, data):
    import socket

    import dpkt

    udp = dpkt.udp.UDP(sport=sport, dport=dport, data=data)
    udp.ulen = len(bytes(udp))
    ip = dpkt.ip.IP(src=socket.inet_aton(src), dst=socket.inet_aton(dst), p=17, data=udp)
    ip.len = len(bytes(ip))
    return bytes(dpkt.ethernet.Ethernet(src=b"\x00" * 6, dst=b"\x01" * 6, type=0x0800, data=ip))


def test_pcap_flows_and_sequences(tmp_path):
    pytest.importorskip("dpkt")
    from secgen_bench.datasets.pcap import packet_sequences

    c, s = "10.0.0.1", "93.184.216.34"
    arp = b"\xff" * 6 + b"\x00" * 6 + b"\x08\x06" + b"\x00" * 28
    packets = [
        (100.0, _tcp(c, s, 40000, 443, 0x02)), (100.01, _tcp(s, c, 443, 40000, 0x12)), (100.02, _tcp(c, s, 40000, 443, 0x10)),
        (100.03, _tcp(c, s, 40000, 443, 0x18, b"x" * 100)), (100.05, _tcp(s, c, 443, 40000, 0x18, b"y" * 1000)),
        (100.06, _tcp(c, s, 40000, 443, 0x11)), (100.07, _tcp(s, c, 443, 40000, 0x11)), (100.08, _tcp(c, s, 40000, 443, 0x10)),
        (100.5, arp),
        (101.0, _udp(c, "10.0.0.53", 5353, 53, b"q" * 30)), (101.01, _udp("10.0.0.53", c, 53, 5353, b"a" * 90)),
        (400.0, _udp(c, "10.0.0.53", 5353, 53, b"q" * 30)),            # after the 120 s idle timeout: a new flow
        (500.0, _tcp(c, s, 40000, 443, 0x02)),                           # same 5-tuple after FIN close: new flow
    ]
    path = tmp_path / "t.pcap"
    _write_pcap(path, packets)
    loaded = load_path(path)
    t = loaded.table
    assert loaded.schema is schemas.PCAP_FLOWS and len(t) == 4 and loaded.meta["dropped"] == {"non-IP frames": 1}
    first = t.iloc[0]
    assert (first["src_ip"], first["dst_port"], first["out_packets"], first["in_packets"]) == (c, 443, 5, 3)
    assert first["flags"] == ".AP.SF" and first["duration"] == pytest.approx(0.08)
    assert t.iloc[1]["proto"] == "UDP" and t.iloc[1]["in_packets"] == 1 and t.iloc[1]["flags"] == "......"
    seq = packet_sequences(path).table
    f0 = seq[seq["flow_id"] == "flow0"]
    assert f0["flags"].tolist() == ["S", "SA", "A", "PA", "PA", "FA", "FA", "A"]
    assert f0["direction"].tolist() == ["out", "in", "out", "out", "in", "out", "in", "out"]
    assert f0["size"].tolist()[3:5] == [100, 1000] and f0["iat"].iloc[0] == 0.0 and f0["iat"].iloc[1] == pytest.approx(0.01)
    assert set(seq.loc[seq["service"] == "UDP/53", "flags"]) == {"-"}


def test_pcap_bad_input(tmp_path):
    pytest.importorskip("dpkt")
    path = tmp_path / "t.pcap"
    _write_pcap(path, [(1.0, _udp("1.1.1.1", "2.2.2.2", 1, 53, b"x" * 50))] * 3)
    data = path.read_bytes()
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(data[:-20])
    with pytest.raises(SchemaError, match="truncated capture"):
        load_path(cut, "pcap")
    only_arp = tmp_path / "arp.pcap"
    _write_pcap(only_arp, [(1.0, b"\xff" * 6 + b"\x00" * 6 + b"\x08\x06" + b"\x00" * 28)])
    with pytest.raises(SchemaError, match="no IPv4/IPv6 packets in 1 frames"):
        load_path(only_arp, "pcap")
    not_pcap = tmp_path / "x.pcap"
    not_pcap.write_text("hello")
    with pytest.raises(SchemaError, match="not a pcap"):
        load_path(not_pcap, "pcap")


def test_pcap_shared(shared_data, tmp_path):
    pytest.importorskip("dpkt")
    from secgen_bench.datasets.pcap import packet_sequences

    path = shared_data / "pcaps" / "test-cc-capture-1.pcap"
    flows = load_path(path)
    seq = packet_sequences(path)
    assert flows.meta["frames"] == 7931 == len(seq.table)
    assert flows.table["out_packets"].sum() + flows.table["in_packets"].sum() == len(seq.table)
    assert seq.table["flow_id"].nunique() == len(flows.table)
    _round_trip(flows, tmp_path)


# ---- CESNET ----------------------------------------------------------------------------
def test_cesnet_shared(shared_data, tmp_path):
    from secgen_bench.datasets.cesnet import read_flows

    full = load_path(shared_data / "cesnet-miner22" / "miner22-sampled.csv")
    flat = load_path(shared_data / "cesnet-miner22" / "miner22-ppi-sampled.csv")
    assert full.schema is schemas.PACKETS_LABELLED and full.meta["sequences"] == 3999
    assert full.table["size"].tolist() == flat.table["size"].tolist()
    assert full.table["direction"].tolist() == flat.table["direction"].tolist()
    assert set(full.table["label"]) == {"Miner", "Other"} and full.table.groupby("flow_id").size().max() <= 30
    assert np.allclose(full.table["iat"], flat.table["iat"], atol=2e-3)
    flows = read_flows(shared_data / "cesnet-miner22" / "miner22-sampled.csv")
    assert len(flows) == 3999 and (flows["DURATION"] >= 0).all()
    _round_trip(full, tmp_path)


def test_cesnet_bad_direction(tmp_path):
    path = tmp_path / "c.csv"
    cols = [f"{k}_{i}" for k in ("IPT", "DIR", "SIZE") for i in range(1, 31)] + ["label"]
    vals = ["0"] * 30 + ["1", "7"] + ["0"] * 28 + ["60", "70"] + ["0"] * 28 + ["Miner"]
    path.write_text(",".join(cols) + "\n" + ",".join(vals) + "\n")
    with pytest.raises(SchemaError, match="line 2: packet 2: direction"):
        load_path(path)


# ---- HDFS ------------------------------------------------------------------------------
def test_hdfs_structured_small(tmp_path):
    path = tmp_path / "x_structured.csv"
    path.write_text("LineId,Date,Time,Pid,Level,Component,Content,EventId,EventTemplate\n"
                    "1,081109,203615,1,INFO,c,Receiving block blk_1 src: a,E5,t\n"
                    "2,081109,203617,1,INFO,c,Receiving block blk_-2 src: a,E5,t\n"
                    "3,081109,203620,1,INFO,c,Received block blk_1 of size 5,E6,t\n")
    (tmp_path / "anomaly_label.csv").write_text("BlockId,Label\nblk_1,Normal\nblk_-2,Anomaly\n")
    loaded = load_path(path)
    t = loaded.table
    assert loaded.schema is schemas.HDFS
    assert t["block_id"].tolist() == ["blk_1", "blk_1", "blk_-2"]
    assert t["delay"].tolist() == [0.0, 5.0, 0.0] and t["label"].tolist() == ["normal", "normal", "anomaly"]


def test_hdfs_deeplog_and_errors(tmp_path):
    path = tmp_path / "hdfs_test_abnormal"
    path.write_text("5 5 22\n11 9\n")
    t = load_path(path).table
    assert t["block_id"].nunique() == 2 and set(t["label"]) == {"anomaly"} and (t["delay"] == 0).all()
    path.write_text("5 5 22\n11 x 9\n")
    with pytest.raises(SchemaError, match="line 2: not a DeepLog"):
        load_path(path, "hdfs")


def test_hdfs_shared(shared_data, tmp_path):
    loaded = registry.datasets.get("hdfs")().load()
    assert loaded.meta["sequences"] > 1900 and loaded.meta["anomalous_sequences"] > 50
    assert set(loaded.table["label"]) <= {"normal", "anomaly", "unknown"}
    train = load_path(shared_data / "hdfs" / "deeplog_sequences" / "hdfs_train")
    assert train.meta["sequences"] == 4855 and set(train.table["label"]) == {"normal"}
    _round_trip(loaded, tmp_path)


def test_unknown_format_is_one_line(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello world\nthis is not traffic\n")
    with pytest.raises(SchemaError, match=r"notes.txt: format not recognised") as err:
        load_path(path)
    assert "\n" not in str(err.value)
    with pytest.raises(SchemaError, match="unknown format 'nope'"):
        load_path(path, "nope")

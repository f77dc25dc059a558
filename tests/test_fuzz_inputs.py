"""Fuzzing the readers: malformed CSVs, logs and captures give exit 2 and one line, or a valid result.

Each test starts from a small valid file written here (no shared data
needed), applies a hypothesis-chosen list of mutations (cells replaced by
hostile values, lines dropped or duplicated, bytes flipped, the file cut
short) and runs the real command in-process. A bounded number of examples
keeps the whole file well under a minute.
"""
from __future__ import annotations

import contextlib
import io
import os
import struct
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from secgen_bench.cli import main

# 40 examples per test by default; SECGEN_BENCH_FUZZ_EXAMPLES=500 (with SECGEN_BENCH_FUZZ_RANDOM=1) searches harder
EXAMPLES = settings(max_examples=int(os.environ.get("SECGEN_BENCH_FUZZ_EXAMPLES", "40")), deadline=None,
                    derandomize=os.environ.get("SECGEN_BENCH_FUZZ_RANDOM") != "1",
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

HOSTILE = ["", " ", "-", "nan", "NaN", "inf", "-inf", "1e308", "-1e308", "-1", "-0", "0x1F", "1.5", "9" * 25,
           "-" + "9" * 25, "2017-13-45 25:61:00", "\u221e", '"', '""', ",", "\t", "\\", "\x00", "null", "{}", "[1]",
           "true", "1e-310", "65536", "-65536", "ÿþ", "a,b,c", "\r"]


def _cidds_bi_csv(rows: int = 30, seed: int = 0) -> str:
    rng = np.random.default_rng(seed)
    start = np.datetime64("2017-03-15T10:00:00.000")
    lines = ["Date first seen,Proto,Src IP Addr,Dst IP Addr,Dst Pt,In Byte,Out Byte,In Packet,Out Packet,Duration,Flags"]
    for i in range(rows):
        ts = str(start + np.timedelta64(int(rng.integers(0, 3_600_000)), "ms")).replace("T", " ")
        proto = ["TCP", "UDP"][int(rng.integers(2))]
        packets_out, packets_in = int(rng.integers(1, 9)), int(rng.integers(0, 9))
        lines.append(",".join([
            ts, proto, f"192.168.100.{rng.integers(1, 9)}", ["DNS", "10006_205", "192.168.100.4"][i % 3],
            str([53, 80, 443][i % 3]), str(packets_in * int(rng.integers(40, 1500))),
            str(packets_out * int(rng.integers(40, 1500))), str(packets_in), str(packets_out),
            f"{rng.exponential(0.5):.3f}", [".A..S.", "......", ".AP.SF"][i % 3]]))
    return "\n".join(lines) + "\n"


BINETFLOW = """StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,SrcPkts,Label
2019/04/04 16:23:00.325010,0.027947,udp,10.8.0.69,48427,  <->,8.8.8.8,53,CON,0,0,2,142,63,1,
2019/04/04 16:23:00.345898,0.000869,udp,10.8.0.69,60142,  <->,8.8.8.8,53,CON,0,0,2,176,68,1,
2019/04/04 16:23:00.347831,0.024316,udp,10.8.0.69,0x0303,  <->,8.8.8.8,53,CON,0,0,2,181,68,1,
2019/04/04 16:23:00.355768,129.927856,tcp,10.8.0.69,48009,   ->,31.13.83.2,443,SPA_SRPA,0,164,26,5723,1621,13,
"""

ZEEK_TSV = "\n".join([
    "#separator \\x09", "#set_separator\t,", "#empty_field\t(empty)", "#unset_field\t-", "#path\tconn",
    "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes"
    "\tconn_state\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes",
    "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tstring\tcount\tcount"
    "\tcount\tcount",
    "1300475167.096535\tC1\t141.142.220.202\t5353\t224.0.0.251\t5353\tudp\tdns\t-\t-\t-\tS0\tD\t1\t73\t0\t0",
    "1300475168.853899\tC2\t141.142.220.118\t43927\t141.142.2.2\t53\tudp\tdns\t0.000435\t38\t89\tSF\tDd\t1\t66\t1\t117",
    "1300475169.780331\tC3\t141.142.220.118\t48479\t141.142.2.2\t53\tudp\tdns\t0.000420\t52\t99\tSF\tDd\t1\t80\t1\t127",
    "1300475170.862384\tC4\t141.142.220.226\t55131\t224.0.0.252\t5355\tudp\tdns\t0.100000\t66\t0\tS0\tD\t2\t122\t0\t0",
    "#close\t2011-03-18-19-06-13",
]) + "\n"

ZEEK_JSON = "\n".join([
    '{"ts":22.335172,"uid":"C6","id.orig_h":"fe80::1","id.orig_p":61099,"id.resp_h":"ff02::1:3","id.resp_p":5355,'
    '"proto":"udp","service":"dns","duration":0.096,"orig_bytes":50,"resp_bytes":0,"conn_state":"S0",'
    '"history":"D","orig_pkts":2,"orig_ip_bytes":146,"resp_pkts":0,"resp_ip_bytes":0}',
    '{"ts":30.043784,"uid":"Ce","id.orig_h":"10.0.2.15","id.orig_p":49158,"id.resp_h":"195.113.232.73",'
    '"id.resp_p":80,"proto":"tcp","service":"http","duration":0.0018,"orig_bytes":97,"resp_bytes":179,'
    '"conn_state":"SF","history":"ShADadfF","orig_pkts":5,"orig_ip_bytes":309,"resp_pkts":5,"resp_ip_bytes":383}',
    '{"ts":31.5,"uid":"Cx","id.orig_h":"10.0.2.15","id.orig_p":137,"id.resp_h":"10.0.2.255","id.resp_p":137,'
    '"proto":"udp","duration":2.25,"orig_bytes":816,"conn_state":"S0","orig_pkts":12}',
]) + "\n"


UGR16_NETSHARE = """srcip,dstip,srcport,dstport,proto,ts,td,pkt,byt,type
1730436467,719036359,0,0,ICMP,1458298072364000.0,305.636,62,1736,background
3232235777,134744072,51000,53,UDP,1458298072400000.5,0.012,2,140,background
3232235778,3232235777,44321,443,TCP,1458298073000000,12.5,40,52000,background
"""

HDFS_STRUCTURED = """LineId,Date,Time,Pid,Level,Component,Content,EventId,EventTemplate
1,081109,203615,148,INFO,dfs.DataNode$PacketResponder,PacketResponder 1 for block blk_38865 terminating,E10,PacketResponder <*> for block blk_<*> terminating
2,081109,203807,222,INFO,dfs.DataNode$PacketResponder,PacketResponder 0 for block blk_-69522 terminating,E10,PacketResponder <*> for block blk_<*> terminating
3,081109,204005,35,INFO,dfs.FSNamesystem,BLOCK* NameSystem.addStoredBlock: blk_38865 size 67108864,E6,BLOCK* NameSystem.addStoredBlock: blk_<*> size <*>
4,081109,204106,329,INFO,dfs.DataNode$PacketResponder,Received block blk_-69522 of size 67108864 from /10.251.70.211,E11,Received block blk_<*> of size <*> from /<*>
"""


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\x00"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _tcp_frame(src: bytes, dst: bytes, sport: int, dport: int, flags: int, payload: bytes = b"") -> bytes:
    tcp = struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 5 << 4, flags, 65535, 0, 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", _checksum(ip)) + ip[12:]
    return b"\x00\x11\x22\x33\x44\x55" + b"\x66\x77\x88\x99\xaa\xbb" + b"\x08\x00" + ip + tcp


def _pcap() -> bytes:
    """A little-endian pcap of one TCP connection: handshake, data both ways, FIN both ways."""
    a, b = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])
    packets = [(a, b, 40000, 80, 0x02, b""), (b, a, 80, 40000, 0x12, b""), (a, b, 40000, 80, 0x10, b""),
               (a, b, 40000, 80, 0x18, b"GET / HTTP/1.0\r\n\r\n"), (b, a, 80, 40000, 0x18, b"HTTP/1.0 200 OK\r\n\r\n"),
               (a, b, 40000, 80, 0x11, b""), (b, a, 80, 40000, 0x11, b""), (a, b, 40000, 80, 0x10, b"")]
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    for i, (src, dst, sport, dport, flags, payload) in enumerate(packets):
        frame = _tcp_frame(src, dst, sport, dport, flags, payload)
        out.append(struct.pack("<IIII", 1_600_000_000, i * 1000, len(frame), len(frame)) + frame)
    return b"".join(out)


# ---- mutations -------------------------------------------------------------------------------------
CELL = st.tuples(st.just("cell"), st.integers(0, 10_000), st.integers(0, 10_000), st.sampled_from(HOSTILE))
LINE = st.tuples(st.sampled_from(["drop-line", "dup-line", "swap-lines"]), st.integers(0, 10_000),
                 st.integers(0, 10_000), st.just(""))
BYTES = st.tuples(st.sampled_from(["flip-byte", "cut", "insert"]), st.integers(0, 1 << 20), st.integers(0, 255),
                  st.sampled_from(HOSTILE))
TEXT_MUTATIONS = st.lists(st.one_of(CELL, LINE, BYTES), min_size=1, max_size=4)
BINARY_MUTATIONS = st.lists(BYTES, min_size=1, max_size=6)


def mutate(data: bytes, mutations, sep: bytes = b",") -> bytes:
    for op, a, b, value in mutations:
        lines = data.split(b"\n")
        if op == "cell" and lines:
            i = a % len(lines)
            cells = lines[i].split(sep)
            cells[b % len(cells)] = value.encode("utf-8")
            lines[i] = sep.join(cells)
            data = b"\n".join(lines)
        elif op in ("drop-line", "dup-line", "swap-lines") and lines:
            i, j = a % len(lines), b % len(lines)
            if op == "drop-line":
                del lines[i]
            elif op == "dup-line":
                lines.insert(i, lines[j])
            else:
                lines[i], lines[j] = lines[j], lines[i]
            data = b"\n".join(lines)
        elif op == "flip-byte" and data:
            i = a % len(data)
            data = data[:i] + bytes([data[i] ^ (b or 1)]) + data[i + 1:]
        elif op == "cut":
            data = data[: a % (len(data) + 1)]
        elif op == "insert":
            i = a % (len(data) + 1)
            data = data[:i] + value.encode("utf-8") + data[i:]
    return data


def run_quietly(argv: list[str]) -> tuple[int, str, str]:
    """Run the command in-process; a value silently wrapped by a cast (numpy warns) fails the test."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        code = main(argv)
    wrapped = [str(w.message) for w in seen if issubclass(w.category, RuntimeWarning)
               and ("cast" in str(w.message) or "overflow" in str(w.message))]
    assert not wrapped, wrapped
    return code, out.getvalue(), err.getvalue()


def assert_clean_outcome(code: int, err: str, produced: Path | None = None) -> None:
    """Exit 0 with a result, or exit 2 with one line naming the problem; never a traceback or exit 1."""
    assert "Traceback" not in err, err
    if code == 0:
        assert produced is None or produced.is_file()
        return
    assert code == 2, err
    lines = [line for line in err.splitlines() if line.strip() and not line.startswith("note: ")]
    assert len(lines) == 1 and lines[0].startswith("secgen-bench: error: "), err


# ---- evaluate ------------------------------------------------------------------------------------
@EXAMPLES
@given(which=st.sampled_from(["real", "synthetic"]), mutations=TEXT_MUTATIONS)
@example(which="synthetic", mutations=[("cell", 3, 5, "1e308")])      # once cast to int64: EMD -1.8e18, exit 0
@example(which="synthetic", mutations=[("cell", 4, 6, "-1e308")])
@example(which="real", mutations=[("cell", 2, 7, "inf")])
@example(which="synthetic", mutations=[("cell", 3, 9, "1e308")])     # a duration whose square overflows
def test_evaluate_on_malformed_csv(tmp_path, which, mutations):
    files = {"real": tmp_path / "real.csv", "synthetic": tmp_path / "synthetic.csv"}
    files["real"].write_text(_cidds_bi_csv(seed=0))
    files["synthetic"].write_text(_cidds_bi_csv(seed=1))
    files[which].write_bytes(mutate(files[which].read_bytes(), mutations))
    code, out, err = run_quietly(["evaluate", "--real", str(files["real"]), "--synthetic", str(files["synthetic"]),
                                  "--metrics", "jsd,emd,pcd", "--repeats", "1", "--json"])
    assert_clean_outcome(code, err)
    if code == 0:
        import json

        values = json.loads(out)
        assert all(np.isfinite(v) and v >= 0 for v in values.values()), values


# ---- datasets convert ------------------------------------------------------------------------------
LOGS = {"ctu": (BINETFLOW, b","), "zeek-tsv": (ZEEK_TSV, b"\t"), "zeek-json": (ZEEK_JSON, b","),
        "csv": (_cidds_bi_csv(), b","), "ugr16": (UGR16_NETSHARE, b","), "hdfs": (HDFS_STRUCTURED, b",")}
FORMATS = {"ctu": "ctu", "zeek-tsv": "zeek", "zeek-json": "zeek", "csv": "csv", "ugr16": "ugr16", "hdfs": "hdfs"}


@EXAMPLES
@given(kind=st.sampled_from(sorted(LOGS)), auto=st.booleans(), mutations=TEXT_MUTATIONS)
@example(kind="zeek-tsv", auto=False, mutations=[("cell", 8, 9, "1e308")])
@example(kind="zeek-tsv", auto=False, mutations=[("cell", 8, 0, "9" * 25)])    # OverflowError inside pandas
@example(kind="zeek-json", auto=True, mutations=[("cell", 1, 0, '{"ts":1e300')])
@example(kind="ctu", auto=True, mutations=[("cell", 2, 12, "-1")])
def test_convert_on_malformed_logs(tmp_path, kind, auto, mutations):
    text, sep = LOGS[kind]
    data = tmp_path / "input.log"
    data.write_bytes(mutate(text.encode(), mutations, sep))
    out = tmp_path / "out.csv"
    out.unlink(missing_ok=True)
    code, _, err = run_quietly(["datasets", "convert", str(data), "--format", "auto" if auto else FORMATS[kind],
                                "-o", str(out)])
    assert_clean_outcome(code, err, out)


@pytest.fixture(scope="module")
def dpkt():
    return pytest.importorskip("dpkt")


@EXAMPLES
@given(track=st.sampled_from(["flows", "packets"]), mutations=BINARY_MUTATIONS)
def test_convert_on_malformed_captures(tmp_path, dpkt, track, mutations):
    capture = tmp_path / "capture.pcap"
    capture.write_bytes(mutate(_pcap(), mutations))
    out = tmp_path / "out.csv"
    out.unlink(missing_ok=True)
    code, _, err = run_quietly(["datasets", "convert", str(capture), "--format", "pcap", "--track", track,
                                "-o", str(out)])
    assert_clean_outcome(code, err, out)


def test_the_unmutated_seeds_are_valid(tmp_path, dpkt):
    """The fuzzers start from files every reader accepts, so a refusal is the mutation's doing."""
    for kind, (text, _) in LOGS.items():
        path = tmp_path / f"{kind}.log"
        path.write_text(text)
        code, _, err = run_quietly(["datasets", "convert", str(path), "--format", FORMATS[kind],
                                    "-o", str(tmp_path / f"{kind}.csv")])
        assert code == 0, (kind, err)
    capture = tmp_path / "capture.pcap"
    capture.write_bytes(_pcap())
    for track in ("flows", "packets"):
        code, _, err = run_quietly(["datasets", "convert", str(capture), "--format", "pcap", "--track", track,
                                    "-o", str(tmp_path / f"{track}.csv")])
        assert code == 0, (track, err)

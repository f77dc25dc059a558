"""Flows -> packets -> pcap -> flows: the written capture reads back as the flows it was written from.

Checked three ways: the project's flow assembler (per flow packets and bytes exact, duration within
1 ms), tshark (no malformed packet, no checksum error, at the link/IP/transport layers) and Argus
(the tool behind the CTU binetflow files: its flows, read by our ``ctu`` loader, count the same).
The external tools are skipped when absent (``.ci/run`` installs them).
"""
from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("dpkt")

from secgen_bench.datasets.pcap import flows_table, read_capture  # noqa: E402
from secgen_bench.datasets.schemas import PCAP_FLOWS  # noqa: E402
from secgen_bench.packet_conditions import ConditionMismatch, check_conditioned  # noqa: E402
from secgen_bench.packet_template import template_packets  # noqa: E402
from secgen_bench.pcap_writer import PcapWriter, expected_flows, flow_endpoints, write_pcap  # noqa: E402

KEY = ["proto", "src_ip", "src_port", "dst_ip", "dst_port"]
TRANSPORT_LAYERS = {"frame", "eth", "ethertype", "ip", "ipv6", "tcp", "udp", "icmp", "icmpv6"}


def _flows(n: int = 60, seed: int = 3) -> pd.DataFrame:
    """A pcap-schema flow table with TCP/UDP/ICMP/GRE, IPv4 and IPv6, one-sided and empty-payload flows."""
    rng = np.random.default_rng(seed)
    proto = rng.choice(["TCP", "TCP", "UDP", "ICMP", "GRE"], n)
    v6 = rng.random(n) < 0.25
    src = [f"2001:db8::{i + 1:x}" if v else f"10.0.{i // 200}.{i % 200 + 1}" for i, v in enumerate(v6)]
    dst = ["2001:db8:1::1" if v else "192.0.2.7" for v in v6]
    out_p = rng.integers(1, 30, n)
    in_p = np.where(rng.random(n) < 0.2, 0, rng.integers(1, 30, n))
    ip = np.where(v6, 40, 20)
    head = ip + np.select([proto == "TCP", proto == "UDP", proto == "ICMP"], [20, 8, 8], 0)
    out_b = out_p * head + np.where(rng.random(n) < 0.3, 0, rng.integers(0, 3000, n))
    in_b = in_p * head + np.where(in_p > 0, rng.integers(0, 90000, n), 0)
    table = pd.DataFrame({
        "ts": pd.Timestamp("2024-01-01") + pd.to_timedelta(np.sort(rng.uniform(0, 600, n)), unit="s"),
        "proto": proto, "src_ip": src, "src_port": rng.integers(1024, 65536, n),
        "dst_ip": dst, "dst_port": rng.choice([22, 53, 80, 443], n),
        "out_bytes": out_b, "in_bytes": in_b, "out_packets": out_p, "in_packets": in_p,
        "duration": np.round(rng.uniform(0, 30, n), 6), "flags": "......",
    })
    table.loc[proto == "GRE", ["src_port", "dst_port"]] = 0
    table.loc[proto == "ICMP", ["src_port", "dst_port"]] = 0
    return PCAP_FLOWS.validate(table, "test")


def _write(tmp_path, flows, schema, seed=0):
    endpoints, notes = flow_endpoints(flows, schema, seed=seed)
    packets = template_packets(endpoints)
    check_conditioned(packets, endpoints, who="template")
    path = tmp_path / "out.pcap"
    return path, write_pcap(path, endpoints, packets, seed=seed), notes


def _compare(path, written) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(expected, read back) flows joined on 5-tuple and start; asserts every flow came back once."""
    flows, _ = read_capture(path, max_packets=0)
    back = flows_table(flows, str(path))
    want = expected_flows(written.endpoints)
    want["start_us"] = written.endpoints["start_us"].to_numpy()
    back["start_us"] = back["ts"].astype("int64") // 1000
    merged = want.merge(back, on=KEY + ["start_us"], how="outer", suffixes=("", "_back"), indicator=True)
    return want, merged


def _assert_exact(merged: pd.DataFrame, rows=None) -> None:
    m = merged if rows is None else merged[rows]
    assert (m["_merge"] == "both").all(), m[m["_merge"] != "both"].head()
    for col in ("out_packets", "in_packets", "out_bytes", "in_bytes"):
        bad = m[m[col] != m[f"{col}_back"]]
        assert bad.empty, f"{col}: {bad[[*KEY, col, col + '_back']].head()}"
    assert (np.abs(m["duration"] - m["duration_back"]) <= 1e-3).all()


def test_every_flow_reads_back_exactly(tmp_path):
    flows = _flows()
    path, written, notes = _write(tmp_path, flows, PCAP_FLOWS)
    assert notes["flows whose bytes do not cover their headers (payload 0)"] == 0
    assert written.frames == int(flows["out_packets"].sum() + flows["in_packets"].sum())
    _, merged = _compare(path, written)
    assert len(merged) == len(flows)
    _assert_exact(merged)


def test_timestamps_monotone_and_tcp_sequence_consistent(tmp_path):
    import dpkt

    path, _, _ = _write(tmp_path, _flows(40, seed=5), PCAP_FLOWS)
    last, next_seq = -1.0, {}
    with open(path, "rb") as fh:
        for ts, frame in dpkt.pcap.Reader(fh):
            assert ts >= last
            last = ts
            ip = dpkt.ethernet.Ethernet(frame).data
            tcp = ip.data
            if not isinstance(tcp, dpkt.tcp.TCP):
                continue
            side, peer = (ip.src, tcp.sport, ip.dst, tcp.dport), (ip.dst, tcp.dport, ip.src, tcp.sport)
            if side in next_seq:
                assert tcp.seq == next_seq[side]        # no gap, no overlap
            if tcp.flags & dpkt.tcp.TH_ACK and peer in next_seq:
                assert tcp.ack == next_seq[peer]        # acknowledges everything the peer sent
            next_seq[side] = (tcp.seq + len(tcp.data) + bool(tcp.flags & dpkt.tcp.TH_SYN)
                              + bool(tcp.flags & dpkt.tcp.TH_FIN)) % 2**32
            assert set(tcp.data) <= {0}                 # zero payload bytes


def test_bytes_below_headers_are_counted_not_hidden():
    flows = _flows(10)
    flows.loc[0, ["out_bytes", "out_packets"]] = [10, 3]      # 3 TCP/UDP packets cannot fit in 10 bytes
    endpoints, notes = flow_endpoints(flows, PCAP_FLOWS)
    assert notes["flows whose bytes do not cover their headers (payload 0)"] == 1
    assert (endpoints[["out_payload", "in_payload"]] >= 0).all().all()


def test_reused_five_tuple_gets_a_new_source_port(tmp_path):
    flows = _flows(6)
    flows["proto"], flows["src_ip"], flows["dst_ip"] = "UDP", "10.0.0.1", "10.0.0.2"
    flows["src_port"], flows["dst_port"] = 5000, 53
    flows["ts"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(6) * 10.0, unit="s")
    path, written, _ = _write(tmp_path, PCAP_FLOWS.validate(flows, "t"), PCAP_FLOWS)
    assert written.notes["source ports changed (5-tuple still in use)"] == 5
    _, merged = _compare(path, written)
    _assert_exact(merged)


def test_flows_out_of_order_and_unwritable_path_are_errors(tmp_path):
    endpoints, _ = flow_endpoints(_flows(4), PCAP_FLOWS)
    rows = endpoints.to_dict("records")
    with PcapWriter(tmp_path / "a.pcap") as writer:
        writer.add_flow(rows[1], ["out"], ["S"], [0], [0.0])
        with pytest.raises(ValueError, match="start order"):
            writer.add_flow(rows[0], ["out"], ["S"], [0], [0.0])
    with pytest.raises(FileNotFoundError):
        PcapWriter(tmp_path / "no" / "such" / "dir.pcap")
    with pytest.raises(ConditionMismatch, match="no packets for flow"):
        write_pcap(tmp_path / "b.pcap", endpoints, template_packets(endpoints).iloc[0:0])


def _dataset(name):
    from secgen_bench import registry

    try:
        return registry.datasets.get(name)().load(seed=0, profile="quick")
    except Exception as exc:          # the real sample is absent
        pytest.skip(f"{name} unavailable: {exc}")


@pytest.mark.parametrize("name", ["simnet", "cidds001-bi"])
def test_real_flow_tables_read_back(tmp_path, name):
    """Every flow comes back; exact for all but those the notes name (bytes below headers, a gap
    longer than the idle timeout, a UDP flow with no initiator packets whose service port is as high
    as the client's: the reader cannot tell it was the answer)."""
    data = _dataset(name)
    flows = data.table.iloc[:1500]
    path, written, notes = _write(tmp_path, flows, data.schema)
    want, merged = _compare(path, written)
    gaps = written.endpoints["duration"] / np.maximum(written.endpoints[["out_packets", "in_packets"]].sum(1) - 1, 1)
    clean = written.endpoints.assign(gap=gaps)
    ok = (clean["gap"] < 120) & ~((clean["out_packets"] == 0) & (clean["proto"] == "UDP")
                                  & (clean["dst_port"] >= 49152) & (clean["src_port"] >= 49152))
    keys = set(map(tuple, clean.loc[ok, KEY + ["start_us"]].to_numpy().tolist()))
    rows = merged[KEY + ["start_us"]].apply(tuple, axis=1).isin(keys)
    assert rows.sum() >= 0.9 * len(want)
    _assert_exact(merged, rows)


def _tshark_problems(path, tmp_path) -> list[str]:
    """Malformed packets and errors tshark reports with checksum validation on, application dissectors off
    (payloads are zeros: a MySQL dissector reading zeros is not a header fault)."""
    cfg = tmp_path / "wireshark"
    cfg.mkdir()
    names = subprocess.run(["tshark", "-G", "protocols"], capture_output=True, text=True, check=True).stdout
    protos = {line.split("\t")[2] for line in names.splitlines() if line.count("\t") >= 2}
    (cfg / "disabled_protos").write_text("\n".join(sorted(p for p in protos - TRANSPORT_LAYERS
                                                          if not p.startswith("_ws"))) + "\n")
    out = subprocess.run(["tshark", "-r", str(path), "-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE",
                          "-o", "udp.check_checksum:TRUE", "-Y", "_ws.malformed || _ws.expert.severity >= error"],
                         capture_output=True, text=True, env={"WIRESHARK_CONFIG_DIR": str(cfg), "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    return [line for line in out.stdout.splitlines() if line.strip()]


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark not installed")
def test_tshark_finds_no_malformed_packet_or_checksum_error(tmp_path):
    path, written, _ = _write(tmp_path, _flows(80, seed=11), PCAP_FLOWS)
    assert written.frames > 500
    assert _tshark_problems(path, tmp_path) == []


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark not installed")
def test_tshark_sees_a_broken_checksum(tmp_path):
    """The check above can fail: one flipped TCP checksum byte is reported."""
    import dpkt

    path, _, _ = _write(tmp_path, _flows(5, seed=2), PCAP_FLOWS)
    with open(path, "rb") as fh:
        frames = list(dpkt.pcap.Reader(fh))
    broken = tmp_path / "broken.pcap"
    with open(broken, "wb") as fh:
        writer = dpkt.pcap.Writer(fh)
        broke = 0
        for ts, frame in frames:
            eth = dpkt.ethernet.Ethernet(frame)
            if not broke and isinstance(eth.data.data, dpkt.tcp.TCP):
                eth.data.data.sum ^= 0x0101
                broke += 1
            writer.writepkt(bytes(eth), ts=ts)
    assert broke == 1
    assert _tshark_problems(broken, tmp_path)


@pytest.mark.skipif(shutil.which("argus") is None or shutil.which("racluster") is None,
                    reason="argus / argus-client not installed")
def test_argus_flows_read_by_the_ctu_loader_count_the_same(tmp_path):
    from secgen_bench.datasets.ctu import read_binetflow

    flows = _flows(80, seed=13)
    path, written, _ = _write(tmp_path, flows, PCAP_FLOWS)
    subprocess.run(["argus", "-r", str(path), "-w", str(tmp_path / "f.argus")], check=True, capture_output=True)
    (tmp_path / "rarc").write_text('RA_TIME_FORMAT="%Y/%m/%d %T.%f"\n')
    fields = "stime dur proto saddr sport dir daddr dport state stos dtos pkts bytes sbytes".split()
    out = subprocess.run(["racluster", "-F", str(tmp_path / "rarc"), "-r", str(tmp_path / "f.argus"), "-n", "-c", ",",
                          "-s", *fields, "-", "ip", "or", "ipv6"], check=True, capture_output=True, text=True)
    (tmp_path / "f.binetflow").write_text(out.stdout)
    table, _ = read_binetflow(tmp_path / "f.binetflow")
    assert len(table) == len(flows)
    assert int(table["TotPkts"].sum()) == written.frames


def test_a_packet_over_the_ip_limit_is_refused(tmp_path):
    endpoints, _ = flow_endpoints(_flows(2), PCAP_FLOWS)
    row = endpoints.to_dict("records")[0]
    with PcapWriter(tmp_path / "big.pcap") as writer:
        with pytest.raises(ConditionMismatch, match="at most"):
            writer.add_flow(row, ["out"], ["S"], [70000], [0.0])


def test_real_packets_survive_a_capture_unchanged(tmp_path, shared_data):
    """The packets of a real capture, written and re-extracted: every packet's direction, flags, size and
    service equal, inter-arrival times within a microsecond (what a pcap row of the packets board scores)."""
    from secgen_bench.datasets.pcap import packet_sequences
    from secgen_bench.pcap_writer import packets_via_pcap

    capture = shared_data / "pcaps" / "test-cc-capture-1.pcap"
    if not capture.exists():
        pytest.skip("capture absent")
    real = packet_sequences(capture).table.reset_index(drop=True)
    back = packets_via_pcap(real, tmp_path / "again.pcap").reset_index(drop=True)
    assert back["flow_id"].nunique() == real["flow_id"].nunique() and len(back) == len(real)
    for col in ("direction", "flags", "size", "service"):
        assert (back[col].astype(str) == real[col].astype(str)).all(), col
    assert np.abs(back["iat"].to_numpy() - real["iat"].to_numpy()).max() <= 1.5e-6


def test_the_packets_board_has_a_pcap_row_and_the_flows_board_not():
    from secgen_bench.runner.plan import PCAP, UNRANKED
    from secgen_bench.tracks.flows import FLOWS
    from secgen_bench.tracks.packets import PACKETS as PACKETS_TRACK

    assert PCAP in UNRANKED
    assert PACKETS_TRACK.unranked_rows() == ("reference", "bootstrap", PCAP)
    assert PCAP not in FLOWS.unranked_rows()


def test_a_per_flow_label_rides_along(tmp_path):
    from secgen_bench.pcap_writer import packets_via_pcap

    flows = _flows(8, seed=1)
    endpoints, _ = flow_endpoints(flows, PCAP_FLOWS)
    packets = template_packets(endpoints)
    packets["label"] = packets["flow_id"].map({fid: f"L{i}" for i, fid in enumerate(endpoints["flow_id"])})
    back = packets_via_pcap(packets, tmp_path / "l.pcap")
    first = back.groupby("flow_id", sort=False)["label"].first()
    assert list(first) == [f"L{i}" for i in range(len(endpoints))]


def test_responder_only_udp_and_icmp_flows_and_icmp_sizes_read_back(tmp_path):
    """A UDP or ICMP flow with no initiator packets (CIDDS has 595 UDP and 1 ICMP of them in 8,130) comes
    back the same way round (the answer from the service port, an echo reply), and ICMP packet sizes come
    back as written (the payload after the 8-byte ICMP header, the writer's convention)."""
    from secgen_bench.pcap_writer import packets_via_pcap

    flows = _flows(60, seed=3)
    one_sided = flows.index[flows["proto"].isin(["UDP", "ICMP"])][::2]
    flows.loc[one_sided, "out_bytes"] = 0
    flows.loc[one_sided, "out_packets"] = 0
    flows.loc[one_sided, "in_packets"] = flows.loc[one_sided, "in_packets"].clip(lower=2)   # one packet cannot span a duration
    flows.loc[one_sided, "in_bytes"] = flows.loc[one_sided, "in_packets"] * 60 + 100
    assert len(one_sided) >= 5
    path, written, _ = _write(tmp_path, flows, PCAP_FLOWS)
    _, merged = _compare(path, written)
    _assert_exact(merged)
    packets = template_packets(written.endpoints)
    back = packets_via_pcap(packets, tmp_path / "p.pcap").reset_index(drop=True)
    assert len(back) == len(packets) and (packets["service"].str.startswith("ICMP")).any()
    for col in ("direction", "size", "service"):
        assert (back[col].astype(str).to_numpy() == packets[col].astype(str).to_numpy()).all(), col

"""Packet captures (pcap, pcapng) -> bidirectional flows and per-flow packet sequences.

Parsing uses dpkt (extra ``pcap``). A flow is keyed by protocol and the
unordered pair of (IP, port) endpoints; its initiator is the sender of the
first packet seen, except that the *receiver* is the initiator when that first
packet is a TCP SYN+ACK, an ICMP/ICMPv6 echo reply, or a UDP datagram sent from
a port of a lower IANA range (well-known < 1024, registered < 49152, dynamic)
than its destination port (a server's answer whose request was not captured,
or a flow record with no initiator packets written by :mod:`secgen_bench.pcap_writer`).
TCP without SYN+ACK keeps the first sender: mid-stream TCP flows are read as before.
A packet's size is its transport payload: after the TCP/UDP header, and after
the 8-byte ICMP header (type, code, checksum, identifier/sequence or rest of header),
the convention the pcap writer uses. A flow ends after ``idle_timeout`` seconds without
packets, or when TCP closes it (RST, or FIN seen from both sides): a later
packet with the same key starts a new flow, except a bare ACK within one
second of the close (the last ACK of the FIN handshake).

``load()`` returns the flows (schema ``pcap``: IP-level bytes per direction,
CIDDS-style flags ``.AP.SF``); :func:`packet_sequences` returns, per flow,
one row per packet (schema ``packets``: direction, TCP flags like ``SA``,
transport payload size, inter-arrival time). Frames that carry no IPv4/IPv6
(ARP, LLC, ...) are skipped and counted in ``meta["dropped"]``; a capture
with no IP packet at all is an error.
"""
from __future__ import annotations

import socket
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from secgen_bench.datasets import common as cm
from secgen_bench.datasets.base import Dataset, LoadedData
from secgen_bench.datasets.schemas import PACKETS, PCAP_FLOWS

PCAP_MAGICS = {b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d"}
PCAPNG_MAGIC = b"\x0a\x0d\x0d\x0a"
PROTO_NAMES = {6: "TCP", 17: "UDP", 1: "ICMP", 58: "ICMP6", 2: "IGMP", 47: "GRE", 50: "ESP", 132: "SCTP"}
CIDDS_FLAGS = ((0x20, "U"), (0x10, "A"), (0x08, "P"), (0x04, "R"), (0x02, "S"), (0x01, "F"))
ICMP_HEADER = 8                       # type, code, checksum + 4 bytes (echo: identifier, sequence)
ICMP_ECHO_REPLIES = {0, 129}          # ICMP echo reply, ICMPv6 echo reply
SHORT_FLAGS = ((0x01, "F"), (0x02, "S"), (0x04, "R"), (0x08, "P"), (0x10, "A"), (0x20, "U"), (0x40, "E"), (0x80, "C"))


@dataclass
class _Flow:
    key: tuple
    proto: int
    client: tuple
    server: tuple
    first: float
    last: float
    out_bytes: int = 0
    in_bytes: int = 0
    out_packets: int = 0
    in_packets: int = 0
    flags: int = 0
    fin_out: bool = False
    fin_in: bool = False
    closed_at: float | None = None
    packets: list = field(default_factory=list)   # (ts, direction, tcp flags, payload size)


def _ip_of(frame, datalink: int):
    """The IPv4/IPv6 layer of a frame, or None (non-IP)."""
    import dpkt

    try:
        if datalink == 1:
            layer = dpkt.ethernet.Ethernet(frame).data
        elif datalink == 113:
            layer = dpkt.sll.SLL(frame).data
        elif datalink == 276:
            layer = dpkt.sll2.SLL2(frame).data
        elif datalink in (0, 108):
            layer = dpkt.loopback.Loopback(frame).data
        elif datalink in (12, 14, 101, 228, 229):
            layer = dpkt.ip6.IP6(frame) if frame[:1] and frame[0] >> 4 == 6 else dpkt.ip.IP(frame)
        else:
            return None
    except (dpkt.UnpackError, IndexError, ValueError):
        return "malformed"
    while hasattr(layer, "data") and layer.__class__.__name__ in ("VLANtag8021Q", "VLAN"):
        layer = layer.data
    return layer if isinstance(layer, (dpkt.ip.IP, dpkt.ip6.IP6)) else None


def _reader(path: Path, fh):
    import dpkt

    magic = cm.head_bytes(path, 4)
    try:
        if magic == PCAPNG_MAGIC:
            return dpkt.pcapng.Reader(fh), "pcapng"
        if magic in PCAP_MAGICS:
            return dpkt.pcap.Reader(fh), "pcap"
    except (ValueError, dpkt.UnpackError) as exc:
        raise cm.DataFormatError(f"{path}: unreadable capture header ({exc})") from None
    raise cm.DataFormatError(f"{path}: not a pcap or pcapng file (magic {magic.hex() or 'empty'})")


def _flags(bits: int, table) -> str:
    return "".join(ch for bit, ch in table if bits & bit)


def read_capture(path: str | Path, *, idle_timeout: float = 120.0, max_packets: int | None = None) -> tuple[list[_Flow], dict]:
    """Parse a capture into flows (each with its packet list)."""
    import dpkt

    path = cm.existing_file(path)
    dropped = {"non-IP frames": 0, "malformed frames": 0, "frames with impossible timestamps": 0}
    active: dict[tuple, _Flow] = {}
    done: list[_Flow] = []
    n_frames = 0
    with open(path, "rb") as fh:
        reader, kind = _reader(path, fh)
        datalink = reader.datalink()
        try:
            for ts, frame in reader:
                n_frames += 1
                if not 0 <= ts < 9e9:                 # e.g. a pcapng interface whose time resolution dpkt misreads
                    dropped["frames with impossible timestamps"] += 1
                    continue
                ip = _ip_of(frame, datalink)
                if ip is None or ip == "malformed":
                    dropped["non-IP frames" if ip is None else "malformed frames"] += 1
                    continue
                _add_packet(ip, float(ts), active, done, idle_timeout, max_packets)
        except (dpkt.UnpackError, ValueError, struct_error()) as exc:
            raise cm.DataFormatError(f"{path}: corrupt record after frame {n_frames} ({exc})") from None
    if kind == "pcap":
        _check_complete(path)
    done.extend(active.values())
    if not done:
        raise cm.DataFormatError(f"{path}: no IPv4/IPv6 packets in {n_frames} frames (link type {datalink})")
    done.sort(key=lambda f: (f.first, f.key))
    meta = {"source": str(path), "format": kind, "frames": n_frames, "flows": len(done),
            "dropped": {k: v for k, v in dropped.items() if v}, "idle_timeout_s": idle_timeout}
    return done, meta


def _check_complete(path: Path) -> None:
    """dpkt stops silently at a cut-off record; walk the record headers to report it."""
    import struct

    size = path.stat().st_size
    with open(path, "rb") as fh:
        magic = fh.read(4)
        endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
        pos, n = 24, 0
        while pos < size:
            fh.seek(pos)
            header = fh.read(16)
            caplen = struct.unpack(endian + "IIII", header)[2] if len(header) == 16 else None
            if caplen is None or pos + 16 + caplen > size:
                raise cm.DataFormatError(f"{path}: truncated capture: record {n + 1} cut off at byte {pos} of {size}")
            pos += 16 + caplen
            n += 1


def struct_error():
    import struct

    return struct.error


def _add_packet(ip, ts: float, active: dict, done: list, idle_timeout: float, max_packets: int | None) -> None:
    import dpkt

    proto = ip.p if isinstance(ip, dpkt.ip.IP) else ip.nxt
    family = socket.AF_INET if isinstance(ip, dpkt.ip.IP) else socket.AF_INET6
    src, dst = socket.inet_ntop(family, ip.src), socket.inet_ntop(family, ip.dst)
    l4 = ip.data
    sport = dport = 0
    tcp_bits, payload = 0, 0
    reply = False                     # the first packet answers a request (the receiver initiated)
    if isinstance(l4, (dpkt.tcp.TCP, dpkt.udp.UDP)):
        sport, dport = l4.sport, l4.dport
        payload = len(l4.data)
        if isinstance(l4, dpkt.tcp.TCP):
            tcp_bits = l4.flags
            reply = tcp_bits & 0x12 == 0x12
        else:
            reply = _port_range(sport) < _port_range(dport)
    elif proto in (1, 58):            # ICMP, ICMPv6 (raw bytes when dpkt could not parse the message)
        payload = max((len(l4) if isinstance(l4, (bytes, bytearray)) else len(bytes(l4))) - ICMP_HEADER, 0)
        reply = isinstance(l4, (dpkt.icmp.ICMP, dpkt.icmp6.ICMP6)) and l4.type in ICMP_ECHO_REPLIES
    else:
        payload = len(l4) if isinstance(l4, (bytes, bytearray)) else len(bytes(l4))
    size = len(ip)
    a, b = (src, sport), (dst, dport)
    key = (proto,) + ((a, b) if a <= b else (b, a))
    flow = active.get(key)
    if flow is not None:
        expired = ts - flow.last > idle_timeout
        closed = flow.closed_at is not None and not (tcp_bits == 0x10 and ts - flow.closed_at <= 1.0)
        if expired or closed:
            done.append(active.pop(key))
            flow = None
    if flow is None:
        client, server = (b, a) if reply else (a, b)
        flow = _Flow(key, proto, client, server, ts, ts)
        active[key] = flow
    out = a == flow.client
    flow.last = max(flow.last, ts)
    if out:
        flow.out_bytes += size
        flow.out_packets += 1
    else:
        flow.in_bytes += size
        flow.in_packets += 1
    flow.flags |= tcp_bits
    if proto == 6:
        flow.fin_out |= bool(out and tcp_bits & 0x01)
        flow.fin_in |= bool(not out and tcp_bits & 0x01)
        if flow.closed_at is None and (tcp_bits & 0x04 or (flow.fin_out and flow.fin_in)):
            flow.closed_at = ts
    if max_packets is None or len(flow.packets) < max_packets:
        flow.packets.append((ts, "out" if out else "in", tcp_bits, payload))


def _port_range(port: int) -> int:
    """IANA port range: 0 well-known (< 1024), 1 registered (< 49152), 2 dynamic; servers sit in the lower."""
    return 0 if port < 1024 else 1 if port < 49152 else 2


def _proto_name(p: int) -> str:
    return PROTO_NAMES.get(p, str(p))


def flows_table(flows: list[_Flow], source: str) -> pd.DataFrame:
    table = pd.DataFrame({
        "ts": pd.to_datetime(np.round(np.array([f.first for f in flows]) * 1e6).astype("int64"), unit="us"),
        "proto": [_proto_name(f.proto) for f in flows],
        "src_ip": [f.client[0] for f in flows], "src_port": [f.client[1] for f in flows],
        "dst_ip": [f.server[0] for f in flows], "dst_port": [f.server[1] for f in flows],
        "out_bytes": [f.out_bytes for f in flows], "in_bytes": [f.in_bytes for f in flows],
        "out_packets": [f.out_packets for f in flows], "in_packets": [f.in_packets for f in flows],
        "duration": [round(f.last - f.first, 6) for f in flows],
        "flags": ["".join(ch if f.flags & bit else "." for bit, ch in CIDDS_FLAGS) for f in flows],
    })
    return PCAP_FLOWS.validate(cm.sort_by_time(table, "ts"), source)


def sequences_table(flows: list[_Flow], source: str) -> pd.DataFrame:
    ids, service, direction, flags, size, iat = [], [], [], [], [], []
    for n, f in enumerate(flows):
        name = f"{_proto_name(f.proto)}/{f.server[1]}"
        prev = None
        for ts, d, bits, payload in f.packets:
            ids.append(f"flow{n}")
            service.append(name)
            direction.append(d)
            flags.append(_flags(bits, SHORT_FLAGS) or "-" if f.proto == 6 else "-")
            size.append(payload)
            iat.append(0.0 if prev is None else max(ts - prev, 0.0))
            prev = ts
    table = pd.DataFrame({"flow_id": ids, "service": service, "direction": direction, "flags": flags,
                          "size": size, "iat": np.round(iat, 6)})
    return PACKETS.validate(table, source)


def packet_sequences(path: str | Path, *, idle_timeout: float = 120.0, max_packets: int | None = None) -> LoadedData:
    """Per-flow packet sequences of a capture (schema ``packets``); flow ids ``flow<N>`` follow flow order."""
    flows, meta = read_capture(path, idle_timeout=idle_timeout, max_packets=max_packets)
    table = sequences_table(flows, str(path))
    meta.update(rows=len(table), max_packets=max_packets)
    return LoadedData(table, PACKETS, meta)


class Pcap(Dataset):
    """Bidirectional flows from a pcap/pcapng capture (packet sequences via packet_sequences())."""

    name = "pcap"
    version = "1.0"
    description = "pcap/pcapng capture -> bidirectional flows (dpkt); packet sequences via packet_sequences()"
    requires = ("dpkt",)
    extra = "pcap"
    needs_path = True
    sample_file = ("pcaps", "test-cc-capture-1.pcap")
    file_hint = "a capture file"

    def load(self, path: str | Path | None = None, *, seed: int = 0, profile: str = "default",
             idle_timeout: float = 120.0) -> LoadedData:
        path = self.default_path() if path is None else path
        flows, meta = read_capture(path, idle_timeout=idle_timeout, max_packets=0)
        table = flows_table(flows, str(path))
        meta.update(dataset=self.name, rows=len(table))
        return LoadedData(table, PCAP_FLOWS, meta)

    def load_view(self, track: str, path: str | Path | None = None, *, seed: int = 0,
                  profile: str = "default") -> LoadedData:
        if track != "packets":
            return super().load_view(track, path, seed=seed, profile=profile)
        return packet_sequences(self.default_path() if path is None else path)

    @classmethod
    def sniff(cls, path: Path) -> bool:
        magic = cm.head_bytes(path, 4)
        return magic in PCAP_MAGICS or magic == PCAPNG_MAGIC

"""Flows + their packets -> a pcap file: the last step of the flows -> packets -> capture pipeline.

Neutral ground, like :mod:`secgen_bench.packet_conditions` (it imports no generator). Two halves:

- :func:`flow_endpoints` reads a flows table through its schema (roles, not names) into one row
  per flow: protocol, addresses, ports, start time, and the :data:`CONDITION_COLUMNS` a packet
  generator needs. Byte counters are IP-level in NetFlow, Argus, CIDDS and our pcap assembler
  (``len(ip)``), so the conditions' payload is ``bytes - packets * (IP + transport header)``
  (20/40 bytes IPv4/IPv6; TCP 20, UDP 8, ICMP 8, other protocols 0); Zeek's BYTES columns count
  payload already, so nothing is removed there. A flow whose bytes do not cover its headers gets
  payload 0 (counted in ``meta``: its written bytes differ from the record).
- :class:`PcapWriter` streams frames to disk: flows are added in start order with their packets
  (direction, flags, payload size, inter-arrival time), a heap interleaves the packets of the flows
  still active, and each frame is written as soon as no earlier one can come, so memory holds the
  active flows only. Frames: Ethernet II, IPv4 or IPv6, TCP/UDP/ICMP (ICMPv6 for IPv6) headers
  with their real lengths and checksums (dpkt computes them); TCP sequence numbers start at a
  seeded ISN per direction and advance by payload + SYN + FIN, acknowledgements carry the peer's
  next sequence number when the ACK flag is set. The TCP flags are the packets' own (the packet
  generator's handshake and teardown are written as generated). **Payload bytes are zeros.**
  Timestamps are microseconds (classic pcap), flow start + cumulative inter-arrival times,
  non-decreasing in file order.

Addresses that are not IPs (CIDDS anonymises external hosts as tokens like ``11529_47``) get
addresses of 198.18.0.0/15 (RFC 2544's benchmarking range), one per token in first-seen order.
A missing source port gets a seeded ephemeral one (49152-65535); so does a flow whose 5-tuple is
still in use by an earlier flow within the assembler's idle timeout (they would merge on reading).
"""
from __future__ import annotations

import heapq
import ipaddress
import socket
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from secgen_bench.packet_conditions import CONDITION_COLUMNS, MAX_PACKET_PAYLOAD, ConditionMismatch
from secgen_bench.schema import FlowSchema, Role

IP_HEADER = {4: 20, 6: 40}
TRANSPORT_HEADER = {"TCP": 20, "UDP": 8, "ICMP": 8}
PROTO_NUMBERS = {"TCP": 6, "UDP": 17, "ICMP": 1, "ICMP6": 58, "IGMP": 2, "GRE": 47, "ESP": 50, "SCTP": 132}
PAYLOAD_BYTE_SCHEMAS = {"zeek"}          # schemas whose BYTES columns count payload, not IP-level bytes
IDLE_TIMEOUT_S = 120.0                   # the flow assembler's default (secgen_bench.datasets.pcap)
TOKEN_NET = ipaddress.ip_network("198.18.0.0/15")
TCP_BITS = {"F": 0x01, "S": 0x02, "R": 0x04, "P": 0x08, "A": 0x10, "U": 0x20, "E": 0x40, "C": 0x80}
ENDPOINT_COLUMNS = ("proto", "src_ip", "dst_ip", "src_port", "dst_port", "start_us")


def header_overhead(proto: str, version: int) -> int:
    """Bytes of IP + transport header per packet that a payload size does not count."""
    return IP_HEADER[version] + TRANSPORT_HEADER.get(proto, 0)


class _Addresses:
    """Flow-table addresses -> IP strings: real addresses kept, tokens mapped one-to-one into 198.18.0.0/15."""

    def __init__(self) -> None:
        self.tokens: dict[str, str] = {}

    def __call__(self, value) -> str:
        text = str(value).strip()
        try:
            return str(ipaddress.ip_address(text))
        except ValueError:
            pass
        if text.isdigit() and int(text) < 2**32:          # UGR'16 / NetShare write IPv4 as integers
            return str(ipaddress.IPv4Address(int(text)))
        if text not in self.tokens:
            if len(self.tokens) >= TOKEN_NET.num_addresses - 2:
                raise ConditionMismatch(f"more than {TOKEN_NET.num_addresses - 2} non-IP address tokens")
            self.tokens[text] = str(TOKEN_NET.network_address + len(self.tokens) + 1)
        return self.tokens[text]


def _one(schema: FlowSchema, role: Role, direction: str | None = None, required: bool = True) -> str | None:
    cols = [c.name for c in schema.columns if c.role is role and (direction is None or c.direction == direction)]
    if not cols and direction == "out":      # unidirectional schemas: the counters without a direction
        cols = [c.name for c in schema.columns if c.role is role and c.direction is None]
    if not cols and required:
        raise ConditionMismatch(f"schema {schema.name!r}: a pcap needs a {role.value} column"
                                + (f" ({direction})" if direction else ""))
    return cols[0] if cols else None


def _proto_name(value) -> str:
    text = str(value).strip().upper()
    if text.isdigit():
        return {v: k for k, v in PROTO_NUMBERS.items()}.get(int(text), text)
    if text == "IPV6-ICMP":
        return "ICMP6"
    return text


def flow_endpoints(flows: pd.DataFrame, schema: FlowSchema, *, seed: int = 0) -> tuple[pd.DataFrame, dict]:
    """One row per flow: :data:`ENDPOINT_COLUMNS` + :data:`CONDITION_COLUMNS`, in start order; plus notes.

    ``flow_id`` is ``f<N>`` with N the flow's row in ``flows``. The notes count the flows the capture
    cannot carry exactly as recorded (bytes below the headers) and the ports it assigned.
    """
    rng = np.random.default_rng(seed)
    ts_col = _one(schema, Role.TIMESTAMP)
    ips = schema.by_role(Role.IP)
    if len(ips) < 2:
        raise ConditionMismatch(f"schema {schema.name!r}: a pcap needs a source and a destination IP column")
    ports = schema.by_role(Role.PORT)
    src_port_col = next((c for c in ports if "src" in c.lower() or "sport" in c.lower() or "orig" in c.lower()), None)
    dst_port_col = next((c for c in ports if c != src_port_col), None)
    if dst_port_col is None:
        raise ConditionMismatch(f"schema {schema.name!r}: a pcap needs a destination port column")
    proto_col = _one(schema, Role.PROTOCOL)
    dur_col = _one(schema, Role.DURATION)
    pk = {d: _one(schema, Role.PACKETS, d, required=d == "out") for d in ("out", "in")}
    by = {d: _one(schema, Role.BYTES, d, required=d == "out") for d in ("out", "in")}
    n = len(flows)
    addr = _Addresses()
    src = [addr(v) for v in flows[ips[0]]]
    dst = [addr(v) for v in flows[ips[1]]]
    version = np.array([ipaddress.ip_address(a).version for a in src])
    dst_version = np.array([ipaddress.ip_address(a).version for a in dst])
    mixed = np.flatnonzero(version != dst_version)
    if len(mixed):
        raise ConditionMismatch(f"flow row {int(mixed[0])}: {src[mixed[0]]} and {dst[mixed[0]]} are not the same IP version")
    proto = np.array([_proto_name(v) for v in flows[proto_col]], dtype=object)
    proto = np.where((proto == "ICMP") & (version == 6), "ICMP6", proto)
    unknown = [p for p in set(proto) if p not in PROTO_NUMBERS and not str(p).isdigit()]
    if unknown:
        raise ConditionMismatch(f"column {proto_col!r}: unknown protocol {sorted(unknown)[0]!r}")
    has_ports = np.isin(proto, ["TCP", "UDP"])
    dport = np.where(has_ports, flows[dst_port_col].to_numpy(dtype=np.int64), 0)
    sport_given = src_port_col is not None
    sport = flows[src_port_col].to_numpy(dtype=np.int64) if sport_given else rng.integers(49152, 65536, n)
    sport = np.where(has_ports, sport, 0)
    packets = {d: (flows[pk[d]].to_numpy(dtype=np.int64) if pk[d] else np.zeros(n, np.int64)) for d in pk}
    raw_bytes = {d: (flows[by[d]].to_numpy(dtype=np.int64) if by[d] else np.zeros(n, np.int64)) for d in by}
    overhead = np.array([0 if schema.name in PAYLOAD_BYTE_SCHEMAS else header_overhead(_header_key(p), v)
                         for p, v in zip(proto, version)], dtype=np.int64)
    payload = {d: raw_bytes[d] - packets[d] * overhead for d in by}
    short = (payload["out"] < 0) | (payload["in"] < 0)
    over = (payload["out"] > packets["out"] * MAX_PACKET_PAYLOAD) | (payload["in"] > packets["in"] * MAX_PACKET_PAYLOAD)
    for d in by:
        payload[d] = np.clip(payload[d], 0, packets[d] * MAX_PACKET_PAYLOAD)   # IP's 64 KiB limit per packet
    start = flows[ts_col]
    start_us = (pd.to_datetime(start).astype("int64") // 1000).to_numpy() if ts_col else np.zeros(n, np.int64)
    table = pd.DataFrame({
        "flow_id": [f"f{i}" for i in range(n)],
        "service": [f"{_service_proto(p)}/{d}" for p, d in zip(proto, dport)],
        "out_packets": packets["out"], "in_packets": packets["in"],
        "out_payload": payload["out"], "in_payload": payload["in"],
        "duration": np.round(flows[dur_col].to_numpy(dtype=float), 6),
        "proto": proto, "src_ip": src, "dst_ip": dst, "src_port": sport, "dst_port": dport, "start_us": start_us,
    })
    empty = (table["out_packets"] + table["in_packets"]) == 0
    table = table[~empty].sort_values(["start_us", "flow_id"], kind="stable").reset_index(drop=True)
    notes = {"flows": n, "flows without packets (left out)": int(empty.sum()),
             "flows whose bytes do not cover their headers (payload 0)": int((short & ~empty.to_numpy()).sum()),
             "flows with more bytes than 64 KiB packets carry (payload cut)": int((over & ~empty.to_numpy()).sum()),
             "address tokens mapped into 198.18.0.0/15": len(addr.tokens),
             "source ports drawn (the schema has none)": 0 if sport_given else int(has_ports.sum())}
    return table[list(CONDITION_COLUMNS) + list(ENDPOINT_COLUMNS)], notes


def _header_key(proto: str) -> str:
    return "ICMP" if proto in ("ICMP", "ICMP6") else proto


def _service_proto(proto: str) -> str:
    """The protocol name the flow assembler puts in a service (it names ICMPv6 ``ICMP6``)."""
    return proto if proto in PROTO_NUMBERS else str(proto)


@dataclass(order=True)
class _Pending:
    ts_us: int
    order: int
    state: "_FlowState" = field(compare=False)


@dataclass
class _FlowState:
    row: dict
    times_us: np.ndarray
    out: np.ndarray
    flags: list
    sizes: np.ndarray
    at: int = 0
    seq: dict = field(default_factory=dict)


class PcapWriter:
    """Streams flows' packets into a classic pcap (Ethernet link type, microsecond timestamps).

    Call :meth:`add_flow` in non-decreasing start order, then :meth:`close` (or use it as a context
    manager). ``written`` counts frames; ``notes`` counts what had to change for the capture to read back.
    """

    def __init__(self, path: str | Path, *, seed: int = 0, idle_timeout: float = IDLE_TIMEOUT_S) -> None:
        import dpkt

        self.path = Path(path)
        self._fh = open(self.path, "wb")        # a failure names the file (the CLI prints it in one line)
        self._writer = dpkt.pcap.Writer(self._fh, linktype=dpkt.pcap.DLT_EN10MB)
        self._rng = np.random.default_rng(seed)
        self._heap: list[_Pending] = []
        self._order = 0
        self._last_start = -(2**62)
        self._last_written = -(2**62)
        self._busy_until: dict[tuple, int] = {}       # 5-tuple -> last packet time + idle timeout (us)
        self._idle_us = int(idle_timeout * 1e6) + 1_000_000
        self.written = 0
        self.changed_ports: dict[str, int] = {}       # flow_id -> the source port written instead of the record's
        self.notes = {"source ports changed (5-tuple still in use)": 0,
                      "flows sharing a 5-tuple within the idle timeout (no ports to change)": 0,
                      "flows with a gap longer than the idle timeout": 0,
                      "flows whose first packet is the responder's": 0}

    def __enter__(self) -> "PcapWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def add_flow(self, row: dict, direction, flags, size, iat) -> None:
        """One flow (a :func:`flow_endpoints` row) and its packets, in order (columns of the packets schema)."""
        start = int(row["start_us"])
        if start < self._last_start:
            raise ValueError(f"flow {row['flow_id']!r} starts before the previous flow: add flows in start order")
        self._last_start = start
        self._flush(start)
        iat_us = np.round(np.asarray(iat, dtype=float) * 1e6).astype(np.int64)
        if len(iat_us):
            iat_us[0] = 0
        times = start + np.cumsum(iat_us)
        if len(iat_us) > 1 and iat_us[1:].max() > self._idle_us - 1_000_000:
            self.notes["flows with a gap longer than the idle timeout"] += 1
        size = np.asarray(size, dtype=np.int64)
        if len(size) and size.max() > MAX_PACKET_PAYLOAD:
            raise ConditionMismatch(f"flow {row['flow_id']!r}: a packet of {int(size.max())} payload bytes "
                                    f"(one packet carries at most {MAX_PACKET_PAYLOAD})")
        out = np.asarray(direction, dtype=object) == "out"
        if len(out) and not out[0]:
            self.notes["flows whose first packet is the responder's"] += 1
        row = dict(row)
        self._free_tuple(row, start, int(times[-1]) if len(times) else start)
        state = _FlowState(row, times, out, list(flags), size)
        state.seq = {True: int(self._rng.integers(0, 2**32)), False: int(self._rng.integers(0, 2**32))}
        if len(times):
            self._push(state)

    def _free_tuple(self, row: dict, start: int, end: int) -> None:
        """Keep the assembler from merging this flow with an earlier one on the same 5-tuple."""
        def key():
            a, b = (row["src_ip"], int(row["src_port"])), (row["dst_ip"], int(row["dst_port"]))
            return (row["proto"],) + ((a, b) if a <= b else (b, a))

        if self._busy_until.get(key(), -1) >= start:
            if row["proto"] in ("TCP", "UDP"):
                for _ in range(64):
                    row["src_port"] = int(self._rng.integers(49152, 65536))
                    if self._busy_until.get(key(), -1) < start:
                        break
                self.notes["source ports changed (5-tuple still in use)"] += 1
                self.changed_ports[row["flow_id"]] = row["src_port"]
            else:
                self.notes["flows sharing a 5-tuple within the idle timeout (no ports to change)"] += 1
        self._busy_until[key()] = max(self._busy_until.get(key(), -1), end + self._idle_us)

    def _push(self, state: _FlowState) -> None:
        heapq.heappush(self._heap, _Pending(int(state.times_us[state.at]), self._order, state))
        self._order += 1

    def _flush(self, before_us: int | None) -> None:
        """Write every pending packet earlier than ``before_us`` (all of them when None)."""
        heap = self._heap
        while heap and (before_us is None or heap[0].ts_us < before_us):
            item = heapq.heappop(heap)
            state = item.state
            self._write(state, state.at, item.ts_us)
            state.at += 1
            if state.at < len(state.times_us):
                heapq.heappush(heap, _Pending(int(state.times_us[state.at]), item.order, state))

    def _write(self, state: _FlowState, i: int, ts_us: int) -> None:
        ts_us = max(ts_us, self._last_written)
        self._last_written = ts_us
        frame = build_frame(state.row, bool(state.out[i]), str(state.flags[i]), int(state.sizes[i]), state.seq)
        self._writer.writepkt(frame, ts=ts_us / 1e6)
        self.written += 1

    def close(self) -> None:
        if self._fh.closed:
            return
        self._flush(None)
        self._writer.close()


_MACS: dict[str, bytes] = {}


def _mac(ip: str) -> bytes:
    """A locally administered MAC per address (stable across runs)."""
    mac = _MACS.get(ip)
    if mac is None:
        packed = socket.inet_pton(socket.AF_INET6 if ":" in ip else socket.AF_INET, ip)
        mac = _MACS[ip] = b"\x02" + struct.pack(">I", int.from_bytes(packed, "big") & 0xFFFFFFFF) + b"\x00"
    return mac


def build_frame(row: dict, out: bool, flags: str, size: int, seq: dict) -> bytes:
    """One Ethernet frame of flow ``row``: ``out`` from the initiator; ``seq`` holds each side's next TCP sequence number."""
    import dpkt

    src, dst = (row["src_ip"], row["dst_ip"]) if out else (row["dst_ip"], row["src_ip"])
    sport, dport = (int(row["src_port"]), int(row["dst_port"])) if out else (int(row["dst_port"]), int(row["src_port"]))
    proto = row["proto"]
    payload = b"\x00" * size
    if proto == "TCP":
        bits = 0
        for ch in flags:
            bits |= TCP_BITS.get(ch, 0)
        ack = seq[not out] if bits & 0x10 else 0
        l4 = dpkt.tcp.TCP(sport=sport, dport=dport, seq=seq[out], ack=ack, flags=bits, win=65535, data=payload)
        seq[out] = (seq[out] + size + bool(bits & 0x02) + bool(bits & 0x01)) % 2**32
        number = 6
    elif proto == "UDP":
        l4 = dpkt.udp.UDP(sport=sport, dport=dport, data=payload)
        l4.ulen = 8 + size
        number = 17
    elif proto in ("ICMP", "ICMP6"):
        ident = seq[True] & 0xFFFF
        if proto == "ICMP":
            l4 = dpkt.icmp.ICMP(type=8 if out else 0, code=0, data=dpkt.icmp.ICMP.Echo(id=ident, seq=0, data=payload))
            number = 1
        else:
            l4 = dpkt.icmp6.ICMP6(type=128 if out else 129, code=0,
                                  data=dpkt.icmp6.ICMP6.Echo(id=ident, seq=0, data=payload))
            number = 58
    else:
        l4 = payload
        number = PROTO_NUMBERS.get(proto, int(proto) if str(proto).isdigit() else 0)
    if ":" in src:
        ip = dpkt.ip6.IP6(src=socket.inet_pton(socket.AF_INET6, src), dst=socket.inet_pton(socket.AF_INET6, dst),
                          nxt=number, hlim=64, data=l4)
        ip.plen = len(l4)
        eth_type = dpkt.ethernet.ETH_TYPE_IP6
    else:
        ip = dpkt.ip.IP(src=socket.inet_aton(src), dst=socket.inet_aton(dst), p=number, ttl=64, data=l4)  # len, sums: dpkt
        eth_type = dpkt.ethernet.ETH_TYPE_IP
    eth = dpkt.ethernet.Ethernet(src=_mac(src), dst=_mac(dst), type=eth_type, data=ip)
    return bytes(eth)


@dataclass
class WrittenCapture:
    frames: int
    notes: dict             # what had to change for the capture to read back (counts)
    endpoints: pd.DataFrame  # the flows as written (source ports changed where a 5-tuple was in use)


def write_pcap(path: str | Path, endpoints: pd.DataFrame, packets: pd.DataFrame, *, seed: int = 0) -> WrittenCapture:
    """Write the flows of ``endpoints`` (a :func:`flow_endpoints` table) with ``packets`` (packets-schema
    rows keyed by ``flow_id``) to ``path``."""
    order = packets.groupby("flow_id", sort=False).indices
    cols = [packets[c].to_numpy() for c in ("direction", "flags", "size", "iat")]
    with PcapWriter(path, seed=seed) as writer:
        for row in endpoints.to_dict("records"):
            rows = order.get(row["flow_id"])
            if rows is None:
                raise ConditionMismatch(f"no packets for flow {row['flow_id']!r}")
            writer.add_flow(row, *(c[rows] for c in cols))
    written = endpoints.copy()
    if writer.changed_ports:
        changed = written["flow_id"].map(writer.changed_ports)
        written["src_port"] = changed.fillna(written["src_port"]).astype("int64")
    return WrittenCapture(writer.written, writer.notes, written)


def expected_flows(endpoints: pd.DataFrame) -> pd.DataFrame:
    """The flows the flow assembler should read back (schema ``pcap``: IP-level bytes) from a written capture."""
    version = endpoints["src_ip"].map(lambda a: 6 if ":" in a else 4)
    overhead = np.array([header_overhead(_header_key(p), v) for p, v in zip(endpoints["proto"], version)])
    return pd.DataFrame({
        "ts": pd.to_datetime(endpoints["start_us"].to_numpy(), unit="us"),
        "proto": endpoints["proto"].to_numpy(), "src_ip": endpoints["src_ip"].to_numpy(),
        "src_port": endpoints["src_port"].to_numpy(), "dst_ip": endpoints["dst_ip"].to_numpy(),
        "dst_port": endpoints["dst_port"].to_numpy(),
        "out_bytes": endpoints["out_payload"].to_numpy() + endpoints["out_packets"].to_numpy() * overhead,
        "in_bytes": endpoints["in_payload"].to_numpy() + endpoints["in_packets"].to_numpy() * overhead,
        "out_packets": endpoints["out_packets"].to_numpy(), "in_packets": endpoints["in_packets"].to_numpy(),
        "duration": endpoints["duration"].to_numpy(),
    })


def packets_via_pcap(packets: pd.DataFrame, path: str | Path, *, seed: int = 0) -> pd.DataFrame:
    """A packets-schema table written to ``path`` as a capture and read back by the flow assembler.

    Why: what a user feeds an IDS is the capture, not the table; the packets-track metrics on this
    table score that. Each flow gets its own endpoints (10.0.0.0/8 client with a port of the dynamic
    range, so that a UDP flow whose answer comes first reads back the same way round; 172.16.0.1
    server, the service's protocol and port), flows start 1 ms apart; ids come back as ``flow<N>``, the N-th
    flow's other columns (a label) with it.
    """
    from secgen_bench.datasets.pcap import packet_sequences

    groups = packets.groupby("flow_id", sort=False)
    first = groups.head(1).set_index("flow_id")
    rows = []
    for i, (fid, flow) in enumerate(groups):
        proto, _, port = str(first.loc[fid, "service"]).partition("/")
        proto = _proto_name(proto or "TCP")
        ported = proto in ("TCP", "UDP")
        rows.append({"flow_id": fid, "proto": proto, "src_ip": str(ipaddress.IPv4Address(0x0A000001 + i)),
                     "dst_ip": "172.16.0.1", "src_port": 49152 + i % 16384 if ported else 0,
                     "dst_port": int(port) if ported and port.isdigit() else 0, "start_us": i * 1000})
    write_pcap(path, pd.DataFrame(rows), packets, seed=seed)
    back = packet_sequences(path).table
    extra = [c for c in packets.columns if c not in back.columns]    # per-flow columns (a label) ride along
    if extra:
        per_flow = first[extra].reset_index(drop=True)
        codes = back["flow_id"].str.slice(4).astype(int)
        for col in extra:
            values = per_flow[col].reindex(codes).to_numpy()
            back[col] = np.where(pd.isna(values), per_flow[col].mode().iloc[0], values)
    return back

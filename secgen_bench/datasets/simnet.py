"""simnet: a seeded simulator of a small enterprise network, the zero-download default dataset.

Why: ``secgen-bench run --all`` must work offline, and pattern-mining generators
(FlowChronicle) need data whose multi-flow structure is *known*. simnet emits
flows in the CIDDS-001 bidirectional view (schema ``simnet``: the columns and
roles of CIDDS_BI, so every metric and the CIDDS DKC rules apply) and plants
multi-flow patterns that reuse IPs across flows:

* ``dns-then-https``: client A -> ``DNS``:53/UDP, then within 0.2 s A -> B:443/TCP (B external)
* ``dns-then-http``: the same with B:80/TCP
* ``imap-then-submission``: A -> mail:993/TCP, then within 3 s A -> mail:587/TCP
* ``netbios-broadcast-pair``: A -> subnet .255:137/UDP, then within 50 ms A -> .255:138/UDP
* ``periodic-ntp``: two servers -> an external NTP host:123/UDP every 1024 s (+-2 s)
* ``nightly-backup``: the file server -> backup server:22/TCP at about 02:00 every day

Background traffic (pattern id -1): HTTPS without a lookup (cached), lone DNS,
SMB to the file server, intranet HTTP, SSH, SSDP broadcasts and external
SYN scans. Activity follows a diurnal curve (quiet nights, busy office hours)
except scans and the scheduled jobs. Every flow respects the CIDDS DKC rules
(bytes per packet in 42..65535, one-packet flows last 0 s, UDP/TCP service
ports, port 53 only to ``DNS``, broadcasts without answers, no flags on UDP).

Sizes by profile: quick 1,500 flows over 1 day, default 4,000 over 2 days,
paper 20,000 over 7 days (starting 2017-04-05 like CIDDS week 3). Same seed,
same table. Ground truth: ``meta["patterns"]`` (one dict per pattern: name,
description, the flows of one occurrence, the time window, occurrences) and
``meta["pattern_id"]`` / ``meta["pattern_instance"]`` (int arrays aligned with
the returned rows; -1 = background).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from secgen_bench.datasets.base import Dataset, LoadedData
from secgen_bench.datasets.schemas import SIMNET

START = pd.Timestamp("2017-04-05 00:00:00")
SIZES = {"quick": (1_500, 1), "default": (4_000, 2), "paper": (20_000, 7)}   # flows, days

DNS = "DNS"
MAIL = "192.168.1.25"
FILESERVER = "192.168.1.10"
BACKUP = "192.168.1.30"
INTRANET = "192.168.1.80"
SSH_HOSTS = ("192.168.1.22", "192.168.1.23")
NTP_CLIENTS = (FILESERVER, MAIL)
NO_FLAGS = "......"
SCAN_PORTS = np.array([21, 22, 23, 80, 135, 139, 445, 1433, 3306, 3389, 5900, 8080])

# Share of the non-scheduled flows per episode kind; patterned kinds count their 2 flows.
SHARES = {
    "dns-then-https": 0.30, "dns-then-http": 0.06, "imap-then-submission": 0.10,
    "netbios-broadcast-pair": 0.06, "https": 0.14, "dns": 0.06, "smb": 0.10,
    "intranet-http": 0.06, "ssh": 0.03, "ssdp": 0.04, "scan": 0.05,
}
FLOWS_PER_EPISODE = {"dns-then-https": 2, "dns-then-http": 2, "imap-then-submission": 2, "netbios-broadcast-pair": 2}

PATTERNS = [
    {"name": "dns-then-https", "window_s": 0.2,
     "description": "client A -> DNS:53/UDP, then within 0.2 s A -> B:443/TCP (B external)",
     "flows": [{"Proto": "UDP", "Src IP Addr": "A", "Dst IP Addr": DNS, "Dst Pt": 53},
               {"Proto": "TCP", "Src IP Addr": "A", "Dst IP Addr": "B", "Dst Pt": 443}]},
    {"name": "dns-then-http", "window_s": 0.2,
     "description": "client A -> DNS:53/UDP, then within 0.2 s A -> B:80/TCP (B external)",
     "flows": [{"Proto": "UDP", "Src IP Addr": "A", "Dst IP Addr": DNS, "Dst Pt": 53},
               {"Proto": "TCP", "Src IP Addr": "A", "Dst IP Addr": "B", "Dst Pt": 80}]},
    {"name": "imap-then-submission", "window_s": 3.0,
     "description": f"client A -> mail {MAIL}:993/TCP, then within 3 s A -> {MAIL}:587/TCP",
     "flows": [{"Proto": "TCP", "Src IP Addr": "A", "Dst IP Addr": MAIL, "Dst Pt": 993},
               {"Proto": "TCP", "Src IP Addr": "A", "Dst IP Addr": MAIL, "Dst Pt": 587}]},
    {"name": "netbios-broadcast-pair", "window_s": 0.05,
     "description": "client A -> its subnet broadcast S.255:137/UDP, then within 50 ms A -> S.255:138/UDP (no answers)",
     "flows": [{"Proto": "UDP", "Src IP Addr": "A", "Dst IP Addr": "S.255", "Dst Pt": 137},
               {"Proto": "UDP", "Src IP Addr": "A", "Dst IP Addr": "S.255", "Dst Pt": 138}]},
    {"name": "periodic-ntp", "window_s": 1026.0,
     "description": "each of two servers -> external NTP host:123/UDP every 1024 s (+-2 s)",
     "flows": [{"Proto": "UDP", "Src IP Addr": "A", "Dst IP Addr": "NTP", "Dst Pt": 123}]},
    {"name": "nightly-backup", "window_s": 86400.0,
     "description": f"file server {FILESERVER} -> backup {BACKUP}:22/TCP daily at about 02:00 (large upload)",
     "flows": [{"Proto": "TCP", "Src IP Addr": FILESERVER, "Dst IP Addr": BACKUP, "Dst Pt": 22}]},
]
PATTERN_IDS = {p["name"]: i for i, p in enumerate(PATTERNS)}

# Relative activity per hour of day: quiet night, office hours, a lunch dip.
DIURNAL = np.array([.05, .04, .03, .03, .03, .05, .10, .30, .80, 1.0, 1.0, .95,
                    .70, .90, 1.0, 1.0, .90, .70, .40, .30, .25, .20, .12, .08])


class _Builder:
    """Accumulates flows column-wise; each kind adds vectors, not rows (fast)."""

    def __init__(self) -> None:
        self.parts: list[dict[str, np.ndarray]] = []

    def add(self, t, proto, src, dst, port, in_b, out_b, out_p, in_p, dur, flags, pid=-1, inst=None):
        """Counters in the order In Byte, Out Byte, Out Packet, In Packet (Out = initiator)."""
        n = len(t)
        full = lambda v, dtype=object: np.asarray(v, dtype=dtype) if np.ndim(v) else np.full(n, v, dtype=dtype)
        self.parts.append({
            "t": np.asarray(t, float), "Proto": full(proto), "Src IP Addr": full(src), "Dst IP Addr": full(dst),
            "Dst Pt": full(port, np.int64), "In Byte": full(in_b, np.int64), "Out Byte": full(out_b, np.int64),
            "In Packet": full(in_p, np.int64), "Out Packet": full(out_p, np.int64),
            "Duration": full(dur, float), "Flags": full(flags),
            "pid": np.full(n, pid, np.int64), "inst": full(-1 if inst is None else inst, np.int64),
        })

    def frame(self) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
        cols = {k: np.concatenate([p[k] for p in self.parts]) for k in self.parts[0]}
        order = np.lexsort((np.arange(len(cols["t"])), cols["t"]))
        cols = {k: v[order] for k, v in cols.items()}
        ms = np.round(cols.pop("t") * 1000).astype("int64")
        table = pd.DataFrame({"Date first seen": START + pd.to_timedelta(ms, unit="ms"), **{
            k: cols[k] for k in SIMNET.names if k != "Date first seen"}})
        return table, cols["pid"], cols["inst"]


def _counts(total: int) -> dict[str, int]:
    """Episodes per kind so that the flows add up to ``total`` exactly."""
    episodes = {k: int(total * s) // FLOWS_PER_EPISODE.get(k, 1) for k, s in SHARES.items()}
    used = sum(n * FLOWS_PER_EPISODE.get(k, 1) for k, n in episodes.items())
    episodes["https"] += total - used
    return episodes


class _Sim:
    def __init__(self, seed: int, days: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.days = days
        self.span = days * 86400.0
        r = self.rng
        self.clients = np.array([f"192.168.100.{i}" for i in range(10, 26)] + [f"192.168.200.{i}" for i in range(10, 22)], dtype=object)
        self.client_weight = r.lognormal(0.0, 0.7, len(self.clients))
        self.client_weight /= self.client_weight.sum()
        ids = r.choice(np.arange(10000, 20000), 80, replace=False)
        self.externals = np.array([f"{i}_{r.integers(1, 100)}" for i in ids], dtype=object)
        pop = 1.0 / np.arange(1, len(self.externals) + 1) ** 1.1      # Zipf-like site popularity
        self.external_weight = pop / pop.sum()
        self.ntp_host = f"{r.integers(10000, 20000)}_{r.integers(1, 100)}"
        self.scanners = np.array([f"{r.integers(20000, 30000)}_{r.integers(1, 100)}" for _ in range(4)], dtype=object)
        self.out = _Builder()

    # ---- sampling helpers ---------------------------------------------------
    def times(self, n: int, diurnal: bool = True) -> np.ndarray:
        r = self.rng
        if not diurnal:
            return np.sort(r.uniform(0, self.span, n))
        day = r.integers(0, self.days, n)
        hour = r.choice(24, n, p=DIURNAL / DIURNAL.sum())
        return np.sort(day * 86400.0 + hour * 3600.0 + r.uniform(0, 3600.0, n))

    def client(self, n: int) -> np.ndarray:
        return self.clients[self.rng.choice(len(self.clients), n, p=self.client_weight)]

    def external(self, n: int) -> np.ndarray:
        return self.externals[self.rng.choice(len(self.externals), n, p=self.external_weight)]

    def packets(self, n: int, low: int, mean_extra: float) -> np.ndarray:
        return low + self.rng.geometric(1.0 / (1.0 + mean_extra), n) - 1

    def payload(self, pkts: np.ndarray, lo: int, hi: int) -> np.ndarray:
        """Bytes for ``pkts`` packets of lo..hi bytes each (always within the DKC bounds)."""
        per = self.rng.integers(lo, hi + 1, len(pkts))
        return pkts * per

    def duration(self, total_pkts: np.ndarray, median: float, sigma: float = 1.0) -> np.ndarray:
        d = np.round(self.rng.lognormal(np.log(median), sigma, len(total_pkts)), 3)
        d = np.maximum(d, 0.001)
        return np.where(total_pkts <= 1, 0.0, d)

    def tcp_flags(self, n: int) -> np.ndarray:
        return self.rng.choice(np.array([".AP.SF", ".AP.S.", ".APRSF", ".A..SF"], dtype=object), n, p=[.78, .12, .06, .04])

    # ---- flow kinds -----------------------------------------------------------
    def dns(self, t, src, pid=-1, inst=None):
        n = len(t)
        out_p = np.where(self.rng.random(n) < 0.05, 2, 1)
        in_p = out_p.copy()
        dur = np.maximum(np.round(self.rng.lognormal(np.log(0.015), 0.6, n), 3), 0.001)
        dur = np.minimum(dur, 0.09)
        self.out.add(t, "UDP", src, DNS, 53, in_b=self.payload(in_p, 80, 400), out_b=self.payload(out_p, 55, 95),
                     out_p=out_p, in_p=in_p, dur=dur, flags=NO_FLAGS, pid=pid, inst=inst)
        return dur

    def web(self, t, src, port, pid=-1, inst=None):
        n = len(t)
        out_p = self.packets(n, 3, 8 if port == 443 else 5)
        in_p = np.maximum(1, np.round(out_p * self.rng.uniform(0.8, 2.5, n))).astype(np.int64)
        self.out.add(t, "TCP", src, self.external(n), port, self.payload(in_p, 60, 1460), self.payload(out_p, 52, 600),
                     out_p, in_p, self.duration(out_p + in_p, 1.5, 1.2), self.tcp_flags(n), pid, inst)

    def run(self, total: int) -> LoadedData:
        r, out = self.rng, self.out
        # scheduled traffic first: it takes its share of the total before the episodes.
        ntp_t = []
        for phase in r.uniform(0, 1024, len(NTP_CLIENTS)):
            k = int((self.span - phase) // 1024) + 1
            ntp_t.append(np.clip(phase + np.arange(k) * 1024.0 + r.uniform(-2, 2, k), 0, self.span - 1))
        ntp_src = np.concatenate([np.full(len(x), h, dtype=object) for x, h in zip(ntp_t, NTP_CLIENTS)])
        ntp_t = np.concatenate(ntp_t)
        n = len(ntp_t)
        out.add(ntp_t, "UDP", ntp_src, self.ntp_host, 123, np.full(n, 76), np.full(n, 76), 1, 1,
                np.maximum(np.round(r.uniform(0.005, 0.06, n), 3), 0.001), NO_FLAGS, PATTERN_IDS["periodic-ntp"], np.arange(n))
        bk_t = np.arange(self.days) * 86400.0 + 7200.0 + r.uniform(0, 120, self.days)
        bk_out_p = r.integers(30_000, 300_000, self.days)
        bk_in_p = (bk_out_p * r.uniform(0.3, 0.5, self.days)).astype(np.int64)
        out.add(bk_t, "TCP", FILESERVER, BACKUP, 22, self.payload(bk_in_p, 52, 60), self.payload(bk_out_p, 1200, 1448),
                bk_out_p, bk_in_p, np.round(r.uniform(600, 2400, self.days), 3), ".AP.SF",
                PATTERN_IDS["nightly-backup"], np.arange(self.days))
        remaining = total - n - self.days
        if remaining < 100:
            raise ValueError(f"simnet: {total} flows is too few for {self.days} day(s) of scheduled traffic")
        self.episodes(_counts(remaining))
        table, pid, inst = out.frame()
        table = SIMNET.validate(table, "simnet")
        patterns = []
        for i, p in enumerate(PATTERNS):
            patterns.append({**p, "id": i, "occurrences": int(len(np.unique(inst[pid == i])))})
        return table, pid, inst, patterns

    def episodes(self, k: dict[str, int]) -> None:
        r, out = self.rng, self.out
        for name, port in (("dns-then-https", 443), ("dns-then-http", 80)):
            n, pid = k[name], PATTERN_IDS[name]
            t, a = self.times(n), self.client(n)
            dur = self.dns(t, a, pid, np.arange(n))
            gap = np.minimum(dur + r.uniform(0.002, 0.1, n), 0.199)
            self.web(t + gap, a, port, pid, np.arange(n))
        n, pid = k["imap-then-submission"], PATTERN_IDS["imap-then-submission"]
        t, a = self.times(n), self.client(n)
        for start, mail_port, out_lo, out_hi, in_lo, in_hi in ((t, 993, 52, 300, 60, 1460),
                                                            (t + r.uniform(0.5, 3.0, n), 587, 200, 1460, 52, 200)):
            out_p = self.packets(n, 6, 12)
            in_p = np.maximum(1, (out_p * r.uniform(0.6, 1.5, n)).astype(np.int64))
            out.add(start, "TCP", a, MAIL, mail_port, self.payload(in_p, in_lo, in_hi), self.payload(out_p, out_lo, out_hi),
                    out_p, in_p, self.duration(out_p + in_p, 2.0, 1.0), self.tcp_flags(n), pid, np.arange(n))
        n, pid = k["netbios-broadcast-pair"], PATTERN_IDS["netbios-broadcast-pair"]
        t, a = self.times(n), self.client(n)
        bcast = np.array([ip.rsplit(".", 1)[0] + ".255" for ip in a], dtype=object)
        p137 = r.integers(1, 4, n)
        out.add(t, "UDP", a, bcast, 137, 0, self.payload(p137, 78, 92), p137, 0,
                self.duration(p137, 1.5, 0.5), NO_FLAGS, pid, np.arange(n))
        out.add(t + r.uniform(0.001, 0.05, n), "UDP", a, bcast, 138, 0, r.integers(201, 250, n), 1, 0, 0.0, NO_FLAGS, pid, np.arange(n))
        # background
        n = k["https"]
        self.web(self.times(n), self.client(n), 443)
        n = k["dns"]
        self.dns(self.times(n), self.client(n))
        n = k["smb"]
        out_p = self.packets(n, 4, 40)
        in_p = np.maximum(1, (out_p * r.uniform(0.7, 1.6, n)).astype(np.int64))
        out.add(self.times(n), "TCP", self.client(n), FILESERVER, 445, self.payload(in_p, 60, 1460), self.payload(out_p, 60, 1460),
                out_p, in_p, self.duration(out_p + in_p, 4.0, 1.3), self.tcp_flags(n))
        n = k["intranet-http"]
        out_p = self.packets(n, 3, 4)
        in_p = np.maximum(1, (out_p * r.uniform(1.0, 3.0, n)).astype(np.int64))
        out.add(self.times(n), "TCP", self.client(n), INTRANET, 80, self.payload(in_p, 60, 1460), self.payload(out_p, 52, 500),
                out_p, in_p, self.duration(out_p + in_p, 0.4, 1.0), self.tcp_flags(n))
        n = k["ssh"]
        out_p = self.packets(n, 10, 150)
        in_p = np.maximum(1, (out_p * r.uniform(0.8, 1.3, n)).astype(np.int64))
        out.add(self.times(n), "TCP", self.client(n), r.choice(np.array(SSH_HOSTS, dtype=object), n), 22,
                self.payload(in_p, 52, 400), self.payload(out_p, 52, 150), out_p, in_p, self.duration(out_p + in_p, 120.0, 1.2),
                self.tcp_flags(n))
        n = k["ssdp"]
        a = self.client(n)
        pk = r.integers(1, 5, n)
        out.add(self.times(n), "UDP", a, np.array([ip.rsplit(".", 1)[0] + ".255" for ip in a], dtype=object), 1900,
                0, self.payload(pk, 160, 200), pk, 0, self.duration(pk, 3.0, 0.3), NO_FLAGS)
        n = k["scan"]
        answered = r.random(n) < 0.3
        in_p = answered.astype(np.int64)
        out.add(self.times(n, diurnal=False), "TCP", self.scanners[r.integers(0, len(self.scanners), n)], self.client(n),
                SCAN_PORTS[r.integers(0, len(SCAN_PORTS), n)], in_p * 54, r.integers(44, 61, n), 1, in_p,
                self.duration(1 + in_p, 0.002, 0.5), np.where(answered, "...RS.", "....S.").astype(object))


class SimNet(Dataset):
    """Built-in simulated enterprise network with planted multi-flow patterns (CIDDS bidirectional view)."""

    name = "simnet"
    version = "1.0"
    description = "Built-in seeded enterprise-network simulator with planted multi-flow patterns (no download)"
    track = "flows"
    sizes = {k: v[0] for k, v in SIZES.items()}

    def load(self, path: str | Path | None = None, *, seed: int = 0, profile: str = "default",
             n_flows: int | None = None, days: int | None = None) -> LoadedData:
        if path is not None:
            raise ValueError(f"simnet is generated, it reads no file (got path {str(path)!r})")
        if profile not in SIZES:
            raise ValueError(f"simnet: unknown profile {profile!r}; choose one of {', '.join(SIZES)}")
        total, span = SIZES[profile]
        total, span = n_flows or total, days or span
        table, pid, inst, patterns = _Sim(seed, span).run(total)
        meta = {
            "source": "simnet (built-in simulator)", "profile": profile, "seed": seed, "rows": len(table),
            "days": span, "patterns": patterns, "pattern_id": pid, "pattern_instance": inst,
            "patterned_fraction": float((pid >= 0).mean()),
        }
        return LoadedData(table, SIMNET, meta)

    @classmethod
    def sniff(cls, path: Path) -> bool:
        return False   # never a file format

"""pcap writer throughput and memory: packets written per second, peak memory at N packets (default 1M).

Flows are drawn one at a time (seeded: TCP/UDP, 1-200 packets, IPv4) and their packets made by
:func:`secgen_bench.packet_template.flow_template`, then streamed through
:class:`secgen_bench.pcap_writer.PcapWriter`, so nothing but the active flows is held. Reports the
peak resident memory after 10 % of the packets and at the end: flat memory means bounded.

    python benchmarks/pcap_writer.py [--packets 1000000] [--out /tmp/bench.pcap]
"""
from __future__ import annotations

import argparse
import resource
import time

import numpy as np


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    from secgen_bench.packet_template import flow_template
    from secgen_bench.pcap_writer import PcapWriter

    ap = argparse.ArgumentParser()
    ap.add_argument("--packets", type=int, default=1_000_000)
    ap.add_argument("--out", default="/tmp/secgen-bench-pcap-writer.pcap")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    start_us, written, flows, write_s = 0, 0, 0, 0.0
    tenth = None
    t0 = time.perf_counter()
    with PcapWriter(args.out, seed=args.seed) as writer:
        while written < args.packets:
            n = int(min(rng.integers(1, 201), args.packets - written))
            n_out = max(1, int(rng.integers(1, n + 1))) if n > 1 else 1
            proto = "TCP" if rng.random() < 0.8 else "UDP"
            row = {"flow_id": f"f{flows}", "proto": proto, "src_ip": f"10.{flows % 250}.{flows // 250 % 250}.1",
                   "dst_ip": "192.0.2.10", "src_port": int(rng.integers(49152, 65536)), "dst_port": 443,
                   "start_us": start_us}
            dirs, flags, sizes, iat = flow_template(f"{proto}/443", n_out, n - n_out, int(rng.integers(0, 500 * n_out + 1)),
                                                    int(rng.integers(0, 1000 * (n - n_out) + 1)), float(rng.uniform(0, 30)))
            t = time.perf_counter()
            writer.add_flow(row, dirs, flags, sizes, iat)
            write_s += time.perf_counter() - t
            start_us += int(rng.integers(0, 50_000))
            written += n
            flows += 1
            if tenth is None and written >= args.packets // 10:
                tenth = peak_mb()
        t = time.perf_counter()
    write_s += time.perf_counter() - t
    total = time.perf_counter() - t0
    print(f"{written} packets in {flows} flows: {total:.1f} s in all ({written / total:,.0f} packets/s), "
          f"writer alone {write_s:.1f} s ({written / write_s:,.0f} packets/s); "
          f"peak RSS {tenth:.0f} MB at 10 %, {peak_mb():.0f} MB at the end")


if __name__ == "__main__":
    main()

"""Does TADAM keep TCP's rules on captures it has never seen? seq-dkc on every nDPI capture big enough to tell.

The captures are chosen by one rule fixed before scoring, not by their results: every capture in
``pcaps/ndpi/`` with at least ``--min-tcp-flows`` TCP flows (the project's own assembler counts them).
Each runs ``secgen-bench run --track packets -g tadam,markov-chain --metrics seq-dkc`` (default
profile, random 30 % holdout) over the given seeds, and the table prints the Reference, TADAM and
Markov-chain means with whether TADAM is within 0.05 of the Reference and below the Markov chain
(issue 20's criterion; "tie" where both models equal the Reference at 0, so nothing can be below).

    SECGEN_BENCH_DATA=../shared/data python benchmarks/tadam_protocol_sweep.py --min-tcp-flows 40
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from secgen_bench.datasets.pcap import read_capture  # noqa: E402

TCP = 6


def tcp_flow_counts(folder: Path) -> dict[str, int]:
    counts = {}
    for path in sorted(folder.glob("*.pcap")):
        try:
            flows, _ = read_capture(path)
        except Exception:  # captures the reader refuses (no IP packet, truncated) hold no TCP flow to score
            continue
        counts[path.name] = sum(1 for f in flows if f.proto == TCP)
    return counts


def score(path: Path, seeds: str, out: Path) -> tuple[dict[str, float | None], float]:
    t0 = time.perf_counter()
    cmd = [sys.executable, "-m", "secgen_bench", "run", "--track", "packets", "-g", "tadam,markov-chain",
           "--data", str(path), "--seeds", seeds, "--metrics", "seq-dkc", "--no-cache", "--out", str(out)]
    subprocess.run(cmd, cwd=REPO, check=True, capture_output=True, text=True)
    (board,) = json.loads((out / "leaderboard.json").read_text())
    means = {g: board["rows"].get(g, {}).get("seq-dkc", {}).get("mean") for g in ("reference", "tadam", "markov-chain")}
    return means, time.perf_counter() - t0


def verdict(ref: float, tadam: float, markov: float) -> str:
    if abs(tadam - ref) > 0.05:
        return "no (not within 0.05)"
    if tadam < markov:
        return "yes"
    return "tie (all 0)" if tadam == markov == ref == 0 else "no (not below markov)"


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=os.environ.get("SECGEN_BENCH_DATA", str(REPO.parent / "shared" / "data")))
    ap.add_argument("--min-tcp-flows", type=int, default=40)
    ap.add_argument("--seeds", default="0,1")
    args = ap.parse_args(argv)
    folder = Path(args.data) / "pcaps" / "ndpi"
    if not folder.is_dir():
        sys.exit(f"tadam_protocol_sweep: {folder} not found (set SECGEN_BENCH_DATA or --data)")
    counts = tcp_flow_counts(folder)
    chosen = sorted((n, name) for name, n in counts.items() if n >= args.min_tcp_flows)[::-1]
    print(f"# {time.strftime('%Y-%m-%d %H:%M')}, seeds {args.seeds}, {len(chosen)} of {len(counts)} captures "
          f"with >= {args.min_tcp_flows} TCP flows")
    print("| capture | TCP flows | reference | tadam | markov-chain | within 0.05 and below markov | s |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for n, name in chosen:
            means, secs = score(folder / name, args.seeds, Path(tmp) / name)
            r, t, m = (means[g] for g in ("reference", "tadam", "markov-chain"))
            cells = " | ".join("-" if v is None else f"{v:.3f}" for v in (r, t, m))
            ok = "?" if None in (r, t, m) else verdict(r, t, m)
            print(f"| {name} | {n:,} | {cells} | {ok} | {secs:.0f} |", flush=True)


if __name__ == "__main__":
    main()

"""Load and validate 1 million rows of a CICFlowMeter CSV and of an NF- NetFlow CSV: time and peak RSS.

Data: the real samples' data lines (the CIC-IDS2017 Friday DDoS file as
distributed, 85 columns, and NF-BoT-IoT-v2, 46 columns) repeated to ``--rows``
rows under their own header; the CIC file also repeats its header line every
100,000 rows and keeps its ``Infinity`` cell, as the official files do. The
files are written once under ``--work`` and reused.

Each case runs ``load_path(PATH)`` (``--format auto``: sniffing, streamed
pyarrow reading, parsing, defect handling, schema validation) in a fresh
subprocess, so its peak RSS (``ru_maxrss``) is its own; ``--max-rows`` cases
show the seeded sample's bounded memory.

    python benchmarks/load_scale.py                  # 1,000,000 rows, full read and --max-rows 100000
    python benchmarks/load_scale.py --rows 200000
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SAMPLES = {
    "cicflowmeter": ("ids", "cicids2017", "Friday-WorkingHours-Afternoon-DDos.pcap_ISCX.rows1-150.csv"),
    "nf-netflow": ("ids", "nf-bot-iot-v2", "NF-BoT-IoT-v2.rows1-10000.csv"),
}
HEADER_EVERY = {"cicflowmeter": 100_000, "nf-netflow": None}


def data_dir() -> Path:
    env = os.environ.get("SECGEN_BENCH_DATA")
    return Path(env) if env else REPO.parent / "shared" / "data"


def build(kind: str, rows: int, work: Path) -> Path:
    """``rows`` data lines of the real sample, repeated, under its header (written once)."""
    out = work / f"{kind}-{rows}.csv"
    if out.exists():
        return out
    lines = (data_dir().joinpath(*SAMPLES[kind])).read_bytes().splitlines(keepends=True)
    header, body = lines[0], [ln if ln.endswith(b"\n") else ln + b"\n" for ln in lines[1:] if ln.strip()]
    every = HEADER_EVERY[kind]
    work.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".part")
    with open(tmp, "wb") as fh:
        fh.write(header)
        written = 0
        while written < rows:
            chunk = body[: rows - written]
            for i, line in enumerate(chunk):
                if every and written + i and (written + i) % every == 0:
                    fh.write(header)
                fh.write(line)
            written += len(chunk)
    tmp.rename(out)
    return out


CHILD = """
import json, resource, sys, time
t0 = time.perf_counter()
from secgen_bench.datasets.loading import DatasetSource, load_dataset
src = DatasetSource(path=sys.argv[1], max_rows=int(sys.argv[2]) or None)
loaded = load_dataset(src, "default", seed=0)
dt = time.perf_counter() - t0
print(json.dumps({"seconds": round(dt, 2), "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                  "rows": len(loaded.table), "columns": loaded.table.shape[1], "layout": loaded.schema.name,
                  "loader": loaded.meta.get("loader"), "dropped": loaded.meta.get("dropped")}))
"""


def measure(path: Path, max_rows: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    res = subprocess.run([sys.executable, "-c", CHILD, str(path), str(max_rows)], capture_output=True, text=True, env=env)
    if res.returncode != 0:
        raise SystemExit(f"{path}: load failed: {res.stderr.strip().splitlines()[-1] if res.stderr.strip() else res.returncode}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--max-rows", type=int, default=100_000, help="also time a seeded sample of this many rows (0: skip)")
    ap.add_argument("--work", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "secgen-load-scale")
    args = ap.parse_args(argv)
    if not data_dir().is_dir():
        raise SystemExit(f"{data_dir()}: real data folder absent (set SECGEN_BENCH_DATA)")
    print(f"{'file':<38} {'MB':>6} {'max-rows':>9} {'rows':>9} {'cols':>4} {'s':>7} {'peak MB':>8}  dropped")
    for kind in SAMPLES:
        path = build(kind, args.rows, args.work)
        size = path.stat().st_size / 2**20
        for limit in [0] + ([args.max_rows] if args.max_rows else []):
            r = measure(path, limit)
            print(f"{path.name:<38} {size:>6.0f} {limit or '-':>9} {r['rows']:>9} {r['columns']:>4} {r['seconds']:>7.2f} "
                  f"{r['peak_mb']:>8}  {r['dropped']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

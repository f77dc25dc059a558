"""Fit time against training rows for the generators that cap their rows (``max_train_rows``), default profile.

Why: a cap on training rows is only honest when using every row would be
expensive; this measures what every row costs. Each (generator, rows) fit runs
in a fresh subprocess (its own peak RSS; wall and CPU seconds of the fit) with the cap switched off
(``max_train_rows=0``) on the training split (70 %) of ``simnet`` generated
at the size that gives that many training rows, seed 0. ``--set`` overrides
options for every generator, e.g. ``--set epochs=5`` to time SDV per epoch.

    python benchmarks/training_rows.py -g independent-bn,sequence-bn --rows 2800,50000,200000
    python benchmarks/training_rows.py -g ctgan,tvae --rows 2000,4000,8000 --set epochs=5
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HOLDOUT = 0.3   # the default protocol's Reference share


def _cpu_s() -> float:
    """CPU seconds of this process so far: on a shared machine wall time says more about the neighbours."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def one(name: str, rows: int, overrides: dict[str, str]) -> dict:
    import secgen_bench.builtins  # noqa: F401  (registers the generators)
    from secgen_bench import registry
    from secgen_bench.datasets.simnet import SimNet
    from secgen_bench.datasets.split import split_holdout

    n_flows = int(round(rows / (1 - HOLDOUT)))
    data = SimNet().load(n_flows=n_flows)
    train, _ = split_holdout(data.table, data.schema, HOLDOUT, seed=0)
    cls = registry.generators.get(name)
    t0, c0 = time.perf_counter(), _cpu_s()
    gen = cls(**{"max_train_rows": "0", **overrides})   # string values are typed like --set values
    gen.fit(train, data.schema, seed=0)
    fit_s, cpu_s = time.perf_counter() - t0, _cpu_s() - c0
    return {"generator": name, "rows": len(train), "fit_s": round(fit_s, 2), "cpu_s": round(cpu_s, 2),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "training_rows": getattr(gen, "training_rows_", None), "overrides": overrides}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-g", "--generators", default="independent-bn,sequence-bn,tvae,ctgan")
    ap.add_argument("--rows", default="2800,50000,200000")
    ap.add_argument("--set", action="append", default=[], metavar="OPTION=VALUE")
    ap.add_argument("--one", nargs=2, metavar=("GEN", "ROWS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    overrides = dict(s.split("=", 1) for s in args.set)
    if args.one:
        print(json.dumps(one(args.one[0], int(args.one[1]), overrides)))
        return
    env = {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    for name in args.generators.split(","):
        for rows in (int(r) for r in args.rows.split(",")):
            cmd = [sys.executable, __file__, "--one", name, str(rows)] + [f"--set={s}" for s in args.set]
            done = subprocess.run(cmd, capture_output=True, text=True, env=env)
            line = done.stdout.strip().splitlines()[-1] if done.returncode == 0 else json.dumps(
                {"generator": name, "rows": rows, "error": done.stderr.strip().splitlines()[-1:]})
            print(line, f"load {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()

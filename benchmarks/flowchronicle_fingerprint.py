"""Fingerprints of FlowChronicle's full search on simnet: a hash of the mined patterns and of a sample.

A speed change to the search must not change what it computes; this prints, for each (n, seed), a
SHA-256 of the patterns' JSON specs with their usages and of a sampled frame (its CSV), so two
versions of the code can be compared, and ``--check FILE`` compares them with a saved run
(exit 1 on any difference). ``tests/test_flowchronicle_speed.py`` compares the fast paths with
the plain ones on a small planted table.

    python benchmarks/flowchronicle_fingerprint.py --sizes 5000,10000,20000 --seeds 0,1 > fp.json
    python benchmarks/flowchronicle_fingerprint.py --sizes 5000,10000,20000 --seeds 0,1 --check fp.json

``flowchronicle_fingerprint_main.json`` is this script's output for main at 3184ae0 (before the issue-19
speed work), so ``--check benchmarks/flowchronicle_fingerprint_main.json`` asserts that nothing changed.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time


def fingerprint(n: int, seed: int, sample_n: int = 2000) -> dict:
    """Full search (no caps) of ``n`` simnet flows of data seed ``seed``; hashes of patterns and sample."""
    from secgen_bench import registry
    from secgen_bench.datasets.simnet import SimNet

    data = SimNet().load(profile="default", seed=seed, n_flows=n)
    table = data.schema.validate(data.table, source="simnet")
    t0, c0 = time.perf_counter(), time.process_time()
    gen = registry.generators.get("flowchronicle")(profile="default", time_budget_s=0.0).fit(table, data.schema, seed=seed)
    fit_s, cpu_s = time.perf_counter() - t0, time.process_time() - c0
    pats = [{"spec": p["spec"], "usage": p["usage"]} for p in gen.patterns()]
    pat_json = json.dumps(pats, sort_keys=True, default=str)
    sample = gen.sample(sample_n, seed=seed)
    return {"n": n, "seed": seed, "patterns": len(pats), "total_bits": round(float(gen.total_bits_), 6),
            "patterns_sha256": hashlib.sha256(pat_json.encode()).hexdigest(),
            "sample_sha256": hashlib.sha256(sample.to_csv(index=False).encode()).hexdigest(),
            "fit_s": round(fit_s, 2), "cpu_s": round(cpu_s, 2)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="5000,10000,20000")
    ap.add_argument("--seeds", default="0,1")
    ap.add_argument("--check", help="a saved output of this script; exit 1 when a hash differs")
    args = ap.parse_args(argv)
    saved = {}
    if args.check:
        for line in open(args.check):
            if line.strip().startswith("{"):
                r = json.loads(line)
                saved[(r["n"], r["seed"])] = r
    bad = 0
    for n in (int(s) for s in args.sizes.split(",")):
        for seed in (int(s) for s in args.seeds.split(",")):
            r = fingerprint(n, seed)
            print(json.dumps(r), flush=True)
            ref = saved.get((n, seed))
            if ref is not None:
                for k in ("patterns_sha256", "sample_sha256", "total_bits"):
                    if ref[k] != r[k]:
                        bad += 1
                        print(f"DIFFERENT n={n} seed={seed} {k}: {ref[k]} != {r[k]}", file=sys.stderr)
    if args.check:
        print(f"# {'all identical' if not bad else f'{bad} differences'} vs {args.check}", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Cover.insert of a chain of overlapping windows (i, i+1): the worst case of the incremental cover.

Every window waits on the previous one, so vectorised propagation rounds decide two windows each
while costing the whole chain (quadratic; 6.2 CPU s for 16,000 windows before issue 19); the cover
now finishes such a chain in key order (``Cover._sweep``). Prints CPU seconds and rounds per size.

    python benchmarks/flowchronicle_cover_chain.py [--sizes 2000,4000,8000,16000,64000]
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np

from secgen_bench.generators.flowchronicle.cover import Cover


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="2000,4000,8000,16000,64000")
    args = ap.parse_args(argv)
    for n in (int(s) for s in args.sizes.split(",")):
        cover = Cover(n)
        chain = np.stack([np.arange(n - 1), np.arange(1, n)], axis=1)
        c0 = time.process_time()
        cover.insert(0, chain, 2, 0)
        print(f"{n:>8} windows: {time.process_time() - c0:7.3f} CPU s, {cover.n_rounds} rounds, "
              f"usage {cover.usage(0)}, load {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()

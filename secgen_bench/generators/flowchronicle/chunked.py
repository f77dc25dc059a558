"""Chunked FlowChronicle mining: search time-contiguous chunks in parallel, merge, re-score on all flows.

Why: the greedy search's cost grows with the table, and one process holds it; the paper mined large
traces in chunks in parallel. Here the encoded (time-sorted) code matrix is cut into ``k`` contiguous
row ranges; each range is searched on its own by the single-pass :class:`GreedySearch` (same limits,
one process per chunk: a local process pool, or Ray tasks when Ray is running); the chunks' patterns
are merged (deduplicated, by chunk then by the chunk model's order) and re-scored on the whole table
with the MDL model: in order of their exact cover score on all flows (disjoint occurrences x covered
cells, the search's own candidate order), each is tested with the full-table MDL acceptance test
(kept when the total length drops, with the search's pruning of patterns whose usage fell), then one
last pruning pass, as after a single-pass search.

Where it departs from single-pass mining: a pattern whose occurrences straddle a chunk border, or
that only pays off on the whole table, is not found (no search round runs on the whole table;
extensions of the merged patterns are not generated), and a chunk sees only its own value
frequencies. Where it departs from the published artefact: the artefact concatenated the chunk models
(each chunk's patterns kept with that chunk's cover, no re-scoring); here every merged pattern must
pay for itself on the whole table, and pattern BNs are learnt on the whole table's windows.

Work: the fit's budget of candidate tests x flows (``max_test_rows``) is shared by rows, so each chunk's
search and the re-scoring may each run ``max_test_rows / n`` tests (n = all flows): a test on a chunk
costs about chunk rows / n of one on the whole table, so the chunks together do about the work of one
capped single pass, with k times its tests, and the re-scoring about one more.

The search has no random choice, so the chunks' results do not depend on a seed or on which process
runs which chunk; results are collected in chunk order.
"""
from __future__ import annotations

import math
import os
import sys
import time
from pathlib import Path

import numpy as np

AUTO_MIN_ROWS = 200_000      # ``chunks="auto"``: one pass below this many flows (small tables unchanged)
AUTO_CHUNK_ROWS = 50_000     # ``chunks="auto"``: about this many flows per chunk above it
EXECUTORS = ("auto", "process", "ray")


def auto_chunks(n: int) -> int:
    """The ``auto`` rule: 1 chunk below ``AUTO_MIN_ROWS`` flows, else ceil(n / ``AUTO_CHUNK_ROWS``)."""
    return 1 if n < AUTO_MIN_ROWS else math.ceil(n / AUTO_CHUNK_ROWS)


def resolve_chunks(chunks, n: int) -> int:
    """The number of chunks for ``n`` flows: ``auto`` by :func:`auto_chunks`, never more than n."""
    k = auto_chunks(n) if chunks == "auto" else int(chunks)
    return max(1, min(k, n))


def chunk_bounds(n: int, k: int) -> list[tuple[int, int]]:
    """``k`` contiguous (start, stop) row ranges of near-equal size covering 0..n."""
    edges = np.linspace(0, n, k + 1).round().astype(np.int64)
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:])]


def mine_chunk(index: int, codes: np.ndarray, times: np.ndarray, ip_columns: list[int], max_indegree: int,
               limits: dict) -> dict:
    """One chunk's single-pass search: a pure function of its inputs (runs in a worker process).
    Returns the found patterns as row tuples (picklable, no encoding needed) and the search's counts."""
    from secgen_bench.generators.flowchronicle.model import MDLModel
    from secgen_bench.generators.flowchronicle.search import GreedySearch, SearchLimits

    t0 = time.perf_counter()
    model = MDLModel(codes, times - times[0], max_indegree=max_indegree)
    search = GreedySearch(model, ip_columns, SearchLimits(**limits))
    search.run()
    return {"chunk": index, "rows": int(len(codes)), "rounds": search.rounds, "tests": search.tests,
            "stopped": search.stop_reason,
            "patterns": [tuple(tuple(tuple(c) for c in r) for r in e.pattern.rows) for e in model.entries.values()],
            "seconds": round(time.perf_counter() - t0, 3)}


def _ray_mine_chunk(driver_path: list[str], *args):
    for p in driver_path:
        if p and p not in sys.path and os.path.isdir(p):
            sys.path.append(p)
    return mine_chunk(*args)


def run_chunks(tasks: list[tuple], workers: int, executor: str = "auto") -> list[dict]:
    """Run :func:`mine_chunk` on each task's arguments; results in task order.

    ``executor``: ``process`` = a local process pool of ``workers`` processes (in this process when
    ``workers`` is 1); ``ray`` = one Ray task per chunk (connects with ``ray.init(address="auto")`` when Ray
    is not initialised yet); ``auto`` = Ray when this process already runs a Ray session, else ``process``."""
    if executor not in EXECUTORS:
        raise ValueError(f"chunk executor must be one of {EXECUTORS}, got {executor!r}")
    if executor == "auto":
        ray = sys.modules.get("ray")
        executor = "ray" if ray is not None and ray.is_initialized() else "process"
    if executor == "ray":
        return _run_ray(tasks)
    if workers <= 1 or len(tasks) == 1:
        return [mine_chunk(*t) for t in tasks]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # fork where there is one: no re-import of the caller's main script (spawn needs a main guard there) and
    # the parent's arrays are shared copy-on-write; the children run numpy only (no threads of their own)
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    with ProcessPoolExecutor(max_workers=min(workers, len(tasks)),
                             mp_context=multiprocessing.get_context(method)) as pool:
        return list(pool.map(mine_chunk, *zip(*tasks)))


def _run_ray(tasks: list[tuple]) -> list[dict]:
    import ray  # optional: only a chunked fit that asks for Ray imports it

    started = False
    if not ray.is_initialized():
        ray.init(address="auto", log_to_driver=False, configure_logging=False)
        started = True
    try:
        # the workers import the same secgen_bench as this process (an editable install may point elsewhere)
        here = str(Path(__file__).resolve().parents[3])
        remote = ray.remote(num_cpus=1)(_ray_mine_chunk).options(runtime_env={"env_vars": {"PYTHONPATH": here}})
        return ray.get([remote.remote([here], *t) for t in tasks])
    finally:
        if started:
            ray.shutdown()


def merge_patterns(results: list[dict]) -> list:
    """The chunks' patterns, deduplicated, in chunk order then each chunk model's order."""
    from secgen_bench.generators.flowchronicle.pattern import Cell, Pattern

    seen, out = set(), []
    for r in results:
        for rows in r["patterns"]:
            p = Pattern(tuple(tuple(Cell(*c) for c in row) for row in rows))
            if p not in seen:
                seen.add(p)
                out.append(p)
    return out


def rescore(model, candidates: list, time_budget_s: float | None = None, max_tests: int | None = None) -> dict:
    """Add ``candidates`` to ``model`` (the whole table) in order of their exact cover score, keeping each
    only when the total length drops; prune as the search does. At most ``max_tests`` are tested (the
    best-scored first); ``time_budget_s`` is a safety net. Returns counts for the budget."""
    from secgen_bench.generators.flowchronicle.occurrences import find_windows, greedy_disjoint

    t0 = time.perf_counter()
    present = {e.pattern for e in model.entries.values()}
    scored = []
    for i, p in enumerate(candidates):
        if p in present:
            continue
        w = find_windows(p, model.codes, model.codes_by_column)
        score = int(len(greedy_disjoint(w, n_flows=model.n)) * p.covered_cells)
        if score > 0:
            scored.append((-score, i, p))
    scored.sort(key=lambda x: (x[0], x[1]))
    tested = accepted = 0
    stopped = "converged"
    for _, _, p in scored:
        if max_tests is not None and tested >= max_tests:
            stopped = "max_tests"
            break
        if time_budget_s is not None and time.perf_counter() - t0 > time_budget_s:
            stopped = "time_budget_s"
            break
        tested += 1
        usage_before = model.usages()
        ok, entry, _ = model.try_add(p)
        if ok:
            accepted += 1
            model.prune(usage_before)
    model.prune({pid: model.cover.usage(pid) + 1 for pid in model.entries})
    return {"candidates": len(candidates), "scored": len(scored), "tested": tested, "max_tests": max_tests,
            "accepted": accepted,
            "kept": len(model.entries), "stopped": stopped, "seconds": round(time.perf_counter() - t0, 3)}

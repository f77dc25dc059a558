"""FlowChronicle's fast paths equal straightforward reference implementations.

The search is engineered for speed (vectorised occurrences and greedy passes, an incrementally
maintained cover, lazily tightened candidate bounds, cached code lengths); none of that may change
what is computed. Each fast piece is checked here against a slow, obviously-correct version kept in
this file, on random small tables, and a whole search is checked step by step against a full
recomputation of the cover and of the total code length.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from secgen_bench.generators.flowchronicle.bn import kt_bits
from secgen_bench.generators.flowchronicle.cover import Cover, greedy_cover_reference
from secgen_bench.generators.flowchronicle.mdl import universal_integer_bits
from secgen_bench.generators.flowchronicle.model import MDLModel
from secgen_bench.generators.flowchronicle.occurrences import column_major, find_windows, greedy_disjoint
from secgen_bench.generators.flowchronicle.pattern import FIXED, SET, USE, Cell, Pattern
from secgen_bench.generators.flowchronicle.search import CandidateQueue, GreedySearch, SearchLimits

IP_COLS = (0, 1)


# -- reference implementations ---------------------------------------------------------------------
def reference_windows(pattern: Pattern, codes: np.ndarray) -> list[list[int]]:
    """Occurrences by the definition: each start flow matching row 0, then for each next row the
    first later flow with the row's FIXED values and the values its USE cells refer to."""
    def matches(row, flow, bound):
        for c in row:
            if c.kind == FIXED and codes[flow, c.col] != c.value:
                return False
            if c.kind == USE and codes[flow, c.col] != bound[c.value]:
                return False
        return True

    out = []
    for start in range(len(codes)):
        bound: dict[int, int] = {}
        if not matches(pattern.rows[0], start, bound):
            continue
        positions, cur = [start], start
        for i, row in enumerate(pattern.rows):
            if i > 0:
                nxt = next((f for f in range(cur + 1, len(codes)) if matches(row, f, bound)), None)
                if nxt is None:
                    break
                positions.append(nxt)
                cur = nxt
            for c in row:
                if c.kind == SET:
                    bound[c.value] = codes[cur, c.col]
        if len(positions) == pattern.n_rows:
            out.append(positions)
    return out


def reference_greedy_disjoint(windows: list[list[int]]) -> list[int]:
    """Windows by fewest gaps, then earlier start; keep each one sharing no flow with a kept one."""
    order = sorted(range(len(windows)), key=lambda i: ((windows[i][-1] - windows[i][0]) - (len(windows[i]) - 1),
                                                        windows[i][0]))
    used: set[int] = set()
    kept = []
    for i in order:
        if not used & set(windows[i]):
            used.update(windows[i])
            kept.append(i)
    return sorted(kept)


def random_codes(rng, n: int) -> np.ndarray:
    """Two IP-like columns over a few hosts and two small categorical columns."""
    return np.stack([rng.integers(0, 5, n), rng.integers(0, 5, n), rng.integers(0, 3, n), rng.integers(0, 4, n)],
                    axis=1).astype(np.int64)


def random_pattern(rng) -> Pattern:
    rows, n_set = [], 0
    for i in range(int(rng.integers(1, 4))):
        cells, n_before = {}, n_set
        for col in (2, 3):
            if rng.random() < 0.5:
                cells[col] = Cell(col, FIXED, int(rng.integers(0, 4 if col == 3 else 3)))
        for col in IP_COLS:
            r = rng.random()
            if n_before and r < 0.4:
                cells[col] = Cell(col, USE, int(rng.integers(0, n_before)))
            elif r < 0.7:
                cells[col] = Cell(col, SET, n_set)
                n_set += 1
        if not cells:
            cells[2] = Cell(2, FIXED, int(rng.integers(0, 3)))
        rows.append(tuple(cells.values()))
    return Pattern(tuple(rows))


# -- occurrences and candidate scores -----------------------------------------------------------------
@pytest.mark.parametrize("seed", range(6))
def test_find_windows_equals_reference(seed):
    rng = np.random.default_rng(seed)
    codes = random_codes(rng, int(rng.integers(20, 90)))
    cols = column_major(codes)
    for _ in range(40):
        p = random_pattern(rng)
        expect = reference_windows(p, codes)
        assert find_windows(p, codes).tolist() == expect, p
        assert find_windows(p, codes, cols).tolist() == expect, p


@pytest.mark.parametrize("kernels_mode", ["off", "on"])
@pytest.mark.parametrize("seed", range(4))
def test_find_windows_continued_from_any_prefix_equals_starting_over(seed, kernels_mode, monkeypatch):
    monkeypatch.setenv("SECGEN_BENCH_FC_KERNELS", kernels_mode)
    rng = np.random.default_rng(50 + seed)
    codes = random_codes(rng, int(rng.integers(40, 120)))
    cols = column_major(codes)
    checked = 0
    for _ in range(60):
        p = random_pattern(rng)
        expect = reference_windows(p, codes)
        for k in range(1, p.n_rows + 1):
            head = find_windows(p, codes, cols, upto=k)
            assert head.tolist() == reference_windows(Pattern(p.rows[:k]), codes), (p, k)
            got = find_windows(p, codes, cols, prefix=head.astype(np.int32))
            assert got.dtype == np.int64 and got.tolist() == expect, (p, k)
            checked += k < p.n_rows and len(expect) > 0
    assert checked > 20                  # real continuations, not only empty or whole-pattern prefixes
    with pytest.raises(ValueError, match="longer"):
        find_windows(p, codes, cols, upto=1, prefix=np.zeros((0, 2), dtype=np.int64))


def _codes_and_queue(rng, n: int = 150):
    """A random coded table of ``n`` flows and the candidate queue of its empty model."""
    codes = random_codes(rng, n)
    return codes, CandidateQueue(MDLModel(codes, np.arange(n, dtype=np.int64) * 7))


@pytest.mark.parametrize("seed", range(3))
def test_candidate_windows_from_cached_prefixes_equal_starting_over(seed):
    """The queue continues a candidate from a model pattern's cached prefix; the windows are the same."""
    rng = np.random.default_rng(70 + seed)
    codes, queue = _codes_and_queue(rng)
    parents = [q for q in (random_pattern(rng) for _ in range(200)) if q.n_rows >= 2][:8]
    for q in parents:
        queue.remember_prefixes(q, find_windows(q, codes))
    hits = 0
    for q in parents:
        for i in range(q.n_rows):
            taken = {c.col for c in q.rows[i]}
            for col in range(codes.shape[1]):
                if col in taken:
                    continue
                cand = q.with_cell(i, Cell(col, FIXED, int(rng.integers(0, 3))))
                hits += i >= 2 and queue._prefixes.get(cand.rows[:i]) is not None
                assert queue.windows_of(cand).tolist() == reference_windows(cand, codes), cand
        longer = q.concat(q)
        assert queue.windows_of(longer).tolist() == reference_windows(longer, codes), longer
    assert hits > 0


@pytest.mark.parametrize("seed", range(6))
def test_greedy_disjoint_equals_reference_in_every_mode(seed):
    rng = np.random.default_rng(100 + seed)
    codes = random_codes(rng, 120)
    for _ in range(40):
        w = find_windows(random_pattern(rng), codes)
        expect = reference_greedy_disjoint(w.tolist())
        for rounds in (0, 1, 16):               # sequential fallback only, mixed, vectorised only
            assert greedy_disjoint(w, max_rounds=rounds).tolist() == expect


@pytest.mark.parametrize("seed", range(4))
def test_candidate_bound_never_below_exact_score(seed):
    rng = np.random.default_rng(200 + seed)
    _, queue = _codes_and_queue(rng)
    for _ in range(60):
        p = random_pattern(rng)
        assert queue.bound_score(p) >= queue.exact_score(p), p


# -- the incremental cover ------------------------------------------------------------------------------
def _random_window_set(rng, n):
    length = int(rng.integers(1, 4))
    count = int(rng.integers(3, 25))
    starts = np.sort(rng.choice(n - 3 * length, size=count, replace=False))
    steps = rng.integers(1, 4, size=(count, length - 1))
    w = np.concatenate([starts[:, None], starts[:, None] + np.cumsum(steps, axis=1)], axis=1) if length > 1 \
        else starts[:, None]
    return w, int(rng.integers(1, 6))


def _check_cover(cover, live: dict, n: int) -> None:
    pids = sorted(live)
    ref = greedy_cover_reference([(live[p][0], live[p][1], p) for p in pids], n)
    owner = np.full(n, -1)
    for pid, expect in zip(pids, ref):
        got = {tuple(r) for r in cover.accepted_windows(pid).tolist()}
        assert got == expect, pid
        assert cover.usage(pid) == len(expect)
        for r in expect:
            owner[list(r)] = pid
    assert np.array_equal(cover.owner >= 0, owner >= 0)


def _check_touched(cover, before: dict) -> None:
    """Every pattern whose kept windows changed is marked touched (the model refreshes only those)."""
    changed = {p for p, kept in before.items() if not np.array_equal(cover.kept_mask(p), kept)}
    assert changed <= cover.touched, changed - cover.touched


def exercise_cover(rng: np.random.Generator, n: int = 80, steps: int = 30) -> Cover:
    """Random inserts and removals, committed or rolled back; after each one the cover must equal
    a greedy pass over the live windows from scratch. Returns the cover (for checks on its path)."""
    cover = Cover(n)
    live: dict[int, tuple] = {}
    next_pid = 0
    for _ in range(steps):
        before = {p: cover.kept_mask(p) for p in cover.pid_gids}
        if live and rng.random() < 0.3:
            pid = int(rng.choice(sorted(live)))
            cover.begin()
            cover.remove(pid)
            _check_touched(cover, before)
            if rng.random() < 0.5:
                cover.commit()
                del live[pid]
            else:
                cover.rollback()
        else:
            w, cells = _random_window_set(rng, n)
            pid, next_pid = next_pid, next_pid + 1
            cover.begin()
            cover.insert(pid, w, cells, pid)
            _check_touched(cover, before)
            assert pid in cover.touched
            if rng.random() < 0.6:
                cover.commit()
                live[pid] = (w, cells)
            else:
                cover.rollback()
        _check_cover(cover, live, n)
    return cover


@pytest.mark.parametrize("seed", range(8))
def test_cover_equals_full_greedy_pass_after_every_operation(seed):
    exercise_cover(np.random.default_rng(300 + seed))


# -- a whole search, step by step ------------------------------------------------------------------------
def planted_codes(seed: int = 0, n: int = 400):
    """Random flows plus episodes 'host h: (2=1, 3=2) then within a few flows h -> (2=2, 3=0)'."""
    rng = np.random.default_rng(seed)
    codes = random_codes(rng, n)
    for start in rng.choice(n - 4, size=n // 8, replace=False):
        h = int(rng.integers(0, 5))
        codes[start] = [h, codes[start, 1], 1, 2]
        codes[start + int(rng.integers(1, 4))] = [h, codes[start + 1, 1], 2, 0]
    times = np.cumsum(rng.integers(0, 30, n)).astype(np.int64)
    return codes, times


def full_total_bits(model: MDLModel) -> float:
    """The total code length recomputed from the accepted windows alone (no cached counts)."""
    bits = model.model_bits()
    for e in model.entries.values():
        acc = model.cover.accepted_windows(e.pid)
        if len(acc) == 0:
            continue
        bits += universal_integer_bits(len(acc)) + float(model._window_time_bits(acc).sum())
        if e.bn is not None and len(e.var_rows):
            bits += kt_bits(model.free_data(e, acc), e.bn.parents)
    mask = model.cover.uncovered_mask()
    return bits + kt_bits(model.codes[mask], model.base_bn.parents) + int(mask.sum()) * model.start_bits


def test_search_cover_and_length_equal_full_recomputation_after_every_round():
    codes, times = planted_codes()
    n = len(codes)
    model = MDLModel(codes, times)
    search = GreedySearch(model, list(IP_COLS), SearchLimits(max_rounds=25))
    checks = []
    run_round = search.run_round

    def checked_round():
        changed = run_round()
        entries = sorted(model.entries.values(), key=lambda e: e.pid)
        ref = greedy_cover_reference([(e.windows, e.pattern.covered_cells, e.rank) for e in entries], n)
        for e, expect in zip(entries, ref):
            assert {tuple(r) for r in model.cover.accepted_windows(e.pid).tolist()} == expect
        assert model.total_bits() == pytest.approx(full_total_bits(model), rel=1e-12, abs=1e-9)
        checks.append(changed)
        return changed

    search.run_round = checked_round
    search.run()
    assert sum(checks) >= 3                                    # the check ran on accepted candidates
    assert any(e.pattern.n_rows > 1 for e in model.entries.values())
    assert model.total_bits() < model.empty_model_bits()
    assert math.isfinite(model.total_bits())

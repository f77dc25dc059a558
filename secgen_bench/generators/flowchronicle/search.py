"""Greedy pattern search, as the artefact runs it, with lazily scored candidates.

Each round the candidates are: all single-row patterns with two FIXED
non-IP cells; every model pattern with one more FIXED non-IP cell in one row;
SET/USE extensions (a USE of an existing SET in a later row, a new SET/USE
pair, or a new last row that USEs a new SET); unions of two compatible
single-row model patterns; and, once a round in the first mode accepts
nothing, concatenations of two model patterns that both carry an IP
(placeholder or fixed). Candidates are ranked by (disjoint occurrences x
covered cells); the best untested one is tested (cover, BN, total length) and
kept when the total drops. A round ends at the first acceptance or after
``max_rejections`` (20) rejections; the search stops when a round of the
final mode accepts nothing. After each acceptance, patterns whose usage fell
are pruned when removing them shortens the total. ``max_tests`` caps the
candidate tests: a count, so a capped search ends at the same point on any
machine, where ``time_budget_s`` (a safety net) ends where the clock says.

Speed, without changing the choice: candidate scores depend on the data only,
so each is computed once and cached; most candidates enter a priority queue
with an *upper bound* of their score (e.g. the number of windows of the
parent pattern with the new value) and are scored exactly only when they
reach the top (a bound never below the exact score gives the same best
candidate as scoring everything). A popped generation-time bound is first
tightened from value counts (:meth:`CandidateQueue.bound_score`), which spares
most exact scorings of placeholder extensions and concatenations; these are
built as patterns only when popped. Ties are broken by generation order. An
exact score finds the candidate's windows from the longest cached prefix of
its rows (the first k rows of a model pattern, whose occurrences are those of
every pattern that starts with them), so an extension in row j or a
concatenation does not redo the rows before it.
"""
from __future__ import annotations

import heapq
import time
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from secgen_bench.generators.flowchronicle.model import MDLModel, PatternEntry
from secgen_bench.generators.flowchronicle.occurrences import find_windows, greedy_disjoint, row_fixed_mask
from secgen_bench.generators.flowchronicle.pattern import FIXED, SET, USE, Cell, Pattern


@dataclass
class SearchLimits:
    max_rejections: int = 20
    max_rounds: int | None = None
    max_patterns: int | None = None
    time_budget_s: float | None = None
    max_tests: int | None = None          # candidate tests (the search's unit of work); None = no cap


class CandidateQueue:
    """Candidates in a heap keyed by (-score or an upper bound of it, generation order).

    An entry is a stage: 0 = a cheap generation-time bound, 1 = a tighter bound from value counts
    (:meth:`bound_score`), 2 = the exact score. A popped bound is replaced by the next stage and
    pushed back with the same order; the first exact entry popped is the best candidate (highest
    score, then earliest generated), exactly as if every candidate had been scored exactly."""

    LOOSE, TIGHT, EXACT = 0, 1, 2

    def __init__(self, model: MDLModel, mask_fn=None):
        self.model = model
        self.heap: list = []
        self.items: list = []
        self.order = 0
        self.scores: dict[Pattern, int] = {}
        self.windows: OrderedDict = OrderedDict()
        self.n_exact = 0
        self.n_bounds = 0
        self._mask_fn = mask_fn or (lambda row: row_fixed_mask(model.codes, row, model.codes_by_column))
        self._value_counts: dict = {}
        self._n_values = int(model.codes.max()) + 1 if model.codes.size else 1
        self._prefixes = _BytesLRU(self.PREFIX_BYTES)     # rows[:k] of a model pattern -> their occurrences
        self._flows = _BytesLRU(self.FLOWS_BYTES)         # a row's FIXED cells -> the flows matching them

    PREFIX_BYTES, FLOWS_BYTES = 256 << 20, 128 << 20

    def push(self, spec, sources: tuple, value: int, exact: bool) -> None:
        if value <= 0:
            return
        self.items.append((spec, sources))
        heapq.heappush(self.heap, (-value, self.order, self.EXACT if exact else self.LOOSE, len(self.items) - 1))
        self.order += 1

    def push_many(self, specs, sources: tuple, values, exact: bool) -> None:
        stage = self.EXACT if exact else self.LOOSE
        new = []
        for spec, value in zip(specs, values):
            if value > 0:
                self.items.append((spec, sources))
                new.append((-int(value), self.order, stage, len(self.items) - 1))
                self.order += 1
        # entries are distinct (order is unique), so the pop sequence does not depend on how they went in
        if len(new) * 8 > len(self.heap):
            self.heap.extend(new)
            heapq.heapify(self.heap)
        else:
            for e in new:
                heapq.heappush(self.heap, e)

    def exact_score(self, pattern: Pattern) -> int:
        s = self.scores.get(pattern)
        if s is None:
            w = self.windows_of(pattern)
            s = int(len(greedy_disjoint(w, n_flows=self.model.n)) * pattern.covered_cells)
            self.scores[pattern] = s
            self.windows[pattern] = w
            if len(self.windows) > 256:
                self.windows.popitem(last=False)
            self.n_exact += 1
        return s

    def windows_of(self, pattern: Pattern) -> np.ndarray:
        """:func:`find_windows`, continued from the longest cached prefix of the pattern's rows: most
        candidates change a model pattern from some row on (or append to it), and their occurrences up to
        that row are the model pattern's."""
        rows, prefix = pattern.rows, None
        for k in range(len(rows) - 1, 1, -1):
            prefix = self._prefixes.get(rows[:k])
            if prefix is not None:
                break
        return find_windows(pattern, self.model.codes, self.model.codes_by_column, prefix=prefix,
                            flows_of=self.flows_of)

    def remember_prefixes(self, pattern: Pattern, windows: np.ndarray) -> None:
        """Caches the occurrences of the first 2..all rows of a model pattern (``windows``: all of them)."""
        prev = None
        for k in range(2, pattern.n_rows + 1):
            key = pattern.rows[:k]
            w = self._prefixes.get(key)
            if w is None:
                w = windows if k == pattern.n_rows else find_windows(
                    pattern, self.model.codes, self.model.codes_by_column, upto=k, prefix=prev, flows_of=self.flows_of)
                # int32 halves the cache (a cover table has under 2**25 flows)
                w = self._prefixes.put(key, w.astype(np.int32))
            prev = w

    def flows_of(self, row) -> np.ndarray:
        key = tuple(c for c in row if c.kind == FIXED)
        f = self._flows.get(key)
        if f is None:
            f = self._flows.put(key, np.flatnonzero(self._mask_fn(row)).astype(np.int64))
        return f

    def _counts(self, row, col: int) -> np.ndarray:
        key = (tuple(c for c in row if c.kind == FIXED), col)
        out = self._value_counts.get(key)
        if out is None:
            out = np.bincount(self.model.codes_by_column[col][self._mask_fn(row)], minlength=self._n_values)
            if len(self._value_counts) > 4096:
                self._value_counts.clear()
            self._value_counts[key] = out
        return out

    def bound_score(self, pattern: Pattern) -> int:
        """An upper bound of :meth:`exact_score` from counts only. Disjoint windows use distinct
        flows in every row, so their number is at most the flows matching any row's FIXED cells;
        and for a USE of a placeholder SET in row i, windows binding value v use distinct row-i and
        row-j flows with that value: at most sum_v min(#row-i flows with v, #row-j flows with v)."""
        self.n_bounds += 1
        rows = pattern.rows
        ub = min(int(np.count_nonzero(self._mask_fn(r))) for r in rows)
        sets = {c.value: (i, c.col) for i, r in enumerate(rows) for c in r if c.kind == SET}
        for j, r in enumerate(rows):
            for c in r:
                if c.kind == USE and ub > 0:
                    i, col = sets[c.value]
                    ub = min(ub, int(np.minimum(self._counts(rows[i], col), self._counts(r, c.col)).sum()))
        return ub * pattern.covered_cells

    def pop_best(self, tested: set) -> tuple[Pattern, int] | None:
        while self.heap:
            neg, order, stage, idx = heapq.heappop(self.heap)
            spec, sources = self.items[idx]
            if any(pid not in self.model.entries for pid in sources):
                continue
            pattern = spec if isinstance(spec, Pattern) else build_spec(spec, self.model)
            if pattern is None or pattern in tested:
                continue
            if stage != self.EXACT:
                if stage == self.LOOSE and pattern not in self.scores:
                    s, stage = min(-neg, self.bound_score(pattern)), self.TIGHT
                else:
                    s, stage = self.exact_score(pattern), self.EXACT
                if s > 0:
                    self.items[idx] = (pattern, sources)
                    heapq.heappush(self.heap, (-s, order, stage, idx))
                continue
            return pattern, -neg
        return None


class _BytesLRU:
    """A least-recently-used cache of arrays holding at most ``budget`` bytes."""

    def __init__(self, budget: int):
        self.budget, self.size = int(budget), 0
        self.items: OrderedDict = OrderedDict()

    def get(self, key):
        a = self.items.get(key)
        if a is not None:
            self.items.move_to_end(key)
        return a

    def put(self, key, a: np.ndarray) -> np.ndarray:
        if key in self.items:
            self.size -= self.items.pop(key).nbytes
        if a.nbytes <= self.budget:
            self.items[key] = a
            self.size += a.nbytes
            while self.size > self.budget:
                self.size -= self.items.popitem(last=False)[1].nbytes
        return a


def build_spec(spec, model: MDLModel) -> Pattern | None:
    kind = spec[0]
    if kind == "pair":
        _, a, va, b, vb = spec
        return Pattern(((Cell(a, FIXED, va), Cell(b, FIXED, vb)),))
    if kind == "ext":
        _, pid, row, col, value = spec
        entry = model.entries.get(pid)
        return None if entry is None else entry.pattern.with_cell(row, Cell(col, FIXED, value))
    if kind == "concat":
        _, a, b = spec
        x, y = model.entries.get(a), model.entries.get(b)
        return None if x is None or y is None else x.pattern.concat(y.pattern)
    raise ValueError(f"unknown candidate kind {kind!r}")


class GreedySearch:
    def __init__(self, model: MDLModel, ip_columns: list[int], limits: SearchLimits, log=None):
        self.model = model
        self.ip = set(ip_columns)
        self.non_ip = [c for c in range(model.n_cols) if c not in self.ip]
        self.limits = limits
        self.queue = CandidateQueue(model, self._mask)
        self.tested: set[Pattern] = set()
        self.mode = 0
        self.rounds = 0
        self.accepted: list[int] = []
        self.log = log or (lambda msg: None)
        self._row_masks: dict = {}
        self.tests = 0                   # candidate tests run by the search (forced patterns not counted)

    # -- candidate generation ---------------------------------------------------------
    def push_initial(self) -> None:
        codes = self.model.codes
        for ai, a in enumerate(self.non_ip):
            for b in self.non_ip[ai + 1:]:
                kb = int(codes[:, b].max()) + 1
                uniq, counts = np.unique(codes[:, a] * kb + codes[:, b], return_counts=True)
                specs = [("pair", a, int(u // kb), b, int(u % kb)) for u in uniq.tolist()]
                self.queue.push_many(specs, (), (2 * counts).tolist(), exact=True)

    def _mask(self, row) -> np.ndarray:
        key = tuple(c for c in row if c.kind == FIXED)
        m = self._row_masks.get(key)
        if m is None:
            m = row_fixed_mask(self.model.codes, row, self.model.codes_by_column)
            if len(self._row_masks) > 2048:
                self._row_masks.clear()
            self._row_masks[key] = m
        return m

    def push_extensions(self, entry: PatternEntry) -> None:
        p, codes, src = entry.pattern, self.model.codes, (entry.pid,)
        cells = p.covered_cells + 1
        self.queue.remember_prefixes(p, entry.windows)
        n0 = int(self._mask(p.rows[0]).sum())
        for i, row in enumerate(p.rows):
            taken = {c.col for c in row}
            if i == 0:
                base = codes[entry.windows[:, 0]] if len(entry.windows) else codes[:0]
            else:
                base = codes[self._mask(row)]
            for c in self.non_ip:
                if c in taken or len(base) == 0:
                    continue
                counts = np.bincount(base[:, c])
                vals = np.flatnonzero(counts)
                ub = counts[vals] if i == 0 else np.minimum(counts[vals], n0)
                self.queue.push_many([("ext", entry.pid, i, c, int(v)) for v in vals.tolist()], src,
                                     (ub * cells).tolist(), exact=False)
        for q in placeholder_extensions(p, sorted(self.ip)):
            self.queue.push(q, src, n0 * q.covered_cells, exact=False)
        if p.n_rows == 1:
            for other in list(self.model.entries.values()):
                if other.pid == entry.pid or other.pattern.n_rows != 1:
                    continue
                u = union_rows(p, other.pattern)
                if u is not None:
                    count = int((self._mask(p.rows[0]) & self._mask(other.pattern.rows[0])).sum())
                    self.queue.push(u, (entry.pid, other.pid), count * u.covered_cells, exact=True)
        if self.mode == 1:
            self.push_concatenations(entry)

    def push_concatenations(self, entry: PatternEntry, all_pairs: bool = False) -> None:
        entries = list(self.model.entries.values())
        firsts = entries if all_pairs else [entry]
        for a in firsts:
            for b in entries:
                for x, y in ((a, b), (b, a)) if not all_pairs else ((a, b),):
                    if not (x.pattern.ip_markers() & y.pattern.ip_markers()) and not shares_fixed_ip(x.pattern, y.pattern, self.ip):
                        continue
                    # built lazily (most are never popped); concatenation keeps every cell's kind
                    n0 = int(self._mask(x.pattern.rows[0]).sum())
                    cells = x.pattern.covered_cells + y.pattern.covered_cells
                    self.queue.push(("concat", x.pid, y.pid), (x.pid, y.pid), n0 * cells, exact=False)

    # -- the loop -----------------------------------------------------------------------
    def add_forced(self, pattern: Pattern) -> PatternEntry:
        ok, entry, _ = self.model.try_add(pattern, force=True)
        self.tested.add(pattern)
        self.tested.add(entry.pattern)
        self.push_extensions(entry)
        return entry

    def run(self) -> None:
        t0 = time.perf_counter()
        self.push_initial()
        for e in list(self.model.entries.values()):
            self.push_extensions(e)
        changes = True
        lim = self.limits
        self.stop_reason = "converged"
        while changes or self.mode == 0:
            if self._out_of_tests():
                self.stop_reason = "max_tests"
                break
            if lim.max_rounds is not None and self.rounds >= lim.max_rounds:
                self.stop_reason = "max_rounds"
                break
            if lim.time_budget_s is not None and time.perf_counter() - t0 > lim.time_budget_s:
                self.stop_reason = "time_budget_s"
                break
            if lim.max_patterns is not None and len(self.model.entries) >= lim.max_patterns:
                self.stop_reason = "max_patterns"
                break
            self.rounds += 1
            if not changes:
                self.mode = 1
                self.push_concatenations(None, all_pairs=True)
            changes = self.run_round()
            self.log(f"round {self.rounds} mode {self.mode}: {len(self.model.entries)} patterns, "
                     f"{self.model.total_bits():.0f} bits")
        # a last pass: drop any pattern whose removal shortens the total
        self.model.prune({pid: self.model.cover.usage(pid) + 1 for pid in self.model.entries})

    def _out_of_tests(self) -> bool:
        return self.limits.max_tests is not None and self.tests >= self.limits.max_tests

    def run_round(self) -> bool:
        rejections = 0
        while rejections < self.limits.max_rejections:
            if self._out_of_tests():
                return False
            best = self.queue.pop_best(self.tested)
            if best is None:
                return False
            pattern, _score = best
            self.tested.add(pattern)
            usage_before = self.model.usages()
            windows = self.queue.windows.get(pattern)
            self.tests += 1
            ok, entry, gain = self.model.try_add(pattern, windows=windows)
            if not ok:
                rejections += 1
                continue
            self.tested.add(entry.pattern)
            self.accepted.append(entry.pid)
            self.model.prune(usage_before)
            if entry.pid in self.model.entries:
                self.push_extensions(entry)
            return True
        return False


def shares_fixed_ip(a: Pattern, b: Pattern, ip: set) -> bool:
    va = {c.value for r in a.rows for c in r if c.kind == FIXED and c.col in ip}
    vb = {c.value for r in b.rows for c in r if c.kind == FIXED and c.col in ip}
    return bool(va & vb)


def union_rows(a: Pattern, b: Pattern) -> Pattern | None:
    """Union of two single-row patterns, None when they disagree on a column."""
    ra = {c.col: c for c in a.rows[0]}
    rb = {c.col: c for c in b.rows[0]}
    for col in ra.keys() & rb.keys():
        if ra[col] != rb[col]:
            return None
    merged = {**ra, **rb}
    if len(merged) == len(ra) or len(merged) == len(rb):
        return None          # one contains the other
    # SET placeholders of the two single rows are distinct placeholders
    cells, k = [], 0
    for col in sorted(merged):
        c = merged[col]
        if c.kind == SET:
            c = Cell(col, SET, k); k += 1
        cells.append(c)
    return Pattern((tuple(cells),))


def placeholder_extensions(p: Pattern, ip_cols: list[int]) -> list[Pattern]:
    """USE an existing SET in a later row; a new SET with a USE in a later row; a new last row USEing a new SET."""
    out = []
    n_ph = p.n_placeholders
    for i, row in enumerate(p.rows):
        for c in row:
            if c.kind != SET:
                continue
            for j in range(i + 1, p.n_rows):
                taken = {x.col for x in p.rows[j]}
                for col in ip_cols:
                    if col not in taken:
                        out.append(p.with_cell(j, Cell(col, USE, c.value)))
    for i, row in enumerate(p.rows):
        taken_i = {x.col for x in row}
        for col in ip_cols:
            if col in taken_i:
                continue
            with_set = p.with_cell(i, Cell(col, SET, n_ph + 1000))
            # the new placeholder's canonical id
            new_id = next(c.value for c in with_set.rows[i] if c.col == col)
            for j in range(i + 1, p.n_rows):
                taken_j = {x.col for x in p.rows[j]}
                for cj in ip_cols:
                    if cj not in taken_j:
                        out.append(with_set.with_cell(j, Cell(cj, USE, new_id)))
            for cj in ip_cols:
                out.append(with_set.with_row([Cell(cj, USE, new_id)]))
    uniq = []
    seen = set()
    for q in out:
        if q not in seen:
            seen.add(q)
            uniq.append(q)
    return uniq

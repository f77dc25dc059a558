"""The MDL model: a pattern set, its cover, and the total description length in bits.

L(M) = L_N(|P| + 1) + sum_p [L_N(rows) + row costs + BN structure] + base BN structure.
L(D|M) = sum over used windows [log2(time range) + sum_delays L_N(delay + 1)]
       + sum over used patterns [L_N(usage) + KT code of its free cells under its BN]
       + KT code of the uncovered flows under the base BN + log2(time range) per uncovered flow.

Pattern BN structures are learnt once, when the pattern is tested on the
windows it wins then; afterwards only counts change with the cover, as in the
artefact. The base BN structure is learnt once on all flows.
"""
from __future__ import annotations

import hashlib
import math

from scipy.special import gammaln
from dataclasses import dataclass, field

import numpy as np

from secgen_bench.generators.flowchronicle import kernels
from secgen_bench.generators.flowchronicle.bn import DiscreteBN, compress, unique_inverse
from secgen_bench.generators.flowchronicle.cover import Cover
from secgen_bench.generators.flowchronicle.mdl import (_LGAMMA_HALF, _LN2, universal_integer_bits,
                                                       universal_integer_bits_array)
from secgen_bench.generators.flowchronicle.occurrences import column_major, find_windows
from secgen_bench.generators.flowchronicle.pattern import FIXED, SET, USE, Cell, Pattern


@dataclass
class PatternEntry:
    pid: int
    pattern: Pattern
    rank: int
    windows: np.ndarray
    var_rows: np.ndarray
    var_cols: np.ndarray
    bn: DiscreteBN | None = None
    model_bits: float = 0.0
    data_bits: float = 0.0
    time_bits: np.ndarray = field(default_factory=lambda: np.zeros(0))
    gain_bits: float | None = None
    family_code: "FamilyCode | None" = None
    kept_counts: tuple | None = None      # (kept-window mask, family counts) at the last refresh
    refreshed: bool = False

    def variables(self, columns) -> list[str]:
        return [f"{columns[c]}-r{r}" for r, c in zip(self.var_rows.tolist(), self.var_cols.tolist())]


class FamilyCode:
    """KT code of any subset of the rows of a fixed data matrix under a fixed BN structure.

    The family (parent configuration, value) ids of every row are computed once,
    so coding a subset (the uncovered flows, or the windows a pattern currently
    wins) is one ``bincount`` instead of a fresh count; the sums run over the
    same arrays in the same order as a direct count, so the bits are identical.
    """

    def __init__(self, data: np.ndarray, parents, coded: np.ndarray | None = None):
        """``coded``: which variables have a code (default: those with more than one value in ``data``).
        Built on a subset of the rows with ``coded`` taken from all of them, ``bits`` of the whole subset
        equals ``bits`` of that subset under the code of all rows, bit for bit: the nonzero counts come
        out in the same order (configurations and values in lexicographic order of their values)."""
        m = data.shape[0]
        xs, cfgs, joints, x_starts = [], [], [], []
        offs = [0, 0, 0]
        if m:
            local, card, _ = compress(data)
            for v, pa in enumerate(parents):
                if (card[v] <= 1) if coded is None else not coded[v]:
                    continue
                x = local[:, v]
                cfg = np.zeros(m, dtype=np.int64)
                for p in pa:
                    cfg = cfg * int(card[p]) + local[:, p]
                _, cfg_id = unique_inverse(cfg)
                _, joint_id = unique_inverse(cfg * int(card[v]) + x)
                x_starts.append(offs[0])
                xs.append(x + offs[0]); cfgs.append(cfg_id + offs[1]); joints.append(joint_id + offs[2])
                offs = [offs[0] + int(card[v]), offs[1] + int(cfg_id.max()) + 1, offs[2] + int(joint_id.max()) + 1]
        self.n_families = len(xs)
        self.sizes = offs
        # one id matrix: value ids, then configuration ids, then (configuration, value) ids, offset so a
        # single bincount of a subset's rows gives all three count vectors
        if xs:
            self.ids = np.concatenate([np.stack(xs, axis=1), np.stack(cfgs, axis=1) + offs[0],
                                       np.stack(joints, axis=1) + offs[0] + offs[1]], axis=1)
            if sum(offs) < 1 << 31:          # one matrix per model pattern, over all its windows: half the memory
                self.ids = self.ids.astype(np.int32)
            # family v's value ids are the contiguous block starting at x_starts[v]
            self.x_starts = np.array(x_starts, dtype=np.int64)
            self.cfg_fam = np.zeros(offs[1], dtype=np.int64)
            self.cfg_fam[np.stack(cfgs, axis=1).ravel()] = np.tile(np.arange(self.n_families), m)
        else:
            self.ids = np.zeros((m, 0), dtype=np.int64)
        self._total = sum(offs)

    def bits(self, subset: np.ndarray) -> float:
        """``subset``: a boolean mask or an index array over the rows (all families at once)."""
        if self.n_families == 0 or len(subset) == 0 or (subset.dtype == bool and not subset.any()):
            return 0.0
        return self.bits_from_counts(self.counts(subset), 1)

    def counts(self, subset: np.ndarray) -> np.ndarray:
        """The count vector :meth:`bits_from_counts` codes (value, configuration, family counts)."""
        return np.bincount(self.ids[subset].ravel(), minlength=self._total)

    def bits_from_counts(self, counts: np.ndarray, n_rows: int) -> float:
        if self.n_families == 0 or n_rows == 0:
            return 0.0
        s0, s1 = self.sizes[0], self.sizes[1]
        xc, nj, cj = counts[:s0], counts[s0:s0 + s1], counts[s0 + s1:]
        k = np.add.reduceat(xc > 0, self.x_starts, dtype=np.int64)           # values seen per family
        nz = nj > 0
        ke = 0.5 * k[self.cfg_fam[nz]]
        nats = float(np.sum(gammaln(nj[nz] + ke) - gammaln(ke)))
        cz = cj[cj > 0]
        nats -= float(np.sum(gammaln(cz + 0.5)) - len(cz) * _LGAMMA_HALF)
        return nats / _LN2


class UncoveredCounts:
    """The base code's counts over the uncovered flows, kept up to date from the flows whose owner
    the cover changed (:meth:`Cover.take_changed`), so a total costs the changes since the last one
    instead of a recount of all n flows; the counts, hence the bits, are the same integers."""

    def __init__(self, code: FamilyCode, cover: Cover):
        self.code, self.cover = code, cover
        self.mask: np.ndarray | None = None

    def bits(self) -> tuple[float, int]:
        changed = self.cover.take_changed()
        if self.mask is None or changed is None:
            self.mask = self.cover.uncovered_mask().copy()
            self.counts = self.code.counts(self.mask)
            self.size = int(self.mask.sum())
        elif len(changed):
            seen = np.zeros(self.cover.n, dtype=bool)       # distinct changed flows, ascending, without a sort
            seen[changed] = True
            flows = np.flatnonzero(seen)
            now = self.cover.owner[flows] < 0
            was = self.mask[flows]
            gained, lost = flows[now & ~was], flows[was & ~now]
            if len(gained):
                np.add.at(self.counts, self.code.ids[gained].ravel(), 1)
            if len(lost):
                np.subtract.at(self.counts, self.code.ids[lost].ravel(), 1)
            self.mask[flows] = now
            self.size += len(gained) - len(lost)
        return self.code.bits_from_counts(self.counts, self.size), self.size


class MDLModel:
    """Pattern set + cover + code lengths over one encoded training table."""

    def __init__(self, codes: np.ndarray, times: np.ndarray, max_indegree: int = 3):
        self.codes = codes
        self.codes_by_column = column_major(codes)
        self.times = times
        self.n, self.n_cols = codes.shape
        self.max_indegree = max_indegree
        self.domain_sizes = [len(np.unique(codes[:, j])) for j in range(self.n_cols)]
        rng = int(times[-1] - times[0]) if len(times) else 0
        self.start_bits = math.log2(rng) if rng > 1 else 0.0
        self.compiled = kernels.enabled(self.n)
        self.base_bn = DiscreteBN.learn([f"c{j}" for j in range(self.n_cols)], codes, max_indegree, self.compiled)
        self.base_code = FamilyCode(codes, self.base_bn.parents)
        self.base_structure_bits = self.base_bn.structure_bits()
        self.cover = Cover(self.n)
        self._uncovered = UncoveredCounts(self.base_code, self.cover)
        self.entries: dict[int, PatternEntry] = {}
        self._next_pid = 0
        self._bn_cache: dict[str, DiscreteBN] = {}
        self.n_bn_fits = 0
        self.n_tests = 0

    # -- lengths ---------------------------------------------------------------
    def model_bits(self, extra: int = 0) -> float:
        return (universal_integer_bits(len(self.entries) + 1 + extra)
                + sum(e.model_bits for e in self.entries.values()) + self.base_structure_bits)

    def uncovered_bits(self) -> float:
        bits, size = self._uncovered.bits()
        return bits + size * self.start_bits

    def data_bits(self) -> float:
        return sum(e.data_bits for e in self.entries.values()) + self.uncovered_bits()

    def total_bits(self) -> float:
        return self.model_bits() + self.data_bits()

    def empty_model_bits(self) -> float:
        """Length of the model without patterns (every flow coded by the base BN)."""
        mask = np.ones(self.n, dtype=bool)
        return (universal_integer_bits(1) + self.base_structure_bits + self.base_code.bits(mask)
                + self.n * self.start_bits)

    def _window_time_bits(self, windows: np.ndarray) -> np.ndarray:
        bits = np.full(len(windows), self.start_bits)
        if windows.shape[1] > 1 and len(windows):
            delays = np.diff(self.times[windows], axis=1)
            bits += universal_integer_bits_array(delays.reshape(-1) + 1).reshape(delays.shape).sum(axis=1)
        return bits

    def free_data(self, entry: PatternEntry, windows: np.ndarray) -> np.ndarray:
        if len(windows) == 0:
            return np.zeros((0, len(entry.var_rows)), dtype=np.int64)
        return self.codes[windows[:, entry.var_rows], entry.var_cols]

    def refresh_data_bits(self, entry: PatternEntry) -> float:
        local_idx = self.cover.accepted_local(entry.pid)
        if len(local_idx) == 0:
            entry.data_bits = 0.0
            return 0.0
        bits = float(entry.time_bits[local_idx].sum()) + universal_integer_bits(len(local_idx))
        if entry.bn is not None and len(entry.var_rows):
            if entry.family_code is None and not entry.refreshed:
                # the first refresh is the candidate's own test, which most candidates fail: code just
                # the windows it wins (same bits, see FamilyCode) instead of building the code of all
                entry.refreshed = True
                bits += self._won_windows_bits(entry, local_idx)
            else:
                if entry.family_code is None:
                    entry.family_code = FamilyCode(self.free_data(entry, entry.windows), entry.bn.parents)
                bits += self._kept_family_bits(entry, local_idx)
        entry.data_bits = bits
        return bits

    def _kept_family_bits(self, entry: PatternEntry, local_idx: np.ndarray) -> float:
        """``family_code.bits(local_idx)``, with the counts updated from the windows whose kept flag
        changed since the entry's last refresh instead of recounted (the same integers, so the same bits)."""
        code = entry.family_code
        if code.n_families == 0:
            return 0.0
        kept = self.cover.kept_mask(entry.pid)
        changed = None
        if entry.kept_counts is not None:
            changed = np.flatnonzero(kept != entry.kept_counts[0])
        if changed is None or len(changed) * 4 > len(local_idx):     # a recount is as cheap
            counts = code.counts(local_idx)
        else:
            counts = entry.kept_counts[1].copy()
            on = changed[kept[changed]]
            off = changed[~kept[changed]]
            if len(on):
                np.add.at(counts, code.ids[on].ravel(), 1)
            if len(off):
                np.subtract.at(counts, code.ids[off].ravel(), 1)
        entry.kept_counts = (kept, counts)
        return code.bits_from_counts(counts, 1)

    def _won_windows_bits(self, entry: PatternEntry, local_idx: np.ndarray) -> float:
        won = self.free_data(entry, entry.windows[local_idx])
        coded = self._varying(entry)
        return FamilyCode(won, entry.bn.parents, coded).bits(np.ones(len(won), dtype=bool))

    def _varying(self, entry: PatternEntry) -> np.ndarray:
        """Per free cell: whether its value differs between any two of the pattern's windows. Most cells
        differ within the first windows, so only the others are read over all of them."""
        w = entry.windows
        if len(w) == 0:
            return np.zeros(len(entry.var_rows), dtype=bool)
        head = self.free_data(entry, w[:1024])
        coded = (head != head[0]).any(axis=0)
        for j in np.flatnonzero(~coded).tolist():
            column = self.codes_by_column[entry.var_cols[j]]
            coded[j] = bool((column[w[:, entry.var_rows[j]]] != head[0, j]).any())
        return coded

    # -- building entries ---------------------------------------------------------
    def make_entry(self, pattern: Pattern, windows: np.ndarray | None = None) -> PatternEntry:
        if windows is None:
            windows = find_windows(pattern, self.codes, getattr(self, "codes_by_column", None))
        free = pattern.free_variables(self.n_cols)
        pid = self._next_pid
        self._next_pid += 1
        entry = PatternEntry(pid, pattern, pid, windows,
                             np.array([r for r, _ in free], dtype=np.int64),
                             np.array([c for _, c in free], dtype=np.int64))
        entry.time_bits = self._window_time_bits(windows)
        return entry

    def learn_bn(self, entry: PatternEntry, data: np.ndarray) -> DiscreteBN:
        """BN of a pattern on ``data`` (its free cells), cached by the data's bytes."""
        h = hashlib.sha1(np.ascontiguousarray(data).tobytes() + str(data.shape).encode()).hexdigest()
        bn = self._bn_cache.get(h)
        if bn is None:
            bn = DiscreteBN.learn(list(range(data.shape[1])), data, self.max_indegree, self.compiled)
            self.n_bn_fits += 1
            if len(self._bn_cache) > 4096:
                self._bn_cache.clear()
            self._bn_cache[h] = bn
        return DiscreteBN(entry.variables([str(c) for c in range(self.n_cols)]), bn.parents, self.max_indegree)

    def _set_model_bits(self, entry: PatternEntry) -> None:
        bn_bits = entry.bn.structure_bits() if entry.bn is not None else 0.0
        entry.model_bits = entry.pattern.model_bits(self.n_cols, self.domain_sizes, bn_bits)

    # -- search steps -----------------------------------------------------------------
    def try_add(self, pattern: Pattern, force: bool = False, windows: np.ndarray | None = None
                ) -> tuple[bool, PatternEntry | None, float]:
        """Test ``pattern`` (extended by the values its BN finds constant); keep it when the
        total length drops (or when ``force``). Returns (accepted, entry, gain in bits)."""
        self.n_tests += 1
        before = self.total_bits()
        for _ in range(self.n_cols * 64):
            self.cover.begin()
            self._undo_bits = {}
            entry = self.make_entry(pattern, windows)
            windows = None
            self.entries[entry.pid] = entry
            self.cover.insert(entry.pid, entry.windows, pattern.covered_cells, entry.rank)
            acc = self.cover.accepted_windows(entry.pid)
            data = self.free_data(entry, acc)
            if len(acc) and data.shape[1]:
                const = np.flatnonzero((data == data[0]).all(axis=0))
                if len(const):
                    self._rollback(entry)
                    pattern = self._fix_constants(entry, pattern, const, data[0])
                    continue
            if len(acc) and data.shape[1]:
                entry.bn = self.learn_bn(entry, data)
            self._set_model_bits(entry)
            for pid in list(self.cover.touched):
                if pid in self.entries:
                    self._refresh_logged(self.entries[pid])
            after = self.total_bits()
            if force or after < before - 1e-9:
                self.cover.commit()
                self._undo_bits = None
                return True, entry, before - after
            self._rollback(entry)
            return False, None, before - after
        raise RuntimeError("flowchronicle: constant-value extension did not converge")

    def _refresh_logged(self, entry: PatternEntry) -> None:
        self._undo_bits.setdefault(entry.pid, (entry.data_bits, entry.kept_counts))
        self.refresh_data_bits(entry)

    def _rollback(self, entry: PatternEntry | None) -> None:
        self.cover.rollback()
        for pid, (bits, kept_counts) in (self._undo_bits or {}).items():
            if pid in self.entries:
                self.entries[pid].data_bits, self.entries[pid].kept_counts = bits, kept_counts
        self._undo_bits = {}
        if entry is not None:
            self.entries.pop(entry.pid, None)

    _undo_bits: dict | None = None

    def _fix_constants(self, entry: PatternEntry, pattern: Pattern, const: np.ndarray, values: np.ndarray) -> Pattern:
        """The artefact's rule: a free cell that is constant over the pattern's windows becomes FIXED
        (a constant SET placeholder becomes FIXED together with its USEs)."""
        rows = [dict((c.col, c) for c in r) for r in pattern.rows]
        fixes: dict[int, int] = {}
        for j in const.tolist():
            r, col = int(entry.var_rows[j]), int(entry.var_cols[j])
            value = int(values[j])
            cell = rows[r].get(col)
            if cell is not None and cell.kind == SET:
                fixes[cell.value] = value
            rows[r][col] = Cell(col, FIXED, value)
        for r in rows:
            for col, c in list(r.items()):
                if c.kind == USE and c.value in fixes:
                    r[col] = Cell(col, FIXED, fixes[c.value])
        return Pattern(tuple(tuple(r.values()) for r in rows))

    def begin_removal_test(self, pid: int) -> float:
        """Remove ``pid`` inside an open transaction; returns the new total."""
        self._undo_bits = {}
        self.cover.begin()
        self.cover.remove(pid)
        removed = self.entries.pop(pid)
        self._removed = removed
        for q in list(self.cover.touched):
            if q in self.entries:
                self._refresh_logged(self.entries[q])
        return self.total_bits()

    def end_removal_test(self, keep_removed: bool) -> None:
        if keep_removed:
            self.cover.commit()
            self._undo_bits = None
        else:
            self._rollback(None)
            self.entries[self._removed.pid] = self._removed
            self.entries = dict(sorted(self.entries.items()))
        self._removed = None

    def removal_gain(self, pid: int) -> float:
        """Bits the total grows by when ``pid`` is removed (its code-length gain); state unchanged."""
        before = self.total_bits()
        after = self.begin_removal_test(pid)
        self.end_removal_test(False)
        return after - before

    def prune(self, usage_before: dict[int, int]) -> list[int]:
        """Drop patterns (whose usage fell) when their removal shortens the total."""
        drops = []
        for pid, old in usage_before.items():
            if pid in self.entries:
                diff = old - self.cover.usage(pid)
                if diff > 0:
                    drops.append((-diff, pid))
        removed = []
        for _, pid in sorted(drops):
            before = self.total_bits()
            after = self.begin_removal_test(pid)
            keep = after < before - 1e-9
            self.end_removal_test(keep)
            if keep:
                removed.append(pid)
        return removed

    def usages(self) -> dict[int, int]:
        return {pid: self.cover.usage(pid) for pid in self.entries}

"""The cover: which occurrence (window) explains each flow, updated incrementally in numpy.

The artefact's cover is a greedy pass over all windows of all patterns,
best first (more covered cells first, then fewer interleaved flows; we break
the remaining ties by pattern age, then start position), keeping a window
when none of its flows is taken yet. Rebuilding that pass for every
candidate is what makes the published search slow.

Here the greedy result is *maintained*. It is the unique assignment in which
a window is kept exactly when it is alive and no earlier kept window shares a
flow with it, so after inserting or deleting windows it suffices to
re-evaluate the windows whose earlier neighbours changed until nothing
changes. That is done in vectorised rounds: each round evaluates every
"dirty" window that has no earlier dirty window on any of its flows (these
are flow-disjoint, so they are decided together), applies the changes
(a kept window takes its flows and evicts later owners; a dropped one frees
them) and marks as dirty the windows on freed flows that no earlier owner
blocks. Windows live in growable numpy arrays, each flow's windows in a
sorted (flow, window) index, and every change is logged so a rejected
candidate is rolled back exactly. The result equals a full greedy pass
(tested against :func:`greedy_cover_reference`). On large tables the propagation runs as the
key-order sweep in compiled code instead (:func:`.kernels.sweep`), which gives the same cover.
"""
from __future__ import annotations

import heapq

import numpy as np

from secgen_bench.generators.flowchronicle import kernels

_INT64_MAX = np.iinfo(np.int64).max


def _unique(a: np.ndarray) -> np.ndarray:
    """Sorted distinct values (np.unique without its overhead on the many small arrays here)."""
    if len(a) < 2:
        return a
    a = np.sort(a)
    return a[np.concatenate(([True], a[1:] != a[:-1]))]


class Cover:
    def __init__(self, n_flows: int):
        self.n = n = int(n_flows)
        self._owner = np.full(n + 1, -1, dtype=np.int64)   # slot n: the padding "flow", never owned
        self.owner = self._owner[:n]
        self._owner_key = np.full(n + 1, _INT64_MAX, dtype=np.int64)   # key of each flow's owner
        # window order as one int64: (score offset - score, rank, start), fields sized for this table
        self._start_bits = max(1, n.bit_length())
        score_bits = max(self._start_bits, 24) + 1
        self._score_off = 1 << (score_bits - 1)
        self._rank_bits = 63 - score_bits - self._start_bits
        if self._rank_bits < 12:
            raise ValueError(f"flowchronicle cover: {n} flows is too many for one table; mine it in chunks")
        cap = 1024
        # flows of each window, padded with n; int32 (a table has under 2**25 flows, see the key) halves
        # the largest array and the memory the propagation reads per window
        self._wf = np.full((cap, 1), n, dtype=np.int32)
        self._key = np.zeros(cap, dtype=np.int64)
        self._pid = np.zeros(cap, dtype=np.int64)
        self._set_state(np.zeros((cap, 4), dtype=bool))
        self.n_windows = 0
        self.pid_gids: dict[int, range] = {}
        self._pid_len: dict[int, int] = {}
        self._ix_flow = np.zeros(0, dtype=np.int64)          # committed (flow, window) index, sorted by flow
        self._ix_gid = np.zeros(0, dtype=np.int64)
        self._pending: tuple[np.ndarray, np.ndarray] | None = None   # index of an uncommitted insert
        self._dead_pids: list[int] = []
        self._log: list | None = None
        self.touched: set[int] = set()
        self.n_rounds = 0
        self._changed: list[np.ndarray] | None = []       # flows whose owner was written since take_changed
        self._changed_size = 0
        self.compiled = kernels.enabled(n)
        self._ix_start = self._ix_start_of = None      # per-flow offsets of the index (compiled path)
        self._pend_start = self._pend_start_of = None

    # -- transactions -----------------------------------------------------------
    def begin(self) -> None:
        if self._log is not None:
            raise RuntimeError("cover transaction already open")
        self._log = []
        self.touched = set()

    def commit(self) -> None:
        self._log = None
        if self._pending is not None:
            self._merge_index(*self._pending)
            self._pending = None
        if self._dead_pids:
            keep = self._alive[self._ix_gid]
            self._ix_flow, self._ix_gid = self._ix_flow[keep], self._ix_gid[keep]
            self._dead_pids = []

    def rollback(self) -> None:
        log = self._log
        self._log = None
        self._pending = None
        self._dead_pids = []
        for entry in reversed(log):
            kind = entry[0]
            if kind == "owner":
                _, flows, old = entry
                self._note_changed(flows)
                self._owner[flows] = old
                self._owner_key[flows] = np.where(old >= 0, self._key[np.maximum(old, 0)], _INT64_MAX)
            elif kind == "acc":
                self._acc[entry[1]] = entry[2]
            elif kind == "alive":
                _, start, stop = entry
                self._alive[start:stop] = True
            elif kind == "register":
                _, pid, start = entry
                self._acc[start:self.n_windows] = False
                self._alive[start:self.n_windows] = False
                self.n_windows = start
                del self.pid_gids[pid], self._pid_len[pid]

    def _merge_index(self, flows: np.ndarray, gids: np.ndarray) -> None:
        if self.compiled:
            self._ix_flow, self._ix_gid = kernels.merge_by_flow(self._ix_flow, self._ix_gid, flows, gids)
            return
        pos = np.searchsorted(self._ix_flow, flows, side="right")
        self._ix_flow = np.insert(self._ix_flow, pos, flows)
        self._ix_gid = np.insert(self._ix_gid, pos, gids)

    # -- storage ------------------------------------------------------------------
    def _reserve(self, extra: int, width: int) -> None:
        need = self.n_windows + extra
        cap, w = self._wf.shape
        if need <= cap and width <= w:
            return
        new_cap = max(cap, 1 << max(need - 1, 1).bit_length())
        new_w = max(w, width)
        wf = np.full((new_cap, new_w), self.n, dtype=np.int32)
        wf[:cap, :w] = self._wf
        self._wf = wf
        for name in ("_key", "_pid"):
            old = getattr(self, name)
            arr = np.zeros(new_cap, dtype=old.dtype)
            arr[:cap] = old
            setattr(self, name, arr)
        state = np.zeros((new_cap, 4), dtype=bool)
        state[:cap] = self._state
        self._set_state(state)

    def _set_state(self, state: np.ndarray) -> None:
        """Per-window flags side by side, so the propagation reads a window's flags in one memory access:
        alive, kept (``_acc``), and two scratch flags of the compiled sweep (queued, logged)."""
        self._state = state
        self._alive, self._acc = state[:, 0], state[:, 1]

    def window_keys(self, windows: np.ndarray, covered_cells: int, rank: int) -> np.ndarray:
        """Greedy order as one int64: higher score (100 x covered cells - gaps) first, then older
        pattern (lower rank), then earlier start."""
        if rank >= 1 << self._rank_bits:
            raise ValueError(f"flowchronicle cover: pattern rank {rank} exceeds {1 << self._rank_bits}")
        L = windows.shape[1]
        gaps = (windows[:, -1] - windows[:, 0]) - (L - 1)
        primary = self._score_off - (100 * int(covered_cells) - gaps)
        if len(primary) and (primary.min() < 0 or primary.max() >= 2 * self._score_off):
            raise ValueError("flowchronicle cover: window score out of range")
        return ((primary << (self._rank_bits + self._start_bits)) | (int(rank) << self._start_bits)
                | windows[:, 0]).astype(np.int64)

    # -- logged writes ---------------------------------------------------------------
    def _write_owner(self, flows: np.ndarray, gids: np.ndarray | None) -> None:
        """Give ``flows`` to windows ``gids`` (None: free them)."""
        if self._log is not None:
            self._log.append(("owner", flows, self._owner[flows].copy()))
        self._note_changed(flows)
        if gids is None:
            self._owner[flows] = -1
            self._owner_key[flows] = _INT64_MAX
        else:
            self._owner[flows] = gids
            self._owner_key[flows] = self._key[gids]

    def _write_acc(self, gids: np.ndarray, value: bool) -> None:
        if self._log is not None:
            self._log.append(("acc", gids, self._acc[gids].copy()))
        self._acc[gids] = value
        self._touch(gids)

    def _touch(self, gids: np.ndarray) -> None:
        """Marks the patterns of windows ``gids`` as touched (their code lengths need a refresh)."""
        if len(gids):
            self.touched.update(np.flatnonzero(np.bincount(self._pid[gids])).tolist())

    # -- windows --------------------------------------------------------------
    def insert(self, pid: int, windows: np.ndarray, covered_cells: int, rank: int) -> None:
        """Register a pattern's windows (m x rows flow positions) and update the greedy cover."""
        windows = np.asarray(windows, dtype=np.int64)
        m, L = windows.shape
        self._reserve(m, L)
        start = self.n_windows
        stop = start + m
        self._wf[start:stop, :L] = windows
        self._wf[start:stop, L:] = self.n
        self._key[start:stop] = self.window_keys(windows, covered_cells, rank)
        self._pid[start:stop] = pid
        self._alive[start:stop] = True
        self._acc[start:stop] = False
        self.n_windows = stop
        self.pid_gids[pid] = range(start, stop)
        self._pid_len[pid] = L
        self.touched.add(pid)
        flat = windows.reshape(-1)
        order = np.argsort(flat, kind="stable")
        index = (flat[order], np.repeat(np.arange(start, stop, dtype=np.int64), L)[order])
        if self._log is None:
            self._merge_index(*index)
        else:
            self._log.append(("register", pid, start))
            self._pending = index
        gids = np.arange(start, stop, dtype=np.int64)
        self._propagate(gids[self._unblocked(gids)])

    def remove(self, pid: int) -> None:
        """Delete a pattern's windows (kept registered but dead) and update the cover."""
        gids = self.pid_gids[pid]
        if self._log is not None:
            self._log.append(("alive", gids.start, gids.stop))
        self._alive[gids.start:gids.stop] = False
        self._dead_pids.append(pid)
        self.touched.add(pid)
        kept = gids.start + np.flatnonzero(self._acc[gids.start:gids.stop])
        if self.compiled:
            self._sweep_compiled(kept)      # each kept window is now dead: the sweep drops it and refills
            return
        freed = self._drop(kept)
        self._propagate(self._candidates(freed))

    # -- propagation ---------------------------------------------------------------
    def _unblocked(self, gids: np.ndarray) -> np.ndarray:
        """Mask: no flow of the window is held by an earlier window."""
        if len(gids) == 0:
            return np.zeros(0, dtype=bool)
        return ~(self._owner_key[self._wf[gids]] < self._key[gids][:, None]).any(axis=1)

    def _drop(self, gids: np.ndarray) -> np.ndarray:
        """Un-keep windows; returns the flows they held (now free)."""
        if len(gids) == 0:
            return np.zeros(0, dtype=np.int64)
        self._write_acc(gids, False)
        flows = self._wf[gids]
        held = self._owner[flows] == gids[:, None]
        freed = flows[held]
        self._write_owner(freed, None)
        return freed

    def _windows_on(self, flows: np.ndarray) -> np.ndarray:
        out = []
        sources = [(self._ix_flow, self._ix_gid)] + ([self._pending] if self._pending is not None else [])
        for fl, gi in sources:
            lo = np.searchsorted(fl, flows, side="left")
            cnt = np.searchsorted(fl, flows, side="right") - lo
            total = int(cnt.sum())
            if total:
                idx = np.arange(total) + np.repeat(lo - (np.cumsum(cnt) - cnt), cnt)
                out.append(gi[idx])
        return _unique(np.concatenate(out)) if out else np.zeros(0, dtype=np.int64)

    def _candidates(self, freed: np.ndarray) -> np.ndarray:
        """Windows on freed flows that could now be kept: alive, not kept, not blocked by an earlier owner."""
        if len(freed) == 0:
            return np.zeros(0, dtype=np.int64)
        w = self._windows_on(_unique(freed))
        w = w[self._alive[w] & ~self._acc[w]]
        return w[self._unblocked(w)]

    def _propagate(self, dirty: np.ndarray) -> None:
        if self.compiled:
            self._sweep_compiled(dirty)
            return
        n = self.n
        key, owner, wf = self._key, self._owner, self._wf
        first = self._first_scratch()
        rounds = 0
        while len(dirty):
            self.n_rounds += 1
            rounds += 1
            flows = wf[dirty]
            kd = key[dirty]
            if len(dirty) == 1:
                g, fg, kg, rest = dirty, flows, kd, dirty[:0]
            else:
                # earliest dirty key on each of the dirty windows' flows (the scratch is all-MAX
                # outside a round, so a round costs the dirty windows' size, not the table's)
                flat = flows.reshape(-1)
                np.minimum.at(first, flat, np.repeat(kd, flows.shape[1]))
                first[n] = _INT64_MAX
                ready = (first[flows] >= kd[:, None]).all(axis=1)
                first[flat] = _INT64_MAX
                rest = dirty[~ready]
                g = dirty[ready]
                fg, kg = flows[ready], kd[ready]
            own = owner[fg]
            blocked = (self._owner_key[fg] < kg[:, None]).any(axis=1)
            should = self._alive[g] & ~blocked
            cur = self._acc[g]
            up = should & ~cur
            down = ~should & cur
            winners, wflows = g[up], fg[up]
            evicted = own[up]
            evicted = evicted[(evicted >= 0) & (evicted != winners[:, None])]
            losers = _unique(np.concatenate([evicted, g[down]]))
            freed = self._drop(losers)
            if len(winners):
                self._write_acc(winners, True)
                real = wflows < n
                self._write_owner(wflows[real], np.broadcast_to(winners[:, None], wflows.shape)[real])
            freed = freed[owner[freed] < 0]
            pushed = self._candidates(freed)
            if len(winners) and len(rest):
                # a waiting window that an earlier window now blocks would evaluate to "not kept" (it is
                # not kept): drop it; if that blocker loses the flow, the freed flow brings it back
                rest = rest[self._unblocked(rest)]
            dirty = _unique(np.concatenate([rest, pushed])) if len(pushed) else rest
            if rounds >= self.SWEEP_AFTER and len(dirty) > self.SWEEP_MIN and len(g) * self.SWEEP_RATIO < len(dirty):
                # a chain (each window waits on the previous one): rounds would decide a few windows
                # each while costing all of them; finish in key order instead. Only after many rounds:
                # a swept window costs ~100x its share of a round, and real covers settle in a few rounds
                self.n_sweeps += 1
                self._sweep(dirty)
                return

    SWEEP_AFTER, SWEEP_MIN, SWEEP_RATIO = 64, 64, 32
    n_sweeps = 0

    def _first_scratch(self) -> np.ndarray:
        scratch = getattr(self, "_first", None)
        if scratch is None:
            scratch = self._first = np.full(self.n + 1, _INT64_MAX, dtype=np.int64)
        return scratch

    def _sweep(self, dirty: np.ndarray) -> None:
        """Propagation one window at a time, in key order (a heap of dirty windows).

        Exact because a window's state depends only on earlier windows: deciding the earliest dirty
        window cannot be undone by a later one, and what it changes only dirties later windows (any
        earlier one that a freed flow brings back is consistent and re-evaluates to no change). The
        result is the same unique greedy cover as the vectorised rounds give."""
        n = self.n
        key, wf, alive, acc = self._key, self._wf, self._alive, self._acc
        heap = list(zip(key[dirty].tolist(), dirty.tolist()))
        heapq.heapify(heap)
        queued = set(dirty.tolist())
        while heap:
            k, gi = heapq.heappop(heap)
            queued.discard(gi)
            self.n_rounds += 1
            fg = wf[gi]
            should = bool(alive[gi]) and not bool((self._owner_key[fg] < k).any())
            if should == bool(acc[gi]):
                continue
            g = np.array([gi], dtype=np.int64)
            if should:
                own = self._owner[fg]
                freed = self._drop(_unique(own[(own >= 0) & (own != gi)]))
                self._write_acc(g, True)
                real = fg[fg < n]
                self._write_owner(real, np.full(len(real), gi, dtype=np.int64))
            else:
                freed = self._drop(g)
            freed = freed[self._owner[freed] < 0]
            for w in self._candidates(freed).tolist():
                if w not in queued:
                    queued.add(w)
                    heapq.heappush(heap, (int(key[w]), w))

    def _sweep_compiled(self, dirty: np.ndarray) -> None:
        """:meth:`_sweep` in compiled code; logs each written flow and flag once, with its old value."""
        if len(dirty) == 0:
            return
        empty = np.zeros(0, dtype=np.int64)
        if self._ix_start_of is not self._ix_flow:          # the index changed (commit) since the offsets
            self._ix_start = kernels.flow_offsets(self._ix_flow, self.n)
            self._ix_key, self._ix_start_of = self._key[self._ix_gid], self._ix_flow
        if self._pending is not None:
            if self._pend_start_of is not self._pending:
                self._pend_start = kernels.flow_offsets(self._pending[0], self.n)
                self._pend_key, self._pend_start_of = self._key[self._pending[1]], self._pending
            pend_start, pend_gid, pend_key = self._pend_start, self._pending[1], self._pend_key
        else:
            pend_start = pend_gid = pend_key = empty
        flows, old_owner, gids, old_acc = kernels.sweep(
            dirty, self._key, self._wf, self._alive, self._acc, self._owner, self._owner_key,
            self._ix_start, self._ix_gid, self._ix_key, pend_start, pend_gid, pend_key, self.n,
            self._sweep_scratch())
        self.n_rounds += 1
        if self._log is not None:
            if len(flows):
                self._log.append(("owner", flows, old_owner))
            if len(gids):
                self._log.append(("acc", gids, old_acc))
        self._note_changed(flows)
        # only patterns whose kept set changed need a refresh: a window evicted and kept again in one
        # sweep leaves its pattern's code lengths as they were
        self._touch(gids[self._acc[gids] != old_acc])

    def _sweep_scratch(self) -> tuple:
        """All-False flags the compiled sweep uses and clears again: per window (next to its other flags)
        and per flow (allocated once)."""
        if getattr(self, "_flow_seen", None) is None:
            self._flow_seen = np.zeros(self.n + 1, dtype=bool)
        return self._state[:, 2], self._state[:, 3], self._flow_seen

    def _note_changed(self, flows: np.ndarray) -> None:
        if self._changed is None or not len(flows):
            return
        self._changed.append(flows)
        self._changed_size += len(flows)
        if self._changed_size > self.n:
            self._changed = None                           # more than a full rescan: say "everything"

    def take_changed(self) -> np.ndarray | None:
        """Flows whose owner may have changed since the last call (with repeats), or None for "any flow";
        lets the model keep counts of the uncovered flows instead of recounting all n per total."""
        changed = self._changed
        self._changed, self._changed_size = [], 0
        if changed is None:
            return None
        return np.concatenate(changed) if changed else np.zeros(0, dtype=np.int64)

    # -- queries ----------------------------------------------------------------
    def accepted_local(self, pid: int) -> np.ndarray:
        """Indices (within the pattern's windows, ascending) of its kept windows."""
        gids = self.pid_gids.get(pid)
        if gids is None:
            return np.zeros(0, dtype=np.int64)
        return np.flatnonzero(self._acc[gids.start:gids.stop])

    def kept_mask(self, pid: int) -> np.ndarray:
        """A copy of the kept flags of the pattern's windows (in window order)."""
        gids = self.pid_gids[pid]
        return self._acc[gids.start:gids.stop].copy()

    def accepted_windows(self, pid: int) -> np.ndarray:
        local = self.accepted_local(pid)
        if len(local) == 0:
            return np.zeros((0, self._pid_len.get(pid, 0)), dtype=np.int64)
        return self._wf[self.pid_gids[pid].start + local, :self._pid_len[pid]].astype(np.int64)

    def usage(self, pid: int) -> int:
        gids = self.pid_gids.get(pid)
        return 0 if gids is None else int(np.count_nonzero(self._acc[gids.start:gids.stop]))

    def uncovered_mask(self) -> np.ndarray:
        return self.owner < 0


def greedy_cover_reference(window_sets: list[tuple[np.ndarray, int, int]], n: int) -> list[set[tuple]]:
    """Full greedy pass (the artefact's algorithm) for testing: [(windows, covered_cells, rank)] ->
    accepted windows (as tuples) per set."""
    items = []
    for idx, (w, cells, rank) in enumerate(window_sets):
        for r in w.tolist():
            gaps = (r[-1] - r[0]) - (len(r) - 1)
            items.append(((-(100 * cells - gaps), rank, r[0]), idx, tuple(r)))
    items.sort()
    taken = np.zeros(n, dtype=bool)
    out: list[set[tuple]] = [set() for _ in window_sets]
    for _, idx, r in items:
        if not taken[list(r)].any():
            taken[list(r)] = True
            out[idx].add(r)
    return out

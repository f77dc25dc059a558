"""Compiled loops (numba) for FlowChronicle's search on large tables; the numpy paths stay the reference.

Three steps of a candidate test touch every occurrence of a pattern, and numpy does them with
sorts and binary searches whose cost per element grows with the table (issue 19's superlinear
step): finding the next flow with a bound value (:func:`next_by_key`), the greedy pass of
disjoint windows (:func:`greedy_disjoint_pass`) and the cover's propagation in key order
(:func:`sweep`). Here each is one pass in compiled code, linear in what it touches; so are two
smaller steps that numpy does in many small calls or with a sort: the counts of a BN family in hill
climbing (:func:`family_counts`) and merging a commit's windows into the cover's flow index
(:func:`merge_by_flow`). They compute exactly what the numpy paths compute (integer logic only;
``tests/test_flowchronicle_kernels.py`` compares them on random inputs and a whole search), so the
choice changes speed, never a result.

Used when numba is installed (the ``[fast]`` extra) and the table has at least
:data:`MIN_FLOWS` flows: below that, numpy is fast enough and a process saves the few seconds
of compiling. ``SECGEN_BENCH_FC_KERNELS`` = ``auto`` (default), ``on`` (any size; tests) or ``off``.
"""
from __future__ import annotations

import os

import numpy as np

try:
    import numba
except ImportError:          # the [fast] extra is not installed: the numpy paths run
    numba = None

MIN_FLOWS = 50_000
_INT64_MAX = np.iinfo(np.int64).max


def available() -> bool:
    return numba is not None


def enabled(n_flows: int) -> bool:
    """Whether the compiled loops serve a table of ``n_flows`` flows."""
    mode = os.environ.get("SECGEN_BENCH_FC_KERNELS", "auto").strip().lower()
    if mode == "off" or numba is None:
        return False
    if mode == "on":
        return True
    if mode != "auto":
        raise ValueError(f"SECGEN_BENCH_FC_KERNELS={mode!r}: expected auto, on or off")
    return n_flows >= MIN_FLOWS


def _jit(fn=None, inline: bool = False):
    """numba's njit (no on-disk cache); ``inline`` for the small helpers of the sweep's inner loop."""
    if fn is None:
        return lambda f: _jit(f, inline)
    if numba is None:
        return fn
    return numba.njit(cache=False, nogil=True, inline="always" if inline else "never")(fn)


@_jit
def _counting_order(values, n_values):
    """Indices of ``values`` (integers in [0, n_values)) ordered by value, ties by index: a counting sort."""
    start = np.zeros(n_values + 1, dtype=np.int64)
    for v in values:
        start[v + 1] += 1
    for v in range(n_values):
        start[v + 1] += start[v]
    order = np.empty(len(values), dtype=np.int64)
    for i in range(len(values)):
        order[start[values[i]]] = i
        start[values[i]] += 1
    return order


@_jit
def _next_by_key(cand, cand_key, q_pos, q_key, n_keys, n):
    """For each query (position p, key k): the first candidate flow after p with key k, or -1.

    One pass over positions: a query waits in its key's list from its position on; a candidate
    answers every query waiting on its key (all were added after the previous candidate with
    that key, so it is their first), then the queries at its own position join."""
    m = len(q_pos)
    ans = np.full(m, -1, dtype=np.int64)
    # queries by position, stable: a merge sort when they are few (its cost is theirs, not the table's)
    if 16 * m < n:
        order = np.argsort(q_pos, kind="mergesort")
    else:
        order = _counting_order(q_pos, n + 1)
    head = np.full(n_keys, -1, dtype=np.int64)
    link = np.full(m, -1, dtype=np.int64)
    j = 0
    for ci in range(len(cand) + 1):
        t = cand[ci] if ci < len(cand) else n
        # queries at positions before t join their lists (they wait for a candidate after them)
        while j < m and q_pos[order[j]] < t:
            q = order[j]
            k = q_key[q]
            if k >= 0:
                link[q] = head[k]
                head[k] = q
            j += 1
        if ci == len(cand):
            break
        k = cand_key[ci]
        q = head[k]
        while q >= 0:
            ans[q] = t
            q = link[q]
        head[k] = -1
    return ans


def next_by_key(cand: np.ndarray, cand_key: np.ndarray, q_pos: np.ndarray, q_key: np.ndarray,
                n_keys: int, n: int) -> np.ndarray:
    """``cand``: ascending flow positions with keys ``cand_key`` in [0, n_keys); queries with key -1
    match nothing. Returns the answer per query (-1: none), as the sorted-key ``searchsorted`` does."""
    return _next_by_key(np.ascontiguousarray(cand, dtype=np.int64), np.ascontiguousarray(cand_key, dtype=np.int64),
                        np.ascontiguousarray(q_pos, dtype=np.int64), np.ascontiguousarray(q_key, dtype=np.int64),
                        int(n_keys), int(n))


@_jit
def _greedy_disjoint_pass(windows, n_flows):
    """Windows by fewest gaps first (ties: lower index), each kept when none of its flows is used."""
    m, L = windows.shape
    gaps = np.empty(m, dtype=np.int64)
    gmax = 0
    for i in range(m):
        g = (windows[i, L - 1] - windows[i, 0]) - (L - 1)
        gaps[i] = g
        if g > gmax:
            gmax = g
    order = _counting_order(gaps, gmax + 1)
    used = np.zeros(n_flows, dtype=np.bool_)
    keep = np.zeros(m, dtype=np.bool_)
    for oi in range(m):
        i = order[oi]
        free = True
        for c in range(L):
            if used[windows[i, c]]:
                free = False
                break
        if free:
            keep[i] = True
            for c in range(L):
                used[windows[i, c]] = True
    return np.flatnonzero(keep)


def greedy_disjoint_pass(windows: np.ndarray, n_flows: int) -> np.ndarray:
    """Same as :func:`.occurrences.greedy_disjoint` (ascending indices of the kept windows);
    ``n_flows``: more than the largest flow position in ``windows``."""
    return _greedy_disjoint_pass(np.ascontiguousarray(windows, dtype=np.int64), int(n_flows)).astype(np.int64)


@_jit
def _heap_push(hk, hg, size, k, g):
    i = size
    hk[i] = k
    hg[i] = g
    while i > 0:
        p = (i - 1) >> 1
        if hk[p] <= hk[i]:
            break
        hk[p], hk[i] = hk[i], hk[p]
        hg[p], hg[i] = hg[i], hg[p]
        i = p


@_jit
def _heap_pop(hk, hg, size):
    """Removes the root of a heap of ``size`` entries (the caller reads it first)."""
    size -= 1
    hk[0] = hk[size]
    hg[0] = hg[size]
    i = 0
    while True:
        a = 2 * i + 1
        if a >= size:
            break
        b = a + 1
        c = b if b < size and hk[b] < hk[a] else a
        if hk[i] <= hk[c]:
            break
        hk[c], hk[i] = hk[i], hk[c]
        hg[c], hg[i] = hg[i], hg[c]
        i = c


@_jit(inline=True)
def _room(a, b, size):
    """Parallel growable arrays ``a``, ``b`` (``size`` entries used) with room for one more."""
    if size < len(a):
        return a, b
    return np.concatenate((a, np.empty(size, a.dtype))), np.concatenate((b, np.empty(size, b.dtype)))


@_jit(inline=True)
def _log_once(seen, i, old, log_i, log_old, n_log):
    """Appends (i, old) to the log the first time ``i`` is written in this sweep."""
    if not seen[i]:
        seen[i] = True
        log_i, log_old = _room(log_i, log_old, n_log)
        log_i[n_log] = i
        log_old[n_log] = old
        n_log += 1
    return log_i, log_old, n_log


@_jit(inline=True)
def _unblocked(w, kw, wf, owner_key, n):
    """No flow of window ``w`` (key ``kw``) is held by an earlier window."""
    for c in range(wf.shape[1]):
        f = wf[w, c]
        if f == n:                                  # padding: only after a window's last flow
            break
        if owner_key[f] < kw:
            return False
    return True


@_jit(inline=True)
def _queue(w, kw, queued, hk, hg, size):
    if not queued[w]:
        hk, hg = _room(hk, hg, size)
        queued[w] = True
        _heap_push(hk, hg, size, kw, w)
        size += 1
    return hk, hg, size


@_jit
def _queue_first_on_many(f, after, ix_start, ix_gid, ix_key, pend_start, pend_gid, pend_key, queued, alive, acc,
                         wf, owner_key, n, hk, hg, size):
    """:func:`_queue_first_on` for a flow with more windows than its scratch holds: the candidates in
    key order by repeated passes over the flow's index (rare: a flow in many windows of one pattern)."""
    last = after
    while True:
        best_k = _INT64_MAX
        best_w = -1
        for src in range(2):
            st = ix_start if src == 0 else pend_start
            gl = ix_gid if src == 0 else pend_gid
            gk = ix_key if src == 0 else pend_key
            if len(st) == 0:
                continue
            for t in range(st[f], st[f + 1]):
                if last < gk[t] < best_k:
                    best_k = gk[t]
                    best_w = gl[t]
        if best_w < 0:
            return hk, hg, size
        if alive[best_w] and not acc[best_w] and _unblocked(best_w, best_k, wf, owner_key, n):
            return _queue(best_w, best_k, queued, hk, hg, size)
        last = best_k


@_jit(inline=True)
def _queue_first_on(f, after, ix_start, ix_gid, ix_key, pend_start, pend_gid, pend_key, queued, alive, acc, wf,
                    owner_key, n, hk, hg, size, cand_k, cand_w):
    """Queues the earliest window on free flow ``f`` with a key above ``after`` that is alive, not kept
    and not blocked by an earlier owner of another of its flows (nothing when that window is queued
    already). Reads the flow's index once into ``cand_k``/``cand_w``, ordered by key as it goes (the
    index holds a flow's windows in insertion order). Returns the heap."""
    m = 0
    for src in range(2):
        st = ix_start if src == 0 else pend_start
        gl = ix_gid if src == 0 else pend_gid
        gk = ix_key if src == 0 else pend_key
        if len(st) == 0:
            continue
        for t in range(st[f], st[f + 1]):
            kt = gk[t]
            if kt <= after:
                continue
            if m == len(cand_k):           # more windows than the scratch holds (rare)
                return _queue_first_on_many(f, after, ix_start, ix_gid, ix_key, pend_start, pend_gid, pend_key,
                                            queued, alive, acc, wf, owner_key, n, hk, hg, size)
            j = m
            while j > 0 and cand_k[j - 1] > kt:
                cand_k[j] = cand_k[j - 1]
                cand_w[j] = cand_w[j - 1]
                j -= 1
            cand_k[j] = kt
            cand_w[j] = gl[t]
            m += 1
    for j in range(m):
        w = cand_w[j]
        if alive[w] and not acc[w] and _unblocked(w, cand_k[j], wf, owner_key, n):
            return _queue(w, cand_k[j], queued, hk, hg, size)
    return hk, hg, size


@_jit
def _sweep(dirty, key, wf, alive, acc, owner, owner_key, ix_start, ix_gid, ix_key, pend_start, pend_gid, pend_key, n,
           queued, acc_seen, flow_seen):
    """The cover's key-order propagation (``Cover._sweep``) in one compiled loop.

    A flow's windows are ``ix_gid[ix_start[f]:ix_start[f + 1]]`` (committed) and the same in the
    pending index of an uncommitted insert; ``ix_key`` / ``pend_key`` hold their keys. A flow freed
    by a window with key k is looked at only for windows with later keys: an earlier window was not
    blocked by that flow before (its owner came later), so its state cannot change. A window's row
    of ``wf`` holds its flows, then the padding ``n`` (:meth:`Cover.insert`): loops over a row stop
    at the first ``n``.

    Of the windows that may take a free flow, only the earliest can (it blocks the later ones on that
    flow by taking it), so only it is queued (:func:`_queue_first_on`); when a queued window turns out
    blocked by another flow, each of its flows that is still free queues its next window the same way.
    A window that the full greedy pass keeps is therefore reached: the last of its blockers to be freed
    queues the flow's earliest eligible window, and every earlier one on that flow either is kept
    (then the greedy pass does not keep ours) or fails and hands the flow on. Queuing every window that
    may take a freed flow, as the numpy propagation does, gives the same cover with more heap work.

    Returns the flows whose owner was first written here with their old owners, and the windows
    whose kept flag was first written here with their old flags (the transaction log)."""
    INT_MAX = 9223372036854775807
    L = wf.shape[1]
    hk = np.empty(max(16, 2 * len(dirty)), dtype=np.int64)
    hg = np.empty(len(hk), dtype=np.int64)
    size = 0
    for g in dirty:
        if not queued[g]:
            queued[g] = True
            _heap_push(hk, hg, size, key[g], g)
            size += 1
    own_log_f = np.empty(64, dtype=np.int64)
    own_log_o = np.empty(64, dtype=np.int64)
    n_own = 0
    acc_log_g = np.empty(64, dtype=np.int64)
    acc_log_v = np.empty(64, dtype=np.bool_)
    n_acc = 0
    freed = np.empty(64, dtype=np.int64)
    freed_k = np.empty(64, dtype=np.int64)           # key of the window that freed each flow
    cand_k = np.empty(256, dtype=np.int64)           # scratch of _queue_first_on
    cand_w = np.empty(256, dtype=np.int64)
    while size > 0:
        k = hk[0]
        gi = hg[0]
        _heap_pop(hk, hg, size)
        size -= 1
        queued[gi] = False
        should = alive[gi] and _unblocked(gi, k, wf, owner_key, n)
        if should == acc[gi]:
            if not should:                          # blocked after all: its free flows go to their next window
                for c in range(L):
                    f = wf[gi, c]
                    if f == n:
                        break
                    if owner[f] < 0:
                        hk, hg, size = _queue_first_on(
                            f, k, ix_start, ix_gid, ix_key, pend_start, pend_gid, pend_key, queued, alive, acc, wf,
                            owner_key, n, hk, hg, size, cand_k, cand_w)
            continue
        n_freed = 0
        # windows to un-keep: the previous owners of gi's flows (when gi is kept), or gi itself
        for li in range(L if should else 1):
            if not should:
                lo = gi
            elif wf[gi, li] < n:
                lo = owner[wf[gi, li]]
            else:
                break
            if lo < 0 or lo == gi and should or not acc[lo]:
                continue
            acc_log_g, acc_log_v, n_acc = _log_once(acc_seen, lo, acc[lo], acc_log_g, acc_log_v, n_acc)
            acc[lo] = False
            for c in range(L):
                f = wf[lo, c]
                if f == n:
                    break
                if owner[f] == lo:
                    own_log_f, own_log_o, n_own = _log_once(flow_seen, f, owner[f], own_log_f, own_log_o, n_own)
                    owner[f] = -1
                    owner_key[f] = INT_MAX
                    freed, freed_k = _room(freed, freed_k, n_freed)
                    freed[n_freed] = f
                    freed_k[n_freed] = key[lo]
                    n_freed += 1
        if should:
            acc_log_g, acc_log_v, n_acc = _log_once(acc_seen, gi, acc[gi], acc_log_g, acc_log_v, n_acc)
            acc[gi] = True
            for c in range(L):
                f = wf[gi, c]
                if f == n:
                    break
                own_log_f, own_log_o, n_own = _log_once(flow_seen, f, owner[f], own_log_f, own_log_o, n_own)
                owner[f] = gi
                owner_key[f] = k
        # on each flow that stays free, the earliest window that may now be kept
        for fi in range(n_freed):
            f = freed[fi]
            if owner[f] >= 0:
                continue
            hk, hg, size = _queue_first_on(
                f, freed_k[fi], ix_start, ix_gid, ix_key, pend_start, pend_gid, pend_key, queued, alive, acc, wf,
                owner_key, n, hk, hg, size, cand_k, cand_w)
    for i in range(n_own):
        flow_seen[own_log_f[i]] = False
    for i in range(n_acc):
        acc_seen[acc_log_g[i]] = False
    return own_log_f[:n_own], own_log_o[:n_own], acc_log_g[:n_acc], acc_log_v[:n_acc]


def sweep(dirty, key, wf, alive, acc, owner, owner_key, ix_start, ix_gid, ix_key, pend_start, pend_gid, pend_key,
          n, scratch):
    """Runs the compiled sweep in place on the cover's arrays; returns its log (see :func:`_sweep`).
    ``scratch``: (queued, acc_seen, flow_seen) all-False arrays kept by the caller between calls."""
    return _sweep(np.ascontiguousarray(dirty, dtype=np.int64), key, wf, alive, acc, owner, owner_key,
                  ix_start, ix_gid, ix_key, pend_start, pend_gid, pend_key, int(n), *scratch)


@_jit
def _family_counts(local, card, child, parents, weight):
    """Counts of a BN family: per observed parent configuration and per observed (configuration,
    value), both in ascending order of the mixed-radix key, as the numpy path gives them."""
    m = local.shape[0]
    k = card[child]
    weighted = len(weight) > 0
    if len(parents) == 0:
        joint = np.zeros(k, dtype=np.int64)
        total = 0
        for i in range(m):
            w = weight[i] if weighted else 1
            joint[local[i, child]] += w
            total += w
        nj = np.full(1, total, dtype=np.int64)
        return nj, joint[joint > 0]
    if m == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    key = np.empty(m, dtype=np.int64)
    lo, hi = _INT64_MAX, -1
    for i in range(m):
        c = 0
        for p in parents:
            c = c * card[p] + local[i, p]
        key[i] = c * k + local[i, child]
        lo, hi = min(lo, key[i]), max(hi, key[i])
    if hi - lo <= 4 * m + 4096:                       # a count table over the key range
        table = np.zeros(hi - lo + 1, dtype=np.int64)
        for i in range(m):
            table[key[i] - lo] += weight[i] if weighted else 1
        uj = np.flatnonzero(table) + lo
        cj = table[uj - lo]
    else:                                             # sort the keys and count the runs
        order = np.argsort(key)
        uj = np.empty(m, dtype=np.int64)
        cj = np.zeros(m, dtype=np.int64)
        u = -1
        for t in range(m):
            i = order[t]
            if u < 0 or key[i] != uj[u]:
                u += 1
                uj[u] = key[i]
            cj[u] += weight[i] if weighted else 1
        uj, cj = uj[:u + 1], cj[:u + 1]
    nj = np.zeros(len(uj), dtype=np.int64)
    g = -1
    for t in range(len(uj)):
        if t == 0 or uj[t] // k != uj[t - 1] // k:
            g += 1
        nj[g] += cj[t]
    return nj[:g + 1], cj


def family_counts(local: np.ndarray, card: np.ndarray, child: int, parents, weight: np.ndarray | None):
    """:func:`.bn._family_counts` in one compiled pass (the same integers in the same order)."""
    w = np.zeros(0, dtype=np.int64) if weight is None else np.ascontiguousarray(weight, dtype=np.int64)
    return _family_counts(np.ascontiguousarray(local, dtype=np.int64), np.ascontiguousarray(card, dtype=np.int64),
                          int(child), np.array(parents, dtype=np.int64).reshape(-1), w)


@_jit
def _merge_by_flow(a_flow, a_gid, b_flow, b_gid):
    na, nb = len(a_flow), len(b_flow)
    flow = np.empty(na + nb, dtype=np.int64)
    gid = np.empty(na + nb, dtype=np.int64)
    i = j = 0
    for t in range(na + nb):
        if j == nb or i < na and a_flow[i] <= b_flow[j]:
            flow[t], gid[t] = a_flow[i], a_gid[i]
            i += 1
        else:
            flow[t], gid[t] = b_flow[j], b_gid[j]
            j += 1
    return flow, gid


def merge_by_flow(a_flow, a_gid, b_flow, b_gid) -> tuple[np.ndarray, np.ndarray]:
    """Two (flow, window) indexes sorted by flow merged into one, ``b``'s entries after ``a``'s on the
    same flow: what ``np.insert`` at ``searchsorted(a_flow, b_flow, side="right")`` gives, in one pass."""
    c = np.ascontiguousarray
    return _merge_by_flow(c(a_flow, dtype=np.int64), c(a_gid, dtype=np.int64), c(b_flow, dtype=np.int64),
                          c(b_gid, dtype=np.int64))


def flow_offsets(ix_flow: np.ndarray, n: int) -> np.ndarray:
    """Offsets of each flow's run in an index sorted by flow (n + 1 entries)."""
    out = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(ix_flow, minlength=n), out=out[1:])
    return out

"""Occurrences (windows) of a pattern, found with numpy instead of a loop per start flow.

An occurrence starts at every flow matching the first row (its FIXED cells;
SET cells bind placeholders to that flow's values). Each next row is matched
by the *first later* flow (higher position in time order) that has the row's
FIXED values and, for USE cells, the values bound earlier; other flows may
interleave. All starts advance together: for a row with USE cells the
matching flows are sorted by (bound key, position), so one ``searchsorted``
finds, for every open occurrence, the first later flow with its key. On large
tables a compiled pass answers the same question in linear time
(:func:`.kernels.next_by_key`).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from secgen_bench.generators.flowchronicle import kernels
from secgen_bench.generators.flowchronicle.pattern import FIXED, SET, USE, Pattern


def column_major(codes: np.ndarray) -> np.ndarray:
    """The code matrix stored by column (columns x flows), so each column is one contiguous read."""
    return np.ascontiguousarray(codes.T)


def row_fixed_mask(codes: np.ndarray, row, columns: np.ndarray | None = None) -> np.ndarray:
    cols = codes.T if columns is None else columns
    mask = None
    for c in row:
        if c.kind == FIXED:
            hit = cols[c.col] == c.value
            mask = hit if mask is None else mask & hit
    return np.ones(codes.shape[0], dtype=bool) if mask is None else mask


def find_windows(pattern: Pattern, codes: np.ndarray, columns: np.ndarray | None = None, *,
                 upto: int | None = None, prefix: np.ndarray | None = None, flows_of=None) -> np.ndarray:
    """All occurrences as an int64 array (n_windows x n_rows) of flow positions, by start.
    ``columns``: :func:`column_major` of ``codes`` when the caller keeps one (faster).

    ``upto``: the occurrences of the first ``upto`` rows only. ``prefix``: the occurrences of the first
    k rows (k = its width, as this function gives them) to continue from: an occurrence's first k flows
    depend only on its start and those rows, so the result is the same as starting over.
    ``flows_of(row)``: the ascending flows matching a row's FIXED cells (a caller's cache)."""
    n = codes.shape[0]
    cols = codes.T if columns is None else columns
    rows = pattern.rows if upto is None else pattern.rows[:upto]
    if flows_of is None:
        flows_of = lambda row: np.flatnonzero(row_fixed_mask(codes, row, cols)).astype(np.int64)   # noqa: E731
    head = flows_of(rows[0])[:, None] if prefix is None else prefix
    k = head.shape[1]
    if k > len(rows):
        raise ValueError(f"a prefix of {k} rows is longer than the {len(rows)} rows asked for")
    bound: dict[int, np.ndarray] = {}
    for r in range(k):
        for c in rows[r]:
            if c.kind == SET:
                bound[c.value] = cols[c.col][head[:, r]]
    cur = head[:, k - 1].astype(np.int64)
    ids = []                # ids[r - k]: flows of row r, aligned with the occurrences still open after row r
    sels = []               # sels[r - k]: which of row r - 1's occurrences row r continued
    compiled = kernels.enabled(n)
    for row in rows[k:]:
        if len(cur) == 0:
            break
        cand = flows_of(row)
        uses = [c for c in row if c.kind == USE]
        if compiled:
            cand_key, q_key, n_keys = _dense_keys(uses, cols, cand, bound, len(cur))
            nxt = kernels.next_by_key(cand, cand_key, cur, q_key, n_keys, n)
            ok = nxt >= 0
        elif not uses:
            j = np.searchsorted(cand, cur, side="right")
            ok = j < len(cand)
            nxt = cand[np.minimum(j, max(len(cand) - 1, 0))] if len(cand) else np.zeros(len(cur), dtype=np.int64)
        else:
            key_c, key_q = _composite_keys(uses, cols, cand, bound, len(cur))
            comp = key_c * (n + 1) + cand
            order = np.argsort(comp, kind="stable")
            comp = comp[order]
            j = np.searchsorted(comp, key_q * (n + 1) + cur, side="right")
            ok = j < len(comp)
            jj = np.minimum(j, max(len(comp) - 1, 0))
            if len(comp):
                hit = comp[jj]
                ok &= (hit // (n + 1)) == key_q
                nxt = hit % (n + 1)
            else:
                nxt = np.zeros(len(cur), dtype=np.int64)
        sel = np.flatnonzero(ok)
        sels.append(sel)
        bound = {b: v[sel] for b, v in bound.items()}
        cur = nxt[sel]
        ids.append(cur)
        for c in row:
            if c.kind == SET:
                bound[c.value] = cols[c.col][cur]
    if len(ids) < len(rows) - k:
        return np.zeros((0, len(rows)), dtype=np.int64)
    # gather each row's flows of the occurrences that completed, from the last row back to the first
    out = np.empty((len(cur), len(rows)), dtype=np.int64)
    at = np.arange(len(cur))
    for r in range(len(rows) - 1, k - 1, -1):
        out[:, r] = ids[r - k][at]
        at = sels[r - k][at]
    out[:, :k] = head[at]
    return out


def _composite_keys(uses, cols, cand: np.ndarray, bound: dict, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Mixed-radix int64 keys of the candidate flows' USE-column values and of the ``m`` open
    occurrences' bound values (equal exactly when all the values are)."""
    key_c = np.zeros(len(cand), dtype=np.int64)
    key_q = np.zeros(m, dtype=np.int64)
    for c in uses:
        col = cols[c.col]
        radix = int(max(col.max(), bound[c.value].max(initial=0))) + 1
        key_c = key_c * radix + col[cand]
        key_q = key_q * radix + bound[c.value]
    return key_c, key_q


def _dense_keys(uses, cols, cand: np.ndarray, bound: dict, m: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Keys in [0, n_keys) of the candidate flows (their values in the USE columns) and of the
    open occurrences (their bound values), equal exactly when the values are; one key without USEs."""
    if not uses:
        return np.zeros(len(cand), dtype=np.int64), np.zeros(m, dtype=np.int64), 1
    if len(uses) == 1:
        c = uses[0]
        ck, qk = cols[c.col][cand].astype(np.int64), bound[c.value].astype(np.int64)
        return ck, qk, int(max(ck.max(initial=0), qk.max(initial=0))) + 1
    ck, qk = _composite_keys(uses, cols, cand, bound, m)
    both = np.concatenate([ck, qk])
    if len(both) and both.max() < 4 * len(both) + (1 << 16):
        return ck, qk, int(both.max()) + 1       # the mixed-radix keys are already small: no relabelling
    # relabel by first appearance (a hash table, no sort): only equality of keys matters here
    inv, uniq = pd.factorize(both, sort=False)
    inv = inv.astype(np.int64)
    return inv[:len(cand)], inv[len(cand):], max(len(uniq), 1)


def window_gaps(windows: np.ndarray) -> np.ndarray:
    """Flows skipped inside each window (sum of position differences - 1)."""
    if windows.shape[1] < 2:
        return np.zeros(len(windows), dtype=np.int64)
    return (windows[:, -1] - windows[:, 0]) - (windows.shape[1] - 1)


def greedy_disjoint(windows: np.ndarray, max_rounds: int = 16, n_flows: int | None = None) -> np.ndarray:
    """Indices (ascending) of the windows a greedy pass keeps when taken by fewest gaps first (ties:
    earlier start), skipping any window that shares a flow with one already kept.

    Computed in vectorised rounds: a window that comes first (in that order) among the undecided
    windows on each of its flows is kept, and undecided windows sharing a flow with it are dropped;
    this gives exactly the sequential pass. Rounds are few in practice; after ``max_rounds`` the
    remaining windows are finished by the sequential pass itself. On a table of ``n_flows`` flows
    (default: up to the last window's end) large enough for :mod:`.kernels`, the sequential pass
    runs compiled instead."""
    m, L = windows.shape
    if m == 0:
        return np.zeros(0, dtype=np.int64)
    if L == 1:
        return np.arange(m)
    if n_flows is None:
        n_flows = int(windows[:, -1].max()) + 1          # the last row of a window is its latest flow
    if kernels.enabled(n_flows):
        return kernels.greedy_disjoint_pass(windows, n_flows)
    counts = np.bincount(windows.reshape(-1))
    shared = (counts[windows] > 1).any(axis=1)
    if not shared.any():                            # no flow shared: every window is kept
        return np.arange(m)
    prio = np.empty(m, dtype=np.int64)
    prio[np.argsort(window_gaps(windows), kind="stable")] = np.arange(m)
    undecided = np.flatnonzero(shared)
    kept = [np.flatnonzero(~shared)]                # sharing no flow: kept whatever the order
    used = np.zeros(len(counts), dtype=bool)
    first = np.full(len(counts), m, dtype=np.int64)
    for _ in range(max_rounds):
        if len(undecided) == 0:
            break
        w = windows[undecided]
        p = prio[undecided]
        flat = w.reshape(-1)
        first[flat] = m
        np.minimum.at(first, flat, np.repeat(p, L))
        win = (first[w] == p[:, None]).all(axis=1)
        kept.append(undecided[win])
        used[w[win].reshape(-1)] = True
        lose = ~win
        undecided = undecided[lose][~used[w[lose]].any(axis=1)]
    if len(undecided):
        seq = undecided[np.argsort(prio[undecided], kind="stable")]
        rest = []
        for i, r in zip(seq.tolist(), windows[seq].tolist()):
            for x in r:
                if used[x]:
                    break
            else:
                used[r] = True
                rest.append(i)
        kept.append(np.asarray(rest, dtype=np.int64))
    return np.sort(np.concatenate(kept))


def candidate_score(pattern: Pattern, codes: np.ndarray, windows: np.ndarray | None = None) -> int:
    """The artefact's candidate rank: disjoint occurrences x covered cells."""
    if windows is None:
        windows = find_windows(pattern, codes)
    return int(len(greedy_disjoint(windows)) * pattern.covered_cells)

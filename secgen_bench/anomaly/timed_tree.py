"""Timed prefix trees and state folding, shared by the TAG and RTI+ reimplementations.

A node counts how many words end in it and, per symbol, a list of guarded
branches ``[lo, hi, child, count, delays]`` (delay interval ``(lo, hi]``, the
child node, the weighted number of words taking it, and the delays seen).
Folding node b into node a adds b's counts to a and folds b's children into
the branch of a whose interval holds them, recursively (b's side is always a
tree, so folding terminates even when a's side has cycles).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Node:
    end: float = 0.0
    branches: dict = field(default_factory=dict)     # symbol -> list of [lo, hi, child, count, delays]
    visits: list = field(default_factory=list)       # (word index, position of the next event)

    @property
    def total(self) -> float:
        return self.end + sum(b[3] for bl in self.branches.values() for b in bl)

    def outcome_counts(self) -> dict:
        out = {s: sum(b[3] for b in bl) for s, bl in self.branches.items()}
        out["$"] = self.end
        return out


def find_branch(branches: list, delay: float):
    for b in branches:
        if b[0] < delay <= b[1]:
            return b
    return None


def build_tree(words, weights, nodes: list[Node], visits=None) -> int:
    """Append a prefix tree of ``words`` (lists of (symbol, delay)) to ``nodes``; return its root id.

    ``visits`` restricts to suffixes: a list of (word index, start position).
    """
    root = len(nodes)
    nodes.append(Node())
    starts = visits if visits is not None else [(k, 0) for k in range(len(words))]
    for k, pos in starts:
        w = weights[k]
        node = root
        nodes[node].visits.append((k, pos))
        for i in range(pos, len(words[k])):
            sym, delay = words[k][i]
            bl = nodes[node].branches.setdefault(sym, [[-math.inf, math.inf, None, 0.0, []]])
            b = find_branch(bl, delay)
            if b[2] is None:
                b[2] = len(nodes)
                nodes.append(Node())
            b[3] += w
            b[4].append(delay)
            node = b[2]
            nodes[node].visits.append((k, i + 1))
        nodes[node].end += w
    return root


def resolve(alias: dict[int, int], x: int) -> int:
    """The live node that node x was folded into (x itself when alive); compresses the path."""
    root = x
    while root in alias:
        root = alias[root]
    while x in alias and alias[x] != root:
        alias[x], x = root, alias[x]
    return root


def fold(nodes: list[Node], a: int, b: int, alias: dict[int, int], inbranch: dict | None = None) -> None:
    """Fold node b into node a, recursively (union-find: every fold retires one node, so it terminates).

    Branch child pointers may then name retired nodes: read them through :func:`resolve`.
    ``inbranch`` (child -> branch leading to it) is kept current where a branch is newly attached.
    """
    stack = [(a, b)]
    while stack:
        a, b = stack.pop()
        a, b = resolve(alias, a), resolve(alias, b)
        if a == b:
            continue
        na, nb = nodes[a], nodes[b]
        alias[b] = a
        na.end += nb.end
        na.visits.extend(nb.visits)
        for sym, blist in nb.branches.items():
            if sym not in na.branches:
                na.branches[sym] = blist
                continue
            alist = na.branches[sym]
            for lo, hi, child, count, delays in blist:
                target = alist[0] if len(alist) == 1 else (
                    find_branch(alist, _representative(lo, hi, delays)) or alist[0])
                target[3] += count
                target[4].extend(delays)
                if child is not None:
                    if target[2] is None:
                        target[2] = child
                        if inbranch is not None:
                            inbranch[child] = target
                    else:
                        stack.append((target[2], child))
        nb.branches = {}


def finalize(nodes: list[Node], alias: dict[int, int]) -> None:
    """Point every branch at the live node its child was folded into."""
    for n in nodes:
        for bl in n.branches.values():
            for b in bl:
                if b[2] is not None:
                    b[2] = resolve(alias, b[2])


def _representative(lo: float, hi: float, delays: list) -> float:
    if delays:
        return float(np.median(delays))
    if math.isfinite(lo) and math.isfinite(hi):
        return (lo + hi) / 2
    return hi if math.isfinite(hi) else (lo + 1.0 if math.isfinite(lo) else 0.0)


def lrt_statistic(nodes: list[Node], a: int, b: int, min_count: float = 5.0,
                  alias: dict | None = None) -> tuple[float, int]:
    """Likelihood-ratio statistic and degrees of freedom of 'a and b have the same future distribution'.

    Compares next-outcome multinomials (symbols and the end) of every node pair that folding b into a would
    identify, skipping pairs where either side has fewer than ``min_count`` words.
    """
    stat, dof = 0.0, 0
    stack, seen = [(a, b)], set()
    while stack:
        x, y = stack.pop()
        if alias:
            x, y = resolve(alias, x), resolve(alias, y)
        if (x, y) in seen or x == y:
            continue
        seen.add((x, y))
        nx, ny = nodes[x], nodes[y]
        tx, ty = nx.total, ny.total
        if tx >= min_count and ty >= min_count:
            cx, cy = nx.outcome_counts(), ny.outcome_counts()
            keys = [k for k in set(cx) | set(cy) if cx.get(k, 0) + cy.get(k, 0) > 0]
            ll_sep = sum(_xlogx(cx.get(k, 0), tx) + _xlogx(cy.get(k, 0), ty) for k in keys)
            ll_pool = sum(_xlogx(cx.get(k, 0) + cy.get(k, 0), tx + ty) for k in keys)
            stat += 2.0 * (ll_sep - ll_pool)
            dof += len(keys) - 1
        for sym, blist in ny.branches.items():
            if sym not in nx.branches:
                continue
            xlist = nx.branches[sym]
            for lo, hi, child, count, delays in blist:
                target = xlist[0] if len(xlist) == 1 else find_branch(xlist, _representative(lo, hi, delays))
                if child is not None and target is not None and target[2] is not None:
                    stack.append((target[2], child))
    return max(stat, 0.0), dof


def _xlogx(c: float, total: float) -> float:
    return c * math.log(c / total) if c > 0 else 0.0


def word_loglik(nodes: list[Node], root: int, word, floor: float, guard=None) -> float:
    """Log-likelihood (nats) of a word in the folded tree; ``floor`` when the word is rejected.

    ``guard(node, sym, branch, delay)`` may add a delay term or return None to reject.
    """
    node, ll = root, 0.0
    for sym, delay in word:
        n = nodes[node]
        total = n.total
        b = find_branch(n.branches.get(sym, ()), delay)
        if b is None or b[2] is None or b[3] <= 0 or total <= 0:
            return floor
        ll += math.log(b[3] / total)
        if guard is not None:
            extra = guard(node, sym, b, delay)
            if extra is None:
                return floor
            ll += extra
        node = b[2]
    n = nodes[node]
    if n.end <= 0:
        return floor
    return ll + math.log(n.end / n.total)


def dedupe(sequences) -> tuple[list, np.ndarray, np.ndarray]:
    """Unique (symbol, delay) words, their weights, and the index of each input's unique word."""
    index: dict = {}
    words, weights, inverse = [], [], []
    for seq in sequences:
        key = tuple(seq)
        k = index.get(key)
        if k is None:
            k = index[key] = len(words)
            words.append(list(seq))
            weights.append(0.0)
        weights[k] += 1.0
        inverse.append(k)
    return words, np.asarray(weights), np.asarray(inverse, dtype=np.int64)


def as_timed_words(sequences) -> list[list[tuple[str, float]]]:
    """(symbol, value vector) events -> (symbol, first value or 0.0): TAG and RTI+ use one clock value."""
    out = []
    for seq in sequences:
        out.append([(str(s), float(np.asarray(v, dtype=float).ravel()[0]) if np.size(v) else 0.0) for s, v in seq])
    return out

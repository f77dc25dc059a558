"""Approximate ``knn`` and ``nearest_tied`` (FAISS candidates, exact re-ranking) for the privacy metrics at scale.

The exact kernels (``_knn_torch``) compare every query row with every reference row: O(n m)
distances, hours for 1M x 1M flows. Here the candidate search of the approximate Density/Coverage
engine (``_prdc_approx``: its embedding, shared by all the tables given, and its seeded
inverted-file index, one per reference table) proposes ``candidates`` reference rows per query
row, and the exact engines' own kernel (``_prdc_numpy.exact_squared``, then ``_knn_torch.root``)
re-ranks them. Every distance returned is therefore the exact distance, to the bit, to some
reference row.

What it can get wrong, and which way:

- A true nearest neighbour the search misses can only make a distance too large: the j-th
  distance returned is >= the exact j-th distance, and equal to it when the j nearest rows were
  candidates. An exact copy is always found (its search vector is the query's own, so it sits in
  the query's first cell at distance 0), unless more than ``candidates`` rows share that vector.
- Ties are found among candidates only: ``nearest_tied`` reduces ``values`` over the candidates
  at the nearest distance. With that distance right, "max" can only come out too small and "min"
  too large; when the distance itself is too large the value is another row's (no direction).
- ``knn``'s indices break equal distances by reference index (as ``_prdc_numpy``).

A query row for which the search returns fewer rows than it needs (FAISS pads with -1 when the
probed cells hold too few) is computed exactly; ``exact_rows`` counts them. Deterministic for a seed.
"""
from __future__ import annotations

import numpy as np

from secgen_bench.metrics import _knn_torch
from secgen_bench.metrics._prdc_approx import (
    BLOCK_ROWS, DEFAULT_CANDIDATES, DEFAULT_NPROBE, candidate_squared, embed, ivf_index,
)


class ApproxNeighbours:
    """``knn`` / ``nearest_tied`` among encoded tables ``views`` ((numeric part, codes or None) each),
    named by their positions; the interface of ``_knn_torch.ExactNeighbours``."""

    def __init__(self, views: list[tuple], *, seed: int = 0, candidates: int = DEFAULT_CANDIDATES,
                 nprobe: int = DEFAULT_NPROBE):
        import faiss

        self._faiss = faiss
        self.views = [(np.asarray(num, dtype=np.float64), codes) for num, codes in views]
        self.vectors = embed([v[0] for v in self.views], [v[1] for v in self.views])
        self.seed, self.candidates, self.nprobe = seed, candidates, nprobe
        self._indexes: dict[int, object] = {}
        self.exact_rows = 0

    def _rows(self, t: int, a: int, b: int) -> tuple:
        num, codes = self.views[t]
        return num[a:b], None if codes is None else codes[a:b]

    def _blocks(self, q: int, r: int, want: int, exclude_self: bool):
        """(a, b, candidate ids, their exact squared distances) per block of query rows a:b."""
        if r not in self._indexes:
            self._indexes[r] = ivf_index(self._faiss, self.vectors[r], self.seed + r, self.nprobe)
        k_search = min(len(self.vectors[r]), max(self.candidates, want))
        r_num, r_codes = self.views[r]
        for a in range(0, len(self.vectors[q]), BLOCK_ROWS):
            b = min(len(self.vectors[q]), a + BLOCK_ROWS)
            _, ids = self._indexes[r].search(self.vectors[q][a:b], k_search)
            if exclude_self:  # the row itself once, as the exact kernel sees it
                own = np.arange(a, b)[:, None]
                ids = np.concatenate([own, np.where(ids == own, -1, ids)], axis=1)
            q_num, q_codes = self._rows(q, a, b)
            yield a, b, ids, candidate_squared(q_num, q_codes, ids, r_num, r_codes)

    def knn(self, q: int, r: int, k: int, *, exclude_self: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """(distances, indices), each (rows of q, k), nearest first, among the rows of table ``r``."""
        want = k + 1 if exclude_self else k
        if len(self.vectors[r]) < want:
            raise ValueError(f"kNN: need at least {want} reference points, got {len(self.vectors[r])}")
        n_q = len(self.vectors[q])
        sq, idx = np.empty((n_q, want)), np.empty((n_q, want), dtype=np.int64)
        for a, b, ids, d in self._blocks(q, r, want, exclude_self):
            order = np.lexsort((ids, d), axis=1)[:, :want]
            sq[a:b], idx[a:b] = np.take_along_axis(d, order, axis=1), np.take_along_axis(ids, order, axis=1)
        dist = _knn_torch.root(sq)
        dry = np.flatnonzero(~np.isfinite(sq[:, -1]))
        for row in dry:  # too few candidates came back: this row exactly
            d1, i1 = _knn_torch.knn(self._rows(q, row, row + 1), self.views[r], want)
            dist[row], idx[row] = d1[0], i1[0]
        self.exact_rows += len(dry)
        if exclude_self:
            return dist[:, 1:], idx[:, 1:]
        return dist, idx

    def nearest_tied(self, q: int, r: int, values: np.ndarray, reduce: str) -> tuple[np.ndarray, np.ndarray]:
        """(distance to the nearest candidate of ``r``, ``reduce`` of ``values`` over the candidates at it)."""
        if reduce not in ("max", "min"):
            raise ValueError(f"reduce must be 'max' or 'min', not {reduce!r}")
        vals = np.asarray(values, dtype=np.float64)
        fill = -np.inf if reduce == "max" else np.inf
        n_q = len(self.vectors[q])
        dist, red = np.empty(n_q), np.empty(n_q)
        for a, b, ids, d in self._blocks(q, r, 1, False):
            dmin = d.min(axis=1)
            picked = np.where(d == dmin[:, None], vals[np.maximum(ids, 0)], fill)
            red[a:b] = picked.max(axis=1) if reduce == "max" else picked.min(axis=1)
            dist[a:b] = _knn_torch.root(dmin)
        dry = np.flatnonzero(~np.isfinite(dist))
        for row in dry:
            d1, v1 = _knn_torch.nearest_tied(self._rows(q, row, row + 1), self.views[r], vals, reduce)
            dist[row], red[row] = d1[0], v1[0]
        self.exact_rows += len(dry)
        return dist, red

"""Density and Coverage (Naeem et al. 2020, prdc semantics) in PyTorch, in row blocks.

Imported only inside ``compute`` (torch is heavy); without torch, ``_prdc_numpy`` is the same
engine in numpy (``metrics.knn_engine.engine()`` picks one). Points are given as a
numeric part (float matrix, Euclidean) plus an optional categorical part
(integer codes; two points that differ in one categorical column are
``sqrt(2)`` apart in that column, exactly as the two one-hot vectors of that
column would be). So

    d(x, y)^2 = ||x_num - y_num||^2 + 2 * #{categorical columns where x != y}

which equals the Euclidean distance between the one-hot encodings, without
building thousands of one-hot columns for IP addresses.

prdc semantics, kept exactly: r_i is the (k+1)-th smallest distance from real
x_i to the real points *including the zero to itself* (so a real row with k
exact duplicates has r_i = 0, which nothing can beat); Density =
(1/(k*M)) * #{(i, j): d(y_j, x_i) < r_i} (strict); Coverage = fraction of real
x_i whose nearest synthetic point is strictly closer than r_i.

Never holds an n x m matrix: real rows are processed ``block`` at a time
against all real / all synthetic points. Two ways to get distances:

- ``"exact"``: direct differences (``torch.cdist`` without the matmul trick),
  float64. Equal coordinate differences give bit-identical distances, so ties
  (``<`` against r_i) are decided as in exact arithmetic; used for inputs up to
  ``EXACT_MAX_PAIRS`` pairs (about 30,000 x 30,000).
- ``"fast"``: ``|y|^2 - 2 x.y`` by one matrix product (the row constant |x|^2
  is added to the k smallest values only), float32 by default. Distances carry
  rounding error of about 1e-7 relative, so exact ties may be decided either
  way; used for larger inputs (200,000 x 200,000 flows) and on GPUs.
"""
from __future__ import annotations

import numpy as np
import torch

from secgen_bench.metrics._prdc_numpy import BLOCK_ELEMENTS, EXACT_MAX_PAIRS, DensityCoverage  # noqa: F401


def resolve_device(device: str | None) -> torch.device:
    if device in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def _as_tensor(x, dtype, device):
    if x is None:
        return None
    return torch.as_tensor(np.ascontiguousarray(x), device=device).to(dtype)


class _Distances:
    """Squared distances from a block of query points to all points of one set."""

    def __init__(self, mode: str, num, codes, dtype):
        self.mode = mode
        self.num = num
        self.codes = codes
        if mode == "fast" and num is not None and num.shape[1] > 0:
            # [y, |y|^2] so that one product gives |y|^2 - 2 x.y (the |x|^2 term is added later)
            self.aug = torch.cat([num, (num * num).sum(1, keepdim=True)], dim=1)
        self.has_num = num is not None and num.shape[1] > 0
        self.has_codes = codes is not None and codes.shape[1] > 0

    def block(self, q_num, q_codes) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(partial squared distances, row constant to add, or None when already complete)."""
        n_q = (q_num if q_num is not None else q_codes).shape[0]
        n_y = (self.num if self.num is not None else self.codes).shape[0]
        out = None
        row_const = None
        if self.has_num:
            if self.mode == "exact":
                d = torch.cdist(q_num, self.num, compute_mode="donot_use_mm_for_euclid_dist")
                out = d.mul_(d)
            else:
                q_aug = torch.cat([-2.0 * q_num, torch.ones(n_q, 1, dtype=q_num.dtype, device=q_num.device)], 1)
                out = q_aug @ self.aug.T
                row_const = (q_num * q_num).sum(1)
        if self.has_codes:
            mism = torch.cdist(q_codes, self.codes, p=0)
            if out is None:
                out = mism.to(torch.float64 if self.mode == "exact" else mism.dtype).mul_(2.0)
            else:
                out = out.add_(mism, alpha=2.0)
        if out is None:
            out = torch.zeros(n_q, n_y, dtype=torch.float64, device=(q_num if q_num is not None else q_codes).device)
        return out, row_const


def density_coverage(real_num, synth_num, real_codes=None, synth_codes=None, *, k: int = 5,
                     mode: str = "auto", device: str | None = "auto", block: int | None = None,
                     dtype: torch.dtype | None = None) -> DensityCoverage:
    """Density and Coverage of synthetic points w.r.t. real points (see the module docstring).

    ``real_num``/``synth_num``: float arrays (n, p) and (m, p) (p may be 0);
    ``real_codes``/``synth_codes``: integer arrays (n, q) and (m, q) or None.
    ``mode``: "exact", "fast" or "auto" (exact up to EXACT_MAX_PAIRS pairs on CPU).
    ``block``: real rows per block (default: about BLOCK_ELEMENTS distances per block).
    """
    dev = resolve_device(device)
    n = len(real_num) if real_num is not None else len(real_codes)
    m = len(synth_num) if synth_num is not None else len(synth_codes)
    if n <= k:
        raise ValueError(f"density/coverage: need more than k={k} real rows, got {n}")
    if m < 1:
        raise ValueError("density/coverage: the synthetic table is empty")
    if mode == "auto":
        mode = "exact" if (dev.type == "cpu" and n * max(n, m) <= EXACT_MAX_PAIRS) else "fast"
    if mode not in ("exact", "fast"):
        raise ValueError(f"density/coverage: mode must be 'exact', 'fast' or 'auto', not {mode!r}")
    if dtype is None:
        dtype = torch.float64 if mode == "exact" else torch.float32
    if mode == "fast" and real_num is not None and np.shape(real_num)[1] > 0:
        # translation changes no distance but shrinks |x|^2, hence the cancellation error of the product form
        centre = np.concatenate([real_num, synth_num]).mean(axis=0)
        real_num, synth_num = np.asarray(real_num) - centre, np.asarray(synth_num) - centre
    r_num, s_num = _as_tensor(real_num, dtype, dev), _as_tensor(synth_num, dtype, dev)
    # codes as float32 for cdist(p=0): exact for codes < 2^24; mismatch counts are small integers
    code_dtype = torch.float32 if max(n, m) < (1 << 24) else torch.float64
    r_codes, s_codes = _as_tensor(real_codes, code_dtype, dev), _as_tensor(synth_codes, code_dtype, dev)
    if block is None:
        block = max(1, min(n, BLOCK_ELEMENTS // max(n, m)))

    real_set = _Distances(mode, r_num, r_codes, dtype)
    synth_set = _Distances(mode, s_num, s_codes, dtype)

    def rows(t, a, b):
        return None if t is None else t[a:b]

    with torch.no_grad():
        radii = torch.empty(n, dtype=torch.float64, device=dev)
        for a in range(0, n, block):
            b = min(n, a + block)
            d, const = real_set.block(rows(r_num, a, b), rows(r_codes, a, b))
            kth = torch.topk(d, k + 1, dim=1, largest=False, sorted=False).values.max(dim=1).values
            if const is not None:
                kth = kth + const
            radii[a:b] = kth.to(torch.float64)

        inside = torch.zeros((), dtype=torch.int64, device=dev)
        covered = torch.zeros((), dtype=torch.int64, device=dev)
        for a in range(0, n, block):
            b = min(n, a + block)
            d, const = synth_set.block(rows(r_num, a, b), rows(r_codes, a, b))
            thresh = radii[a:b].to(d.dtype)
            if const is not None:
                thresh = thresh - const  # compare |y|^2 - 2x.y with r^2 - |x|^2
            inside += torch.count_nonzero(d < thresh[:, None])
            covered += torch.count_nonzero(d.min(dim=1).values < thresh)
    density = float(inside.item()) / (k * m)
    coverage = float(covered.item()) / n
    return DensityCoverage(density, coverage, mode, str(dev))


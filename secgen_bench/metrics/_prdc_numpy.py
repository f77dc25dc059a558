"""The kNN distance engine of ``_prdc_torch`` in numpy, for installs without torch.

Same distances, same rules: squared distance = squared Euclidean distance of
the numeric part + 2 per differing categorical code; ``"exact"`` mode takes
direct coordinate differences in float64 and sums their squares in torch's
``cdist`` order (column by column; with an odd number of columns the last
square is fused into the sum, one rounding, as torch's AVX2/AVX512 kernels do),
then the square root and its square. So the distances are bit-identical to the
torch engine's, equal coordinate differences give equal distances, and ties
(duplicates: r_i = 0) are decided as there; ``"fast"`` mode uses the ``|y|^2 - 2 x.y``
product in float32 (rounding may decide exact ties either way, as in torch).
Real rows are processed in blocks; no n x m matrix is ever held.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EXACT_MAX_PAIRS = 1_000_000_000
BLOCK_ELEMENTS = 1 << 23  # ~8M distances per block (64 MB in float64)


@dataclass
class DensityCoverage:
    density: float
    coverage: float
    mode: str
    device: str


FUSED_LAST_TERM = True  # torch's x86 kernels with FMA (AVX2, AVX512); False matches its DEFAULT kernel
_SPLIT = 134217729.0    # 2^27 + 1: Veltkamp's split of a float64 into two 26-bit halves


def _two_sum(a, b):
    """(a + b rounded, its exact rounding error)."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _two_product(a, b):
    """(a * b rounded, its exact rounding error) by Dekker's product."""
    p = a * b

    def split(x):
        c = _SPLIT * x
        hi = c - (c - x)
        return hi, x - hi

    ah, al = split(a)
    bh, bl = split(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _fused_multiply_add(a, b, c):
    """a * b + c with one rounding (numpy has no fma): error-free sums, the last with round-to-odd
    (Boldo & Melquiond), which makes the final rounding exact."""
    ph, pl = _two_product(a, b)
    uh, ul = _two_sum(c, ph)
    t, err = _two_sum(ul, pl)
    inexact_even = (err != 0) & ((t.view(np.int64) & 1) == 0)
    t = np.where(inexact_even, np.nextafter(t, np.where(err > 0, np.inf, -np.inf)), t)
    return uh + t


def _squared_sum(x, y):
    """Squared Euclidean distances in float64 between rows of ``x`` and ``y`` (broadcast; last axis:
    columns), summed in the order of torch's cdist kernel."""
    p = x.shape[-1]
    total = np.zeros(np.broadcast_shapes(x.shape, y.shape)[:-1], dtype=np.float64)
    for c in range(p):
        diff = x[..., c] - y[..., c]
        if c == p - 1 and p % 2 == 1 and FUSED_LAST_TERM:
            total = _fused_multiply_add(diff, diff, total)
        else:
            total += diff * diff
    return total


def exact_squared(q_num, num, q_codes, codes) -> np.ndarray:
    """The exact mode's squared distances between broadcast rows (last axis: columns; a part may be
    None): cdist's sum, its square root squared, plus 2 per differing code. The approximate engines
    re-rank their candidates with it, so a neighbour they find is at the exact engines' distance to the bit."""
    out = None
    if q_num is not None and q_num.shape[-1] > 0:
        out = np.sqrt(_squared_sum(q_num, num))
        out *= out
    if q_codes is not None and q_codes.shape[-1] > 0:
        mism = (q_codes != codes).sum(axis=-1)
        if out is None:
            out = mism.astype(np.float64) * 2.0
        else:
            out += 2.0 * mism.astype(out.dtype)
    return out


def _check_device(device: str | None) -> None:
    if device not in (None, "auto", "cpu"):
        raise ValueError(f"device {device!r} needs torch (pip install 'secgen-bench[torch]'); "
                         "without torch distances are computed on the CPU")


def _as_array(x, dtype):
    return None if x is None else np.ascontiguousarray(x).astype(dtype, copy=False)


class _Distances:
    """Squared distances from a block of query points to all points of one set."""

    def __init__(self, mode: str, num, codes, dtype):
        self.mode, self.num, self.codes, self.dtype = mode, num, codes, dtype
        self.has_num = num is not None and num.shape[1] > 0
        self.has_codes = codes is not None and codes.shape[1] > 0
        if mode == "fast" and self.has_num:
            self.sq_norm = (num * num).sum(1)

    def block(self, q_num, q_codes) -> tuple[np.ndarray, np.ndarray | None]:
        """(partial squared distances, row constant to add, or None when already complete)."""
        n_q = (q_num if q_num is not None else q_codes).shape[0]
        n_y = (self.num if self.num is not None else self.codes).shape[0]
        out = None
        row_const = None
        if self.mode == "exact":
            out = exact_squared(q_num[:, None, :] if self.has_num else None, self.num[None] if self.has_num else None,
                                q_codes[:, None, :] if self.has_codes else None,
                                self.codes[None] if self.has_codes else None)
        elif self.has_num:
            out = (-2.0 * q_num) @ self.num.T
            out += self.sq_norm[None, :]
            row_const = (q_num * q_num).sum(1)
        if self.has_codes and self.mode != "exact":
            mism = (q_codes[:, None, :] != self.codes[None, :, :]).sum(axis=2)
            if out is None:
                out = mism.astype(self.dtype) * 2.0
            else:
                out += 2.0 * mism.astype(out.dtype)
        if out is None:
            out = np.zeros((n_q, n_y), dtype=np.float64)
        return out, row_const


def density_coverage(real_num, synth_num, real_codes=None, synth_codes=None, *, k: int = 5,
                     mode: str = "auto", device: str | None = "auto", block: int | None = None,
                     dtype=None) -> DensityCoverage:
    """Density and Coverage as ``_prdc_torch.density_coverage`` computes them, on the CPU with numpy."""
    _check_device(device)
    n = len(real_num) if real_num is not None else len(real_codes)
    m = len(synth_num) if synth_num is not None else len(synth_codes)
    if n <= k:
        raise ValueError(f"density/coverage: need more than k={k} real rows, got {n}")
    if m < 1:
        raise ValueError("density/coverage: the synthetic table is empty")
    if mode == "auto":
        mode = "exact" if n * max(n, m) <= EXACT_MAX_PAIRS else "fast"
    if mode not in ("exact", "fast"):
        raise ValueError(f"density/coverage: mode must be 'exact', 'fast' or 'auto', not {mode!r}")
    if dtype is None:
        dtype = np.float64 if mode == "exact" else np.float32
    if mode == "fast" and real_num is not None and np.shape(real_num)[1] > 0:
        centre = np.concatenate([real_num, synth_num]).mean(axis=0)
        real_num, synth_num = np.asarray(real_num) - centre, np.asarray(synth_num) - centre
    r_num, s_num = _as_array(real_num, dtype), _as_array(synth_num, dtype)
    r_codes, s_codes = _as_array(real_codes, np.int64), _as_array(synth_codes, np.int64)
    if block is None:
        block = max(1, min(n, BLOCK_ELEMENTS // max(n, m)))
    real_set = _Distances(mode, r_num, r_codes, dtype)
    synth_set = _Distances(mode, s_num, s_codes, dtype)

    def rows(t, a, b):
        return None if t is None else t[a:b]

    radii = np.empty(n, dtype=np.float64)
    for a in range(0, n, block):
        b = min(n, a + block)
        d, const = real_set.block(rows(r_num, a, b), rows(r_codes, a, b))
        kth = np.partition(d, k, axis=1)[:, k]
        if const is not None:
            kth = kth + const
        radii[a:b] = kth
    inside = covered = 0
    for a in range(0, n, block):
        b = min(n, a + block)
        d, const = synth_set.block(rows(r_num, a, b), rows(r_codes, a, b))
        thresh = radii[a:b].astype(d.dtype)
        if const is not None:
            thresh = thresh - const
        inside += int(np.count_nonzero(d < thresh[:, None]))
        covered += int(np.count_nonzero(d.min(axis=1) < thresh))
    return DensityCoverage(inside / (k * m), covered / n, mode, "cpu")


def _exact_reference(reference: tuple) -> _Distances:
    r_num, r_codes = reference
    return _Distances("exact", _as_array(r_num, np.float64), _as_array(r_codes, np.int64), np.float64)


def knn(query: tuple, reference: tuple, k: int, *, exclude_self: bool = False,
        block_elements: int = 1 << 22) -> tuple[np.ndarray, np.ndarray]:
    """``_knn_torch.knn`` in numpy: (distances, indices), nearest first; equal distances by index."""
    q_num, q_codes = query
    n_ref = len(reference[0])
    want = k + 1 if exclude_self else k
    if n_ref < want:
        raise ValueError(f"kNN: need at least {want} reference points, got {n_ref}")
    ref = _exact_reference(reference)
    qn, qc = _as_array(q_num, np.float64), _as_array(q_codes, np.int64)
    block = max(1, block_elements // max(1, n_ref))
    dist = np.empty((len(q_num), want))
    idx = np.empty((len(q_num), want), dtype=np.int64)
    for a in range(0, len(q_num), block):
        b = min(len(q_num), a + block)
        d, _ = ref.block(qn[a:b], None if qc is None else qc[a:b])
        order = np.argsort(d, axis=1, kind="stable")[:, :want]
        idx[a:b] = order
        dist[a:b] = np.sqrt(np.maximum(np.take_along_axis(d, order, axis=1), 0))
    if exclude_self:
        return dist[:, 1:], idx[:, 1:]
    return dist, idx


def nearest_tied(query: tuple, reference: tuple, values: np.ndarray, reduce: str,
                 block_elements: int = 1 << 22) -> tuple[np.ndarray, np.ndarray]:
    """``_knn_torch.nearest_tied`` in numpy: nearest distance and ``reduce`` of ``values`` over all tied points."""
    if reduce not in ("max", "min"):
        raise ValueError(f"reduce must be 'max' or 'min', not {reduce!r}")
    q_num, q_codes = query
    ref = _exact_reference(reference)
    qn, qc = _as_array(q_num, np.float64), _as_array(q_codes, np.int64)
    vals = np.asarray(values, dtype=np.float64)
    fill = -np.inf if reduce == "max" else np.inf
    block = max(1, block_elements // max(1, len(reference[0])))
    dist, red = np.empty(len(q_num)), np.empty(len(q_num))
    for a in range(0, len(q_num), block):
        b = min(len(q_num), a + block)
        d, _ = ref.block(qn[a:b], None if qc is None else qc[a:b])
        dmin = d.min(axis=1)
        picked = np.where(d == dmin[:, None], vals[None, :], fill)
        red[a:b] = picked.max(axis=1) if reduce == "max" else picked.min(axis=1)
        dist[a:b] = np.sqrt(np.maximum(dmin, 0))
    return dist, red

"""k nearest neighbours on the flow encoding's kNN view, with Density/Coverage's distance kernel.

Distances come from ``_prdc_torch``'s exact mode (float64 direct differences,
one-hot distance through categorical codes), in query blocks, on the CPU, so
equal inputs give bit-identical distances and the same neighbours; without torch,
``_prdc_numpy`` computes the same.
"""
from __future__ import annotations

import numpy as np


def knn(query: tuple, reference: tuple, k: int, *, exclude_self: bool = False,
        block_elements: int = 1 << 22) -> tuple[np.ndarray, np.ndarray]:
    """(distances, indices), each (n_query, k), nearest first, of ``query`` points among ``reference`` points.

    ``query``/``reference``: (numeric part, codes or None) from ``FlowEncoding.knn``.
    ``exclude_self``: query and reference are the same set; one zero (the point itself) is dropped
    from each row, so a point with exact duplicates still sees distance 0 to them.
    """
    try:
        import torch
    except ImportError:  # the same neighbours from the numpy engine
        from secgen_bench.metrics import _prdc_numpy

        return _prdc_numpy.knn(query, reference, k, exclude_self=exclude_self, block_elements=block_elements)
    from secgen_bench.metrics._prdc_torch import _as_tensor, _Distances

    q_num, q_codes = query
    r_num, r_codes = reference
    n_ref = len(r_num)
    want = k + 1 if exclude_self else k
    if n_ref < want:
        raise ValueError(f"kNN: need at least {want} reference points, got {n_ref}")
    cpu = torch.device("cpu")
    ref = _Distances("exact", _as_tensor(r_num, torch.float64, cpu), _as_tensor(r_codes, torch.float64, cpu),
                     torch.float64)
    qn, qc = _as_tensor(q_num, torch.float64, cpu), _as_tensor(q_codes, torch.float64, cpu)
    block = max(1, block_elements // max(1, n_ref))
    dist = np.empty((len(q_num), want))
    idx = np.empty((len(q_num), want), dtype=np.int64)
    with torch.no_grad():
        for a in range(0, len(q_num), block):
            b = min(len(q_num), a + block)
            d, _ = ref.block(qn[a:b], None if qc is None else qc[a:b])
            top = torch.topk(d, want, dim=1, largest=False, sorted=True)
            dist[a:b] = top.values.clamp_min_(0).sqrt_().numpy()
            idx[a:b] = top.indices.numpy()
    if exclude_self:
        return dist[:, 1:], idx[:, 1:]
    return dist, idx


def nearest_tied(query: tuple, reference: tuple, values: np.ndarray, reduce: str,
                 block_elements: int = 1 << 22) -> tuple[np.ndarray, np.ndarray]:
    """(distance to the nearest reference point, ``reduce`` ("max"/"min") of ``values`` over *all*
    reference points at that distance), per query point: a result that no tie-break, hence no row
    order, can change.
    """
    try:
        import torch
    except ImportError:  # the same neighbours from the numpy engine
        from secgen_bench.metrics import _prdc_numpy

        return _prdc_numpy.nearest_tied(query, reference, values, reduce, block_elements)
    from secgen_bench.metrics._prdc_torch import _as_tensor, _Distances

    if reduce not in ("max", "min"):
        raise ValueError(f"reduce must be 'max' or 'min', not {reduce!r}")
    q_num, q_codes = query
    r_num, r_codes = reference
    cpu = torch.device("cpu")
    ref = _Distances("exact", _as_tensor(r_num, torch.float64, cpu), _as_tensor(r_codes, torch.float64, cpu),
                     torch.float64)
    qn, qc = _as_tensor(q_num, torch.float64, cpu), _as_tensor(q_codes, torch.float64, cpu)
    vals = torch.as_tensor(np.asarray(values, dtype=np.float64))
    fill = -np.inf if reduce == "max" else np.inf
    block = max(1, block_elements // max(1, len(r_num)))
    dist, red = np.empty(len(q_num)), np.empty(len(q_num))
    with torch.no_grad():
        for a in range(0, len(q_num), block):
            b = min(len(q_num), a + block)
            d, _ = ref.block(qn[a:b], None if qc is None else qc[a:b])
            dmin = d.min(dim=1).values
            picked = torch.where(d == dmin[:, None], vals[None, :], torch.tensor(fill, dtype=torch.float64))
            red[a:b] = (picked.max(dim=1) if reduce == "max" else picked.min(dim=1)).values.numpy()
            dist[a:b] = dmin.clamp_min(0).sqrt().numpy()
    return dist, red


def root(sq: np.ndarray) -> np.ndarray:
    """Distances from squared distances with the square root of the kernels above: torch's when torch
    imports (its vectorised sqrt can differ from numpy's correctly rounded one in the last bit)."""
    try:
        import torch
    except ImportError:
        return np.sqrt(np.maximum(sq, 0))
    return torch.from_numpy(np.array(sq, dtype=np.float64)).clamp_min_(0).sqrt_().numpy()


class ExactNeighbours:
    """``knn`` / ``nearest_tied`` among encoded tables ``views``, named by their positions: the interface
    of ``_knn_approx.ApproxNeighbours``, so that a metric is written once for both."""

    def __init__(self, views: list[tuple]):
        self.views = views

    def knn(self, q: int, r: int, k: int, *, exclude_self: bool = False) -> tuple[np.ndarray, np.ndarray]:
        return knn(self.views[q], self.views[r], k, exclude_self=exclude_self)

    def nearest_tied(self, q: int, r: int, values: np.ndarray, reduce: str) -> tuple[np.ndarray, np.ndarray]:
        return nearest_tied(self.views[q], self.views[r], values, reduce)

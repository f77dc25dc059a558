"""Privacy beyond MD: distance to closest record, and alpha-precision / beta-recall / authenticity.

All four read the flow encoding's kNN view (``flow_encoding``: the
Density/Coverage encoding, one-hot distance through categorical codes) and
its torch distance kernel, in exact float64 mode on the CPU. They are
opt-in (``default = False``) and outside the paper's average rank.

At scale (``mode="auto"``, more than ``approx_min_rows`` rows in one of the
tables compared, Density/Coverage's 200,000 by default, with the ``[faiss]`` extra)
the nearest neighbours come from the approximate engine ``_knn_approx``
(FAISS candidates, the exact kernel re-ranks them; its FAISS is seeded with
the seed), on a GPU machine too since the exact kNN kernels run on the CPU.
The breakdown then says ``approximate`` = 1; ``approximate`` = 0 means past
the threshold but exact because faiss is not installed. ``mode="exact"``
forces the exact kernels at any size, ``mode="approx"`` the approximate one.
A missed neighbour can only make a distance too large and ties are found
among candidates only; what that does to each value:

- dcr: d_train and d_hold can each come out too large, so the share can err
  either way (the two errors, on tables of equal size, tend to cancel); an
  exact copy is found (unless more than 64 rows share its search vector),
  so a copier still scores 1 and ``exact_copies`` is exact; the
  percentiles can only be too large.
- beta-recall: a too-large nearest synthetic distance or centre distance
  (the min over fewer tied rows) recalls fewer real flows, a too-large k-NN
  radius more: either way.
- authenticity: a too-large synthetic-to-real distance makes a flow look
  more authentic, a too-large own distance of x* (or too few tied x*, so a
  smaller max) less: either way; a copy is found at distance 0 and stays
  inauthentic, so copies still score 0.
- alpha-precision uses no neighbours: exact at any size.

``dcr`` (inputs real, synthetic, holdout; encoding fitted on all three).
The training and held-out tables are sorted by their encoded values (row
order cannot matter) and cut to the same size ``m`` = the smaller of the two
(seeded draw without replacement). For each synthetic
flow, d_train = distance to its closest training flow, d_hold = to its
closest held-out flow. Value = share of synthetic flows with
d_train < d_hold, ties counting one half. A generator that learnt the
distribution without copying sits near 0.5 (its flows are no closer to
the flows it saw than to flows it never saw); a copier scores 1. Direction
``closest`` (to the Reference row) rather than a new "target 0.5" direction:
the Reference row (held-out flows played as synthetic) sits near 0.5 by
construction, because when the synthetic table *is* the holdout (the
Reference row) the holdout is split in two seeded halves, one played as
synthetic, the other as the holdout. Breakdown: ``dcr_p5``, the 5th
percentile of d_train (small = near-copies), ``holdout_p5`` the same for
d_hold, ``exact_copies`` (share with d_train = 0).

``alpha-precision``, ``beta-recall``, ``authenticity`` (Alaa et al., "How
faithful is your synthetic data?", ICML 2022), on the (real, synthetic)
encoding itself, without the paper's learnt one-class embedding. Distances
to a centre use the mean of the one-hot vectors: for a categorical column
with level shares p, a flow with level v is at squared distance
1 - 2 p_v + sum(p^2) from the centre in that column (exact, no one-hot
matrix). Grid A = 31 points 0, 1/30, ..., 1.

- alpha-precision: c_r = centre of the real flows, R_a = a-quantile of the
  real flows' distances to c_r; P_a = share of synthetic flows within R_a.
  Value = 1 - 2 * mean_a |P_a - a| (1: synthetic mass spread like the real).
- beta-recall: c_s, Q_b = centre and b-quantile radius of the synthetic
  flows; a real flow is recalled at b when its nearest synthetic flow lies
  inside Q_b (one of them, when several are equally near) *and* within the
  real flow's k-NN radius among real flows (k = 5, Density/Coverage's radius). R_b = share recalled; value =
  1 - 2 * mean_b |R_b - b|.
- authenticity: a synthetic flow is authentic when its distance to its
  closest real flow x* is larger than x*'s distance to its own closest other
  real flow (the paper's rule; with several equally close x*, larger than
  each one's). Value = share authentic (copies score 0).
No randomness on the exact path: the seed is not used there.
"""
from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pandas as pd

from secgen_bench.metrics.base import Direction, Metric, MetricResult
from secgen_bench.metrics.density_coverage import APPROX_MIN_ROWS, use_approx
from secgen_bench.metrics.flow_encoding import FlowEncoding, canonical_order
from secgen_bench.schema import table_fingerprint

GRID = np.linspace(0.0, 1.0, 31)
RECALL_K = 5


def _rows(view: tuple, idx: np.ndarray) -> tuple:
    num, codes = view
    return num[idx], None if codes is None else codes[idx]


def _draw(view: tuple, n: int, rng: np.random.Generator) -> tuple:
    """``n`` rows of an encoded table in canonical order, drawn with the seed (all of them when it has n)."""
    if len(view[0]) == n:
        return view
    return _rows(view, np.sort(rng.choice(len(view[0]), size=n, replace=False)))


def _neighbours(views: list[tuple], mode: str, threshold: int, seed: int):
    """(kNN engine over ``views``, breakdown entries): approximate past ``threshold`` rows (module docstring)."""
    from secgen_bench.metrics._knn_torch import ExactNeighbours

    rows = max(len(v[0]) for v in views)
    if use_approx(mode, rows, 0, "cpu", threshold):  # "cpu": the exact kNN kernels run on the CPU
        from secgen_bench.metrics._knn_approx import ApproxNeighbours

        return ApproxNeighbours(views, seed=seed), {"approximate": 1.0}
    past = mode == "auto" and rows > threshold  # exact only because faiss is not installed
    return ExactNeighbours(views), ({"approximate": 0.0} if past else {})


class _PrivacyMetric(Metric):
    version = "1.0"
    family = "privacy"
    in_average_rank = False
    default = False
    bounds = (0.0, 1.0)

    def __init__(self, mode: str = "auto", approx_min_rows: int = APPROX_MIN_ROWS):
        if mode not in ("auto", "exact", "approx"):
            raise ValueError(f"{self.name}: mode must be 'auto', 'exact' or 'approx', not {mode!r}")
        if int(approx_min_rows) < 0:
            raise ValueError(f"{self.name}: approx_min_rows must be >= 0, got {approx_min_rows}")
        self.mode, self.approx_min_rows = mode, int(approx_min_rows)


class DCR(_PrivacyMetric):
    """Share of synthetic flows closer to a training flow than to any held-out flow (0.5 ideal, 1 = copying)."""

    name = "dcr"
    description = "Share of synthetic flows nearer the training set than an equal-size holdout (0.5 ideal); 5th-pct DCR"
    direction = Direction.CLOSEST
    copy_side = "higher"   # more synthetic rows nearer a training row than a held-out one: copying
    inputs = frozenset({"real", "synthetic", "holdout"})

    def compute(self, real, synthetic, schema, *, holdout=None, seed=0):
        if holdout is None:
            raise ValueError(f"{self.name}: needs a holdout (real held-out) table")
        rng = np.random.default_rng(seed)
        split = synthetic is holdout or (synthetic.shape == holdout.shape and synthetic.equals(holdout))
        tables = [("real", real), ("holdout", holdout)] + ([] if split else [("synthetic", synthetic)])
        enc = FlowEncoding(schema, tables, self.name)
        views = [_rows(v, canonical_order(*v)) for v in enc.knn(*tables)]  # row order cannot matter
        tr, ho = views[0], views[1]
        if split:  # the Reference row: one half of the holdout plays synthetic, the other the holdout
            if len(holdout) < 4:
                raise ValueError(f"{self.name}: the holdout has {len(holdout)} rows, need at least 4 to split it")
            order = rng.permutation(len(holdout))
            half = len(holdout) // 2
            sy, ho = _rows(ho, np.sort(order[:half])), _rows(ho, np.sort(order[half:]))
        else:
            sy = views[2]
        m = min(len(tr[0]), len(ho[0]))
        tr, ho = _draw(tr, m, rng), _draw(ho, m, rng)
        search, note = _neighbours([sy, tr, ho], self.mode, self.approx_min_rows, seed)
        d_train = search.knn(0, 1, 1)[0][:, 0]
        d_hold = search.knn(0, 2, 1)[0][:, 0]
        share = float(np.mean(d_train < d_hold) + 0.5 * np.mean(d_train == d_hold))
        return MetricResult(share, {
            "dcr_p5": float(np.percentile(d_train, 5)), "holdout_p5": float(np.percentile(d_hold, 5)),
            "dcr_median": float(np.median(d_train)), "exact_copies": float(np.mean(d_train == 0)),
            "rows_compared": m, "reference_split": split, **enc.description, **note})


def _centre_distances(num: np.ndarray, codes: np.ndarray | None, ref_num: np.ndarray,
                      ref_codes: np.ndarray | None) -> np.ndarray:
    """Distance of each point to the mean of the reference points' (numeric + one-hot) vectors."""
    sq = ((num - ref_num.mean(axis=0)) ** 2).sum(axis=1) if num.shape[1] else np.zeros(len(num))
    if codes is not None:
        for j in range(codes.shape[1]):
            size = int(max(codes[:, j].max(), ref_codes[:, j].max())) + 1
            p = np.bincount(ref_codes[:, j], minlength=size) / len(ref_codes)
            sq = sq + 1.0 - 2.0 * p[codes[:, j]] + float((p * p).sum())
    return np.sqrt(np.maximum(sq, 0.0))


def _integrated(curve: np.ndarray) -> float:
    """1 - 2 * mean |curve - GRID|, clipped to [0, 1] (rounding can leave -2e-16 at the worst curve)."""
    return float(np.clip(1.0 - 2.0 * np.mean(np.abs(curve - GRID)), 0.0, 1.0))


_CACHE: "OrderedDict[tuple, dict]" = OrderedDict()
_CACHE_SIZE = 4


def alpha_beta_authenticity(real: pd.DataFrame, synthetic: pd.DataFrame, schema, *, mode: str = "auto",
                            approx_min_rows: int = APPROX_MIN_ROWS, seed: int = 0) -> dict:
    """The three Alaa et al. quantities and their curves from one pass (see the module docstring); cached."""
    approx = use_approx(mode, len(real), len(synthetic), "cpu", approx_min_rows)
    key = (table_fingerprint(real), table_fingerprint(synthetic), schema.fingerprint(), mode, approx_min_rows,
           approx, seed if approx else None)
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    tables = [("real", real), ("synthetic", synthetic)]
    enc = FlowEncoding(schema, tables, "alpha-precision")
    (r_num, r_codes), (s_num, s_codes) = views = enc.knn(*tables)
    search, note = _neighbours(views, mode, approx_min_rows, seed)
    # alpha-precision: synthetic mass inside the real a-balls
    real_to_cr = _centre_distances(r_num, r_codes, r_num, r_codes)
    syn_to_cr = _centre_distances(s_num, s_codes, r_num, r_codes)
    precision = np.array([np.mean(syn_to_cr <= np.quantile(real_to_cr, a)) for a in GRID])
    # beta-recall: real flows near the synthetic b-support (any of their tied nearest synthetic flows)
    syn_to_cs = _centre_distances(s_num, s_codes, s_num, s_codes)
    real_knn = search.knn(0, 0, RECALL_K, exclude_self=True)[0]
    near_d, near_centre = search.nearest_tied(0, 1, syn_to_cs, "min")
    close = near_d <= real_knn[:, -1]
    recall = np.array([np.mean(close & (near_centre <= np.quantile(syn_to_cs, b))) for b in GRID])
    # authenticity: farther from its closest real flow(s) than each of them is from its own closest real flow
    syn_d, own_d = search.nearest_tied(1, 0, real_knn[:, 0], "max")
    authentic = syn_d > own_d
    out = {"alpha-precision": _integrated(precision), "beta-recall": _integrated(recall),
           "authenticity": float(np.mean(authentic)),
           "precision_at_0.5": float(precision[15]), "recall_at_0.5": float(recall[15]), **enc.description,
           **note}
    _CACHE[key] = out
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return out


class _AlaaMetric(_PrivacyMetric):
    def compute(self, real, synthetic, schema, *, holdout=None, seed=0):
        out = alpha_beta_authenticity(real, synthetic, schema, mode=self.mode, approx_min_rows=self.approx_min_rows,
                                      seed=seed)
        keep = ("precision_at_0.5", "recall_at_0.5", "numeric_columns", "categorical_columns", "approximate")
        return MetricResult(out[self.name], {k: out[k] for k in keep if k in out})


class AlphaPrecision(_AlaaMetric):
    """Integrated alpha-precision (Alaa et al. 2022): synthetic flows fall in the real alpha-support as they should."""

    name = "alpha-precision"
    description = "Integrated alpha-precision (Alaa et al. 2022) on the Density/Coverage encoding (1 best)"
    direction = Direction.HIGHER


class BetaRecall(_AlaaMetric):
    """Integrated beta-recall (Alaa et al. 2022): real flows are reached by the synthetic beta-support."""

    name = "beta-recall"
    description = "Integrated beta-recall (Alaa et al. 2022) on the Density/Coverage encoding (1 best)"
    direction = Direction.HIGHER


class Authenticity(_AlaaMetric):
    """Share of synthetic flows that are not near-copies of a real flow (Alaa et al. 2022; 0 = copies)."""

    name = "authenticity"
    description = "Share of synthetic flows farther from their closest real flow than it is from its own (Alaa et al.)"
    direction = Direction.HIGHER

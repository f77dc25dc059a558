"""Density and Coverage (Naeem et al. 2020, k = 5), encoded as the FlowChronicle artefact does.

Features: every flow column (timestamp included as integer nanoseconds;
sequence ids and labels excluded). A column is one-hot encoded when it has
fewer than 40 distinct values in real+synthetic together, or when its role is
IP, PORT or FLAGS (the artefact's rule "name contains ``IP``, ``Pt`` or
``Flags``", generalised to roles: on the CIDDS bidirectional schema it selects
exactly the same columns). Text columns of any other role (e.g. a protocol or
categorical column with 40+ values) are one-hot encoded too, since the
artefact could not have scaled them. Other columns stay numeric. One min-max
scaler is fitted on real+synthetic (sklearn arithmetic); one-hot columns are
0/1 and unchanged by it. Then prdc's Density and Coverage with k = 5, strict
``<``, r_i including the zero self-distance (duplicates -> r_i = 0).

One-hot columns are not materialised: each becomes an integer code and the
engine (``_prdc_torch``, or ``_prdc_numpy`` without torch) adds 2 to the squared distance per differing code,
which is the squared Euclidean distance between the two one-hot vectors.
Density and Coverage come from one pass; the last few results are cached so
that scoring both metrics on the same tables costs one computation. Tables of
more than ``APPROX_MIN_ROWS`` rows on a CPU go to the approximate FAISS engine
(``_prdc_approx``: bounded candidate sets, exact re-ranking; its breakdown says
``approximate`` and how often a ball was saturated); ``mode="exact"`` forces the
exact engines at any size.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import ClassVar

import numpy as np
import pandas as pd

from secgen_bench.metrics._columns import feature_columns, joint_codes, numeric, require
from secgen_bench.metrics.base import Direction, Metric, MetricResult
from secgen_bench.metrics.pcd import minmax_fit
from secgen_bench.schema import FlowSchema, Role, table_fingerprint

ONE_HOT_MAX_DISTINCT = 40  # artefact: one-hot when nunique(real+synthetic) < 40
ONE_HOT_ROLES = frozenset({Role.IP, Role.PORT, Role.FLAGS})


def encode(real: pd.DataFrame, synthetic: pd.DataFrame, schema: FlowSchema, metric: str = "density"):
    """(real_num, synth_num, real_codes, synth_codes, one_hot_columns, numeric_columns)."""
    cols = feature_columns(schema)
    require([("real", real), ("synthetic", synthetic)], cols, metric)
    num_cols, hot_cols = [], []
    for c in cols:
        role = schema.column(c).role
        is_text = not (pd.api.types.is_numeric_dtype(real[c]) or pd.api.types.is_datetime64_any_dtype(real[c]))
        distinct = pd.concat([real[c], synthetic[c]], ignore_index=True).nunique()
        if role in ONE_HOT_ROLES or distinct < ONE_HOT_MAX_DISTINCT or is_text:
            hot_cols.append(c)
        else:
            num_cols.append(c)
    n, m = len(real), len(synthetic)
    r_num = np.column_stack([numeric(real[c], metric, "real") for c in num_cols]) if num_cols else np.zeros((n, 0))
    s_num = np.column_stack([numeric(synthetic[c], metric, "synthetic") for c in num_cols]) if num_cols else np.zeros((m, 0))
    if num_cols:
        scale, offset = minmax_fit(r_num, s_num)
        r_num = r_num * scale + offset
        s_num = s_num * scale + offset
    r_codes = s_codes = None
    if hot_cols:
        pairs = [joint_codes(real[c], synthetic[c]) for c in hot_cols]
        r_codes = np.column_stack([p[0] for p in pairs])
        s_codes = np.column_stack([p[1] for p in pairs])
    return r_num, s_num, r_codes, s_codes, hot_cols, num_cols


_CACHE: "OrderedDict[tuple, dict]" = OrderedDict()
_CACHE_SIZE = 4


# Above this many rows in either table, on a CPU with faiss installed, ``mode="auto"`` takes the
# approximate engine (``_prdc_approx``): the exact one needs ~5 min at 200k x 200k and grows as n m.
# Below it, on a GPU, and in the paper reproduction (10,000-row samples) the exact engines run.
APPROX_MIN_ROWS = 200_000


def use_approx(mode: str, n: int, m: int, device: str | None, threshold: int | None = None) -> bool:
    """Whether Density/Coverage (and the privacy kNN metrics) take the approximate FAISS engine for
    tables of n and m rows; ``threshold`` replaces ``APPROX_MIN_ROWS``."""
    if mode != "auto":
        return mode == "approx"
    if max(n, m) <= (APPROX_MIN_ROWS if threshold is None else threshold) or device not in (None, "auto", "cpu"):
        return False
    try:
        import faiss  # noqa: F401
    except ImportError:
        return False
    if device in (None, "auto"):
        try:
            import torch
        except ImportError:
            return True
        return not torch.cuda.is_available()  # a GPU runs the exact blocked kernel in minutes
    return True


def density_coverage_result(real, synthetic, schema, *, k=5, device="auto", mode="auto", block=None,
                            seed=0) -> dict:
    from secgen_bench.metrics.knn_engine import engine

    approx = use_approx(mode, len(real), len(synthetic), device)
    key = (table_fingerprint(real), table_fingerprint(synthetic), schema.fingerprint(), k, mode, block, device,
           seed if approx else None)
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    r_num, s_num, r_codes, s_codes, hot, num = encode(real, synthetic, schema)
    extra = {}
    if approx:
        from secgen_bench.metrics import _prdc_approx

        res = _prdc_approx.density_coverage(r_num, s_num, r_codes, s_codes, k=k, seed=seed)
        extra = {"approximate": 1.0, "saturated_share": res.saturated}
    else:
        res = engine().density_coverage(r_num, s_num, r_codes, s_codes, k=k, mode=mode, device=device, block=block)
    out = {"density": res.density, "coverage": res.coverage, "mode": res.mode, "device": res.device,
           "one_hot": hot, "numeric": num, "extra": extra}
    _CACHE[key] = out
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return out


class _DensityCoverageMetric(Metric):
    key: ClassVar[str] = ""

    def __init__(self, k: int = 5, device: str | None = "auto", mode: str = "auto", block: int | None = None):
        if int(k) < 1:
            raise ValueError(f"{self.name}: k must be >= 1, got {k}")
        if mode not in ("auto", "exact", "fast", "approx"):
            raise ValueError(f"{self.name}: mode must be 'auto', 'exact', 'fast' or 'approx', not {mode!r}")
        self.k, self.device, self.mode, self.block = int(k), device, mode, block

    def compute(self, real, synthetic, schema, *, holdout=None, seed=0):
        out = density_coverage_result(real, synthetic, schema, k=self.k, device=self.device, mode=self.mode,
                                      block=self.block, seed=seed)
        return MetricResult(out[self.key], {"one_hot_columns": len(out["one_hot"]),
                                            "numeric_columns": len(out["numeric"]), **out["extra"]})


class Density(_DensityCoverageMetric):
    """prdc Density (k=5): how densely synthetic points sit inside real k-NN balls (1 ~ same distribution)."""

    name = "density"
    version = "1.0"
    description = "prdc Density (k=5) on the artefact's one-hot + min-max encoding"
    direction = Direction.HIGHER
    bounds = (0.0, float("inf"))
    key = "density"


class Coverage(_DensityCoverageMetric):
    """prdc Coverage (k=5): fraction of real k-NN balls that contain a synthetic point."""

    name = "coverage"
    version = "1.0"
    description = "prdc Coverage (k=5) on the artefact's one-hot + min-max encoding"
    direction = Direction.HIGHER
    bounds = (0.0, 1.0)
    key = "coverage"

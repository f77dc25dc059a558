"""Flow fields as tokens, and timestamps as a density of training times.

Sequence models (the Transformer baseline) see a flow as one token per field.
Discrete columns (IPs, ports, protocol, flags, categories) get a vocabulary of
their training values; continuous columns (bytes, packets, duration) are
discretised as ``generators.md`` fixes it: 0 is its own bin, non-zero values
go to quantile bins (``qcut(n_bins, duplicates="drop")``), and decoding draws
uniformly inside the bin (integers uniformly among the integers of the bin).
The timestamp is not tokenised: :class:`TimeDensity` draws times from a
Gaussian kernel density of the training times.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from secgen_bench.schema import FlowSchema


@dataclass
class ColumnCodec:
    """Codes of one column: a vocabulary (``values``) or bin edges (``edges``, code 0 = the value 0)."""

    name: str
    integer: bool
    values: np.ndarray | None = None
    edges: np.ndarray | None = None

    @property
    def size(self) -> int:
        if self.values is not None:
            return len(self.values)
        return 1 + max(len(self.edges) - 1, 1)

    # -- fitting ----------------------------------------------------------
    @classmethod
    def vocabulary(cls, name: str, values: pd.Series) -> "ColumnCodec":
        counts = values.value_counts(sort=False)
        order = np.lexsort((counts.index.astype(str), -counts.to_numpy()))  # by frequency, ties by value
        return cls(name, integer=pd.api.types.is_integer_dtype(values), values=counts.index.to_numpy()[order])

    @classmethod
    def bins(cls, name: str, values: pd.Series, n_bins: int) -> "ColumnCodec":
        x = values.to_numpy(dtype="float64")
        nonzero = x[x != 0]
        if len(np.unique(nonzero)) <= 1:
            v = nonzero[0] if len(nonzero) else 0.0
            edges = np.array([v, v])
        else:
            _, edges = pd.qcut(nonzero, n_bins, retbins=True, duplicates="drop")
            edges = np.asarray(edges, dtype="float64")
            edges[0], edges[-1] = nonzero.min(), nonzero.max()  # qcut widens the outer edges by 0.1 %
        return cls(name, integer=pd.api.types.is_integer_dtype(values), edges=edges)

    # -- coding -----------------------------------------------------------
    def encode(self, values: pd.Series) -> np.ndarray:
        if self.values is not None:
            index = pd.Index(self.values)
            codes = index.get_indexer(values.to_numpy())
            if (codes < 0).any():
                bad = values.to_numpy()[codes < 0][0]
                raise ValueError(f"column {self.name!r}: value {bad!r} not in the training vocabulary")
            return codes.astype("int64")
        x = values.to_numpy(dtype="float64")
        n_intervals = max(len(self.edges) - 1, 1)
        inner = np.clip(np.searchsorted(self.edges, x, side="left") - 1, 0, n_intervals - 1)
        return np.where(x == 0, 0, 1 + inner).astype("int64")

    def decode(self, codes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        codes = np.asarray(codes, dtype="int64")
        if self.values is not None:
            return self.values[codes]
        interval = np.clip(codes - 1, 0, max(len(self.edges) - 2, 0))
        lo = self.edges[interval]
        hi = self.edges[np.minimum(interval + 1, len(self.edges) - 1)]
        if self.integer:
            # interval (lo, hi] holds the integers floor(lo)+1 .. floor(hi); the first one also holds lo
            lo_int = np.where(interval == 0, np.ceil(lo), np.floor(lo) + 1)
            hi_int = np.floor(hi)
            lo_int = np.minimum(lo_int, hi_int)
            drawn = lo_int + np.floor(rng.random(len(codes)) * (hi_int - lo_int + 1))
            out = np.minimum(drawn, hi_int)
        else:
            out = lo + rng.random(len(codes)) * (hi - lo)
        return np.where(codes == 0, 0.0, out)


class FlowTokenizer:
    """Per-column codes for every non-timestamp column, and their offsets in one shared vocabulary."""

    def __init__(self, n_bins: int = 40):
        if n_bins < 1:
            raise ValueError(f"n_bins must be >= 1, got {n_bins}")
        self.n_bins = n_bins

    def fit(self, table: pd.DataFrame, schema: FlowSchema) -> "FlowTokenizer":
        continuous = set(schema.continuous)
        self.columns_ = [c for c in table.columns if c != schema.timestamp]
        self.dtypes_ = {c: str(table[c].dtype) for c in self.columns_}
        self.codecs_ = [
            ColumnCodec.bins(c, table[c], self.n_bins) if c in continuous else ColumnCodec.vocabulary(c, table[c])
            for c in self.columns_
        ]
        self.sizes_ = np.array([codec.size for codec in self.codecs_], dtype="int64")
        self.offsets_ = np.concatenate([[0], np.cumsum(self.sizes_)[:-1]]).astype("int64")
        return self

    @property
    def n_fields(self) -> int:
        return len(self.columns_)

    @property
    def vocab_size(self) -> int:
        return int(self.sizes_.sum())

    def encode(self, table: pd.DataFrame) -> np.ndarray:
        """(rows, fields) per-column codes."""
        if not self.columns_:
            return np.zeros((len(table), 0), dtype="int64")
        return np.stack([codec.encode(table[codec.name]) for codec in self.codecs_], axis=1)

    def decode(self, codes: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
        """The table (training dtypes) of (rows, fields) per-column codes; bins decoded uniformly."""
        out = {codec.name: codec.decode(codes[:, j], rng) for j, codec in enumerate(self.codecs_)}
        frame = pd.DataFrame(out, index=pd.RangeIndex(len(codes)))
        return frame.astype(self.dtypes_)

    def to_global(self, codes: np.ndarray) -> np.ndarray:
        return codes + self.offsets_[None, :]

    def to_local(self, tokens: np.ndarray) -> np.ndarray:
        return tokens - self.offsets_[None, :]

    def column_entropy(self, codes: np.ndarray) -> float:
        """Mean per-field entropy (nats) of the codes' empirical marginals: the unigram baseline loss."""
        total = 0.0
        for j in range(codes.shape[1]):
            p = np.bincount(codes[:, j], minlength=int(self.sizes_[j])) / len(codes)
            p = p[p > 0]
            total += float(-(p * np.log(p)).sum())
        return total / max(codes.shape[1], 1)


class TimeDensity:
    """A Gaussian kernel density of training times, reflected at the first and last training time so
    that no mass piles up on the edges of the range.

    The bandwidth maximises the leave-one-out likelihood over a log grid (on at most ``max_points``
    times): rules of thumb such as Silverman's assume one smooth bump and blur away the daily cycle
    of traffic (hours-wide kernels on a week of flows), which cross-validation keeps.
    """

    def __init__(self, max_points: int = 1000, grid: int = 20):
        self.max_points, self.grid = max_points, grid

    def fit(self, times: pd.Series) -> "TimeDensity":
        ns = times.to_numpy(dtype="datetime64[ns]").astype("int64")
        self.origin_ = int(ns.min())
        self.seconds_ = np.sort((ns - self.origin_) / 1e9)
        self.bandwidth_ = self._cross_validated_bandwidth(self.seconds_)
        return self

    def _cross_validated_bandwidth(self, x: np.ndarray) -> float:
        span = float(x[-1] - x[0]) if len(x) else 0.0
        if len(x) < 3 or span <= 0:
            return 0.0
        if len(x) > self.max_points:  # evenly spaced quantiles keep the shape and make this O(max_points^2)
            x = x[np.linspace(0, len(x) - 1, self.max_points).round().astype(int)]
        diff2 = (x[:, None] - x[None, :]) ** 2
        np.fill_diagonal(diff2, np.inf)
        best, best_ll = span, -np.inf
        for h in np.geomspace(span * 1e-5, span, self.grid):
            dens = np.exp(-diff2 / (2 * h * h)).sum(1) / ((len(x) - 1) * h)
            ll = float(np.log(np.maximum(dens, 1e-300)).sum())
            if ll > best_ll:
                best, best_ll = float(h), ll
        return best

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` sorted datetime64[ns] values."""
        picks = self.seconds_[rng.integers(0, len(self.seconds_), size=n)]
        seconds = picks + rng.normal(0.0, 1.0, size=n) * self.bandwidth_
        lo, hi = self.seconds_[0], self.seconds_[-1]
        if hi > lo:
            period = 2.0 * (hi - lo)
            folded = np.mod(seconds - lo, period)
            seconds = lo + np.where(folded > hi - lo, period - folded, folded)
        else:
            seconds = np.full(n, lo)
        ns = self.origin_ + np.round(seconds * 1e9).astype("int64")
        return np.sort(ns).astype("datetime64[ns]")

"""Turn a flow table into small integer codes for Bayesian networks, and back.

As the baselines of the FlowChronicle artefact do it:

- **continuous columns** (bytes, packets, counts, durations, other reals):
  a Bayesian Gaussian mixture (40 components, scikit-learn, seeded) fitted on
  the values up to the 90th percentile; each used component is a bin (codes
  ordered by component mean) and the values above the 90th percentile form
  one extra tail bin. A column with at most ``n_components`` distinct values
  keeps each value as its own bin (exact, e.g. small packet counts).
  ``binning="quantile"`` gives the FlowChronicle variant instead: 0 its own
  bin, non-zero values in up to ``n_components`` quantile bins.
  Decoding draws uniformly between the smallest and largest training value of
  the bin. Departures: exact zeros get their own bin first (``zero_bin=True``,
  as in FlowChronicle's discretisation), because a mixture component that
  spans 0 would otherwise decode the many zero byte/duration cells of flow
  data as small positive values; and the tail bin decodes by inverse-CDF sampling of the
  training tail (linear interpolation between sorted tail values), because a
  uniform draw over [p90, max] of a heavy-tailed byte count would be dominated
  by the maximum. Integer roles are rounded, non-negative roles clipped at 0.
- **timestamp**: weekday + time of day (``n_time_bins`` equal-frequency bins
  of the seconds since midnight). Decoding picks a training date with that
  weekday (weighted by how many training flows that date has in that time
  bin), a uniform time inside the bin, and clips to the training range.
- **discrete columns** (IP, port, protocol, flags, categorical, label):
  the ``max_categories`` most frequent values seen at least ``min_count``
  times keep their own code; all rarer values share one "other" code that
  decodes by drawing from the rare values' empirical distribution. This bounds
  the BN's table sizes for IPs and ports with thousands of values.

Column kinds come from schema roles only.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from secgen_bench.schema import FlowSchema, Role

_INT_ROLES = {Role.PORT, Role.BYTES, Role.PACKETS, Role.COUNT}
_NON_NEGATIVE = {Role.BYTES, Role.PACKETS, Role.COUNT, Role.DURATION}
WEEKDAY_SUFFIX = ".weekday"
TOD_SUFFIX = ".time_of_day"


def _rng(seed) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


class ContinuousBinner:
    """Mixture (or quantile) bins of one numeric column; see the module docstring."""

    def __init__(self, n_components: int = 40, tail_quantile: float = 0.9, binning: str = "gmm",
                 max_fit_rows: int = 5000, zero_bin: bool = True):
        if n_components < 1:
            raise ValueError(f"n_components must be >= 1, got {n_components}")
        if not 0.0 < tail_quantile <= 1.0:
            raise ValueError(f"tail_quantile must be in (0, 1], got {tail_quantile}")
        if binning not in ("gmm", "quantile"):
            raise ValueError(f"binning must be 'gmm' or 'quantile', got {binning!r}")
        self.n_components, self.tail_quantile, self.binning = n_components, tail_quantile, binning
        self.max_fit_rows, self.zero_bin = max_fit_rows, zero_bin

    def fit(self, values, seed=0) -> "ContinuousBinner":
        v = np.asarray(values, dtype=float)
        if v.size == 0 or not np.isfinite(v).all():
            raise ValueError("ContinuousBinner: values must be non-empty and finite")
        distinct = np.unique(v)
        self.mode_ = "exact" if distinct.size <= self.n_components else self.binning
        self.tail_ = None
        if self.mode_ == "exact":
            self.values_ = distinct
            codes = np.searchsorted(distinct, v)
        elif self.mode_ == "quantile":
            nz = v[v != 0]
            edges = np.unique(np.quantile(nz, np.linspace(0, 1, self.n_components + 1))) if nz.size else np.array([0.0])
            self.edges_ = edges
            codes = self._quantile_codes(v)
        else:
            codes = self._fit_gmm(v, seed)
        n_bins = int(codes.max()) + 1
        self.lo_ = np.full(n_bins, np.nan)
        self.hi_ = np.full(n_bins, np.nan)
        for b in range(n_bins):
            inside = v[codes == b]
            if inside.size:
                self.lo_[b], self.hi_[b] = inside.min(), inside.max()
        # Empty bins (possible with quantile edges) decode to their nearest neighbour's range.
        filled = np.flatnonzero(~np.isnan(self.lo_))
        for b in np.flatnonzero(np.isnan(self.lo_)):
            near = filled[np.argmin(np.abs(filled - b))]
            self.lo_[b], self.hi_[b] = self.lo_[near], self.hi_[near]
        self.n_bins_ = n_bins
        return self

    def _fit_gmm(self, v: np.ndarray, seed) -> np.ndarray:
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.mixture import BayesianGaussianMixture

        self.threshold_ = float(np.quantile(v, self.tail_quantile))
        self.zero_bin_ = bool(self.zero_bin and (v == 0).any())
        body = v[self._body_mask(v)]
        self.gmm_ = None
        self.component_code_ = np.zeros(0, dtype=np.int64)
        if body.size:
            fit_on = body
            if body.size > self.max_fit_rows:
                fit_on = np.sort(_rng(seed).choice(body, self.max_fit_rows, replace=False))
            k = int(min(self.n_components, np.unique(fit_on).size))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                self.gmm_ = BayesianGaussianMixture(n_components=k, random_state=int(seed) % (2**32))
                self.gmm_.fit(fit_on[:, None])
            used = np.unique(self.gmm_.predict(body[:, None]))
            used = used[np.argsort(self.gmm_.means_[used, 0])]
            self.component_code_ = np.full(k, -1, dtype=np.int64)
            self.component_code_[used] = int(self.zero_bin_) + np.arange(used.size)
        tail = np.sort(v[v > self.threshold_])
        self.tail_ = tail if tail.size else None
        return self._gmm_codes(v)

    def _body_mask(self, v: np.ndarray) -> np.ndarray:
        body = v <= self.threshold_
        return body & (v != 0) if self.zero_bin_ else body

    def _gmm_codes(self, v: np.ndarray) -> np.ndarray:
        n_body = int(self.zero_bin_) + int((self.component_code_ >= 0).sum())
        codes = np.full(v.size, n_body, dtype=np.int64)  # the tail bin by default
        if self.zero_bin_:
            codes[v == 0] = 0
        body = self._body_mask(v)
        if body.any() and self.gmm_ is not None:
            comp = self.gmm_.predict(v[body][:, None])
            mapped = self.component_code_[comp]
            if (mapped < 0).any():  # a component unused in training: nearest used one by mean
                means = self.gmm_.means_[:, 0]
                used = np.flatnonzero(self.component_code_ >= 0)
                for c in np.unique(comp[mapped < 0]):
                    mapped[comp == c] = self.component_code_[used[np.argmin(np.abs(means[used] - means[c]))]]
            codes[body] = mapped
        elif body.any():
            codes[body] = 0
        return codes

    def _quantile_codes(self, v: np.ndarray) -> np.ndarray:
        inner = self.edges_[1:-1]
        return np.where(v == 0, 0, 1 + np.searchsorted(inner, v, side="right")).astype(np.int64)

    def encode(self, values) -> np.ndarray:
        v = np.asarray(values, dtype=float)
        if self.mode_ == "exact":
            idx = np.clip(np.searchsorted(self.values_, v), 0, self.values_.size - 1)
            left = np.clip(idx - 1, 0, None)
            closer_left = np.abs(self.values_[left] - v) < np.abs(self.values_[idx] - v)
            return np.where(closer_left, left, idx).astype(np.int64)
        if self.mode_ == "quantile":
            return np.minimum(self._quantile_codes(v), self.n_bins_ - 1)
        return np.minimum(self._gmm_codes(v), self.n_bins_ - 1)

    def decode(self, codes, rng) -> np.ndarray:
        rng = _rng(rng)
        codes = np.asarray(codes, dtype=np.int64)
        if self.mode_ == "exact":
            return self.values_[codes].astype(float)
        u = rng.random(codes.size)
        out = self.lo_[codes] + u * (self.hi_[codes] - self.lo_[codes])
        if self.mode_ == "gmm" and self.tail_ is not None:
            tail = codes == self.n_bins_ - 1
            if tail.any():
                grid = np.linspace(0.0, 1.0, self.tail_.size)
                out[tail] = np.interp(u[tail], grid, self.tail_)
        return out


class TimestampCodec:
    """Timestamp <-> (weekday code, time-of-day bin); see the module docstring."""

    def __init__(self, n_time_bins: int = 48):
        if n_time_bins < 1:
            raise ValueError(f"n_time_bins must be >= 1, got {n_time_bins}")
        self.n_time_bins = n_time_bins

    def fit(self, ts: pd.Series) -> "TimestampCodec":
        ts = pd.to_datetime(pd.Series(ts)).reset_index(drop=True)
        self.min_, self.max_ = ts.min(), ts.max()
        seconds = self._seconds(ts)
        edges = np.unique(np.quantile(seconds, np.linspace(0, 1, self.n_time_bins + 1)))
        self.inner_edges_ = edges[1:-1]
        self.lo_ = np.concatenate([[0.0], self.inner_edges_])
        self.hi_ = np.concatenate([self.inner_edges_, [86400.0]])
        self.lo_[0], self.hi_[-1] = edges[0], max(edges[-1], edges[0])
        self.weekdays_ = np.unique(ts.dt.weekday.to_numpy())
        wd, tod = self.encode(ts)
        days = ts.dt.normalize().to_numpy()
        self.days_ = np.unique(days)
        day_idx = np.searchsorted(self.days_, days)
        # counts[weekday code, time bin, day]
        self.counts_ = np.zeros((self.weekdays_.size, self.lo_.size, self.days_.size))
        np.add.at(self.counts_, (wd, tod, day_idx), 1.0)
        return self

    @staticmethod
    def _seconds(ts: pd.Series) -> np.ndarray:
        return ((ts - ts.dt.normalize()).dt.total_seconds()).to_numpy()

    @property
    def cardinalities(self) -> tuple[int, int]:
        return self.weekdays_.size, self.lo_.size

    def encode(self, ts: pd.Series) -> tuple[np.ndarray, np.ndarray]:
        ts = pd.to_datetime(pd.Series(ts)).reset_index(drop=True)
        wd = np.searchsorted(self.weekdays_, ts.dt.weekday.to_numpy())
        wd = np.clip(wd, 0, self.weekdays_.size - 1).astype(np.int64)
        tod = np.searchsorted(self.inner_edges_, self._seconds(ts), side="right").astype(np.int64)
        return wd, tod

    def decode(self, weekday_codes, tod_codes, rng) -> np.ndarray:
        rng = _rng(rng)
        wd = np.asarray(weekday_codes, dtype=np.int64)
        tod = np.asarray(tod_codes, dtype=np.int64)
        day = np.empty(wd.size, dtype=np.int64)
        pairs = wd * self.lo_.size + tod
        for pair in np.unique(pairs):
            rows = np.flatnonzero(pairs == pair)
            w, t = divmod(int(pair), self.lo_.size)
            weights = self.counts_[w, t]
            if weights.sum() == 0:
                weights = self.counts_[w].sum(axis=0)
            day[rows] = rng.choice(self.days_.size, size=rows.size, p=weights / weights.sum())
        seconds = self.lo_[tod] + rng.random(wd.size) * (self.hi_[tod] - self.lo_[tod])
        out = self.days_[day] + (seconds * 1e9).astype("timedelta64[ns]")
        return np.clip(out, self.min_.to_datetime64(), self.max_.to_datetime64()).astype("datetime64[ns]")


class CategoryCodec:
    """Top categories keep a code; rare ones share an "other" code (decoded from their empirical mix)."""

    def __init__(self, max_categories: int = 64, min_count: int = 2):
        if max_categories < 1:
            raise ValueError(f"max_categories must be >= 1, got {max_categories}")
        self.max_categories, self.min_count = max_categories, min_count

    def fit(self, values) -> "CategoryCodec":
        counts = pd.Series(np.asarray(values, dtype=object)).value_counts(sort=True)
        # Stable order: by count, then by value text, so the codes do not depend on row order.
        counts = counts.iloc[np.lexsort((counts.index.astype(str), -counts.to_numpy()))]
        keep = counts[counts >= self.min_count].iloc[: self.max_categories]
        if keep.empty:
            keep = counts.iloc[:1]
        self.values_ = keep.index.to_numpy(dtype=object)
        rare = counts.drop(keep.index)
        self.rare_values_ = rare.index.to_numpy(dtype=object)
        self.rare_p_ = (rare / rare.sum()).to_numpy(dtype=float) if len(rare) else np.zeros(0)
        self.lookup_ = {v: i for i, v in enumerate(self.values_)}
        return self

    @property
    def has_other(self) -> bool:
        return self.rare_values_.size > 0

    @property
    def cardinality(self) -> int:
        return self.values_.size + int(self.has_other)

    def encode(self, values) -> np.ndarray:
        other = self.values_.size if self.has_other else -1
        codes = np.fromiter((self.lookup_.get(v, other) for v in np.asarray(values, dtype=object)),
                            dtype=np.int64, count=len(values))
        if (codes < 0).any():
            bad = np.asarray(values, dtype=object)[codes < 0][0]
            raise ValueError(f"CategoryCodec: value {bad!r} was not seen in training")
        return codes

    def decode(self, codes, rng) -> np.ndarray:
        rng = _rng(rng)
        codes = np.asarray(codes, dtype=np.int64)
        out = np.empty(codes.size, dtype=object)
        known = codes < self.values_.size
        out[known] = self.values_[codes[known]]
        if (~known).any():
            out[~known] = self.rare_values_[rng.choice(self.rare_values_.size, size=int((~known).sum()), p=self.rare_p_)]
        return out


DECODERS = ("bin", "joint")   # continuous cells decoded each on its own, or jointly (bin_decoding.py)


class FlowCodec:
    """A whole flow table <-> a table of integer codes (one column per field; the timestamp gives two)."""

    def __init__(self, *, n_components: int = 40, tail_quantile: float = 0.9, binning: str = "gmm",
                 max_categories: int = 64, min_count: int = 2, n_time_bins: int = 48, max_fit_rows: int = 5000,
                 decode: str = "bin"):
        if decode not in DECODERS:
            raise ValueError(f"decode must be 'bin' or 'joint', got {decode!r}")
        self.decode_mode = decode
        self.options = dict(n_components=n_components, tail_quantile=tail_quantile, binning=binning,
                            max_fit_rows=max_fit_rows)
        self.max_categories, self.min_count, self.n_time_bins = max_categories, min_count, n_time_bins
        ContinuousBinner(**self.options)  # validates the options now
        CategoryCodec(max_categories, min_count)
        TimestampCodec(n_time_bins)

    def fit(self, table: pd.DataFrame, schema: FlowSchema, seed: int = 0) -> "FlowCodec":
        self.schema_ = schema
        self.codecs_: dict[str, object] = {}
        for i, col in enumerate(schema.columns):
            values = table[col.name]
            if col.role is Role.TIMESTAMP:
                self.codecs_[col.name] = TimestampCodec(self.n_time_bins).fit(values)
            elif col.role.is_continuous:
                self.codecs_[col.name] = ContinuousBinner(**self.options).fit(values.to_numpy(float), seed=seed + i)
            else:
                self.codecs_[col.name] = CategoryCodec(self.max_categories, self.min_count).fit(values.to_numpy())
        self.joint_ = None
        cont = self._continuous_columns()
        if cont and getattr(self, "decode_mode", "bin") == "joint":
            from secgen_bench.generators.common.bin_decoding import JointBinTable

            self.joint_ = JointBinTable(np.column_stack([self.codecs_[c].encode(table[c].to_numpy(float)) for c in cont]),
                                        np.column_stack([table[c].to_numpy(float) for c in cont]))
        return self

    def _continuous_columns(self) -> list[str]:
        return [c for c, codec in self.codecs_.items() if isinstance(codec, ContinuousBinner)]

    @property
    def code_columns(self) -> list[str]:
        out = []
        for col in self.schema_.columns:
            if col.role is Role.TIMESTAMP:
                out += [col.name + WEEKDAY_SUFFIX, col.name + TOD_SUFFIX]
            else:
                out.append(col.name)
        return out

    @property
    def cardinalities(self) -> dict[str, int]:
        out = {}
        for col in self.schema_.columns:
            codec = self.codecs_[col.name]
            if isinstance(codec, TimestampCodec):
                out[col.name + WEEKDAY_SUFFIX], out[col.name + TOD_SUFFIX] = codec.cardinalities
            elif isinstance(codec, ContinuousBinner):
                out[col.name] = codec.n_bins_
            else:
                out[col.name] = codec.cardinality
        return out

    def encode(self, table: pd.DataFrame) -> pd.DataFrame:
        out = {}
        for col in self.schema_.columns:
            codec = self.codecs_[col.name]
            if isinstance(codec, TimestampCodec):
                out[col.name + WEEKDAY_SUFFIX], out[col.name + TOD_SUFFIX] = codec.encode(table[col.name])
            elif isinstance(codec, ContinuousBinner):
                out[col.name] = codec.encode(table[col.name].to_numpy(float))
            else:
                out[col.name] = codec.encode(table[col.name].to_numpy())
        return pd.DataFrame(out)

    def decode(self, codes: pd.DataFrame, seed=0) -> pd.DataFrame:
        """Codes -> a table with the schema's columns and dtypes (not sorted)."""
        rng = _rng(seed)
        out = {}
        for col in self.schema_.columns:
            codec = self.codecs_[col.name]
            if isinstance(codec, TimestampCodec):
                out[col.name] = codec.decode(codes[col.name + WEEKDAY_SUFFIX], codes[col.name + TOD_SUFFIX], rng)
            elif isinstance(codec, ContinuousBinner):
                out[col.name] = codec.decode(codes[col.name], rng)
            else:
                values = codec.decode(codes[col.name], rng)
                out[col.name] = values.astype(np.int64) if col.role is Role.PORT else values
        cont = self._continuous_columns()
        if getattr(self, "joint_", None) is not None:
            filled = self.joint_.fill(codes[cont].to_numpy(), np.column_stack([out[c] for c in cont]), rng)
            for i, c in enumerate(cont):
                out[c] = filled[:, i]
        for c in cont:
            out[c] = cast_numeric(out[c], self.schema_.column(c).role)
        return pd.DataFrame(out).astype(self.schema_.dtypes)


def cast_numeric(values: np.ndarray, role: Role) -> np.ndarray:
    """Round integer roles, clip non-negative roles at 0, return int64 or float64."""
    v = np.asarray(values, dtype=float)
    if role in _NON_NEGATIVE:
        v = np.maximum(v, 0.0)
    if role in _INT_ROLES:
        return np.rint(v).astype(np.int64)
    return v.astype(np.float64)

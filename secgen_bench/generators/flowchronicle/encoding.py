"""Flow table <-> integer code matrix, as FlowChronicle models it.

Rows are sorted by time (stable). Timestamps become integer units of 10 ms
from the first flow. Continuous columns (bytes, packets, counts, durations)
are discretised: 0 is its own bin (code 0) and non-zero values go to 40
quantile bins (``pd.qcut(..., 40, duplicates="drop")``, codes 1..B). Decoding
(``decode``): ``"uniform"`` draws uniformly inside the bin, as the artefact
does; ``"empirical"`` draws one of the training values of the bin, which keeps
the within-bin distribution (integer packet counts, the maximum of the top bin)
exactly; ``"joint"`` copies all continuous values of a random training flow
whose continuous cells fall in the same bins as the generated flow (so bytes,
packets and duration stay consistent inside their bins), and falls back to
``"empirical"`` for a combination of bins no training flow has. Every other
column is categorical (codes of the sorted distinct values). Column roles come from the schema only.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from secgen_bench.generators.common.bin_decoding import JointBinTable
from secgen_bench.schema import FlowSchema, Role, SchemaError

TIME_UNIT_NS = 10_000_000   # 10 ms
DECODERS = ("uniform", "empirical", "joint")


class FlowEncoding:
    """Codes of one training table plus what is needed to decode samples."""

    def __init__(self, table: pd.DataFrame, schema: FlowSchema, n_bins: int = 40, decode: str = "uniform"):
        if decode not in DECODERS:
            raise ValueError(f"flowchronicle: decode must be one of {DECODERS}, not {decode!r}")
        self.decode_mode = decode
        ts = schema.timestamp
        if ts is None:
            raise SchemaError(f"flowchronicle: schema {schema.name!r} has no timestamp column; FlowChronicle models time")
        self.timestamp = ts
        self.columns = [c for c in table.columns if c != ts]
        if not self.columns:
            raise SchemaError("flowchronicle: the table has no column besides the timestamp")
        self.dtypes = {c: str(table[c].dtype) for c in table.columns}
        continuous = set(schema.continuous)
        self.continuous = [i for i, c in enumerate(self.columns) if c in continuous]
        ips = set(schema.by_role(Role.IP))
        self.ip_columns = [i for i, c in enumerate(self.columns) if c in ips]
        self.src_ip = self.ip_columns[0] if self.ip_columns else None
        self.dst_ip = self.ip_columns[1] if len(self.ip_columns) > 1 else None
        ports = [i for i, c in enumerate(self.columns) if c in set(schema.by_role(Role.PORT))]
        protos = [i for i, c in enumerate(self.columns) if c in set(schema.by_role(Role.PROTOCOL))]
        self.port_col = ports[-1] if ports else None          # the destination/service port is last
        self.proto_col = protos[0] if protos else None

        order = np.argsort(table[ts].to_numpy(dtype="datetime64[ns]").astype(np.int64), kind="stable")
        self.order = order
        t_ns = table[ts].to_numpy(dtype="datetime64[ns]").astype(np.int64)[order]
        self.t0_ns = int(t_ns[0])
        self.times = (t_ns - self.t0_ns) // TIME_UNIT_NS          # int64 units of 10 ms
        n = len(order)
        self.n = n
        self.codes = np.zeros((n, len(self.columns)), dtype=np.int64)
        self.values: list[np.ndarray] = []       # categorical: code -> value
        self.edges: list[np.ndarray | None] = []  # continuous: bin edges (codes 1..B)
        self.bin_values: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # continuous: sorted values, bin starts
        # IP columns share one vocabulary so a SET on one IP column can be USEd on another
        ip_vocab = None
        if self.ip_columns:
            ip_vocab = np.unique(np.concatenate([table[self.columns[j]].to_numpy().astype(str) for j in self.ip_columns]))
        for j, col in enumerate(self.columns):
            v = table[col].to_numpy()[order]
            if j in self.ip_columns:
                self.codes[:, j] = np.searchsorted(ip_vocab, v.astype(str))
                self.values.append(ip_vocab)
                self.edges.append(None)
            elif j in self.continuous:
                codes, edges = _quantile_bins(v.astype(np.float64), n_bins)
                self.codes[:, j] = codes
                if decode != "uniform":             # the training values of each bin, for decoding
                    by_bin = np.argsort(codes, kind="stable")
                    self.bin_values[j] = (v.astype(np.float64)[by_bin],
                                          np.searchsorted(codes[by_bin], np.arange(len(edges) + 1)))
                self.values.append(np.arange(len(edges)))          # codes 0..B
                self.edges.append(edges)
            else:
                uniq, inv = np.unique(v.astype(str) if v.dtype == object else v, return_inverse=True)
                self.codes[:, j] = inv
                self.values.append(uniq)
                self.edges.append(None)
        self.joint = None
        if self.continuous and decode == "joint":
            self.joint = JointBinTable(self.codes[:, self.continuous], np.column_stack(
                [table[self.columns[j]].to_numpy(dtype=np.float64)[order] for j in self.continuous]))
        self.cardinality = np.array([int(self.codes[:, j].max()) + 1 for j in range(len(self.columns))], dtype=np.int64)
        # number of distinct values present (the artefact's per-column domain size for FIXED values)
        self.domain_sizes = np.array([len(np.unique(self.codes[:, j])) for j in range(len(self.columns))], dtype=np.int64)

    # -- time ----------------------------------------------------------------
    @property
    def time_range(self) -> int:
        return int(self.times[-1] - self.times[0])

    # -- values --------------------------------------------------------------
    def column_index(self, name: str) -> int:
        try:
            return self.columns.index(name)
        except ValueError:
            raise ValueError(f"flowchronicle pattern: unknown column {name!r}; columns are {self.columns}") from None

    def encode_value(self, col: int, value) -> int:
        """Code of a raw value (continuous: its bin), or ValueError naming the column."""
        name = self.columns[col]
        if col in self.continuous:
            x = float(value)
            if x == 0:
                return 0
            edges = self.edges[col]
            if len(edges) < 2:
                raise ValueError(f"flowchronicle pattern: column {name!r} has no non-zero bins for value {value!r}")
            b = int(np.searchsorted(edges[1:], x, side="left")) + 1
            return min(b, len(edges) - 1)
        vals = self.values[col]
        key = str(value) if vals.dtype.kind in "UO" else value
        if vals.dtype.kind in "iu":
            key = int(float(value))
        elif vals.dtype.kind == "f":
            key = float(value)
        idx = np.searchsorted(vals, key)
        if idx >= len(vals) or vals[idx] != key:
            raise ValueError(f"flowchronicle pattern: value {value!r} never occurs in column {name!r}")
        return int(idx)

    def value_text(self, col: int, code: int) -> str:
        if col in self.continuous:
            if code == 0:
                return "0"
            e = self.edges[col]
            return f"({_num(e[code - 1])},{_num(e[code])}]"
        return str(self.values[col][code])

    def spec_value(self, col: int, code: int):
        """A raw value that encodes back to ``code`` (bin midpoint for continuous columns)."""
        if col in self.continuous:
            if code == 0:
                return 0
            e = self.edges[col]
            return float(e[code]) if code == 1 else float((e[code - 1] + e[code]) / 2)
        v = self.values[col][code]
        return v.item() if hasattr(v, "item") else v

    # -- decoding ------------------------------------------------------------
    def decode(self, codes: np.ndarray, times_units: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
        """Codes (m x columns) and float times (10 ms units) -> a table with the training columns/dtypes."""
        out: dict[str, object] = {}
        ts = (self.t0_ns + np.round(np.asarray(times_units, dtype=np.float64) * TIME_UNIT_NS)).astype(np.int64)
        out[self.timestamp] = ts.astype("datetime64[ns]")
        for j, col in enumerate(self.columns):
            c = codes[:, j]
            if j in self.continuous:
                edges = self.edges[j]
                x = np.zeros(len(c), dtype=np.float64)
                nz = c > 0
                if nz.any():
                    x[nz] = rng.uniform(edges[c[nz] - 1], edges[c[nz]])
                    if getattr(self, "decode_mode", "uniform") in ("empirical", "joint"):
                        values, starts = self.bin_values[j]
                        lo, hi = starts[c[nz]], starts[c[nz] + 1]
                        pick = lo + np.floor(rng.random(int(nz.sum())) * (hi - lo)).astype(np.int64)
                        filled = hi > lo                   # an empty bin keeps its uniform draw
                        x[np.flatnonzero(nz)[filled]] = values[pick[filled]]
                out[col] = x
            else:
                out[col] = self.values[j][c]
        if getattr(self, "joint", None) is not None:
            names = [self.columns[j] for j in self.continuous]
            filled = self.joint.fill(codes[:, self.continuous], np.column_stack([out[c] for c in names]), rng)
            for i, c in enumerate(names):
                out[c] = filled[:, i]
        for j in self.continuous:
            if self.dtypes[self.columns[j]] == "int64":
                out[self.columns[j]] = np.round(out[self.columns[j]])
        frame = pd.DataFrame(out)
        cols = [self.timestamp] + self.columns
        ordered = [c for c in self.dtypes]          # training column order
        frame = frame[ordered] if set(ordered) == set(cols) else frame
        for col, dt in self.dtypes.items():
            if dt == "object":
                frame[col] = frame[col].astype(str).astype(object)
            else:
                frame[col] = frame[col].astype(dt)
        return frame


def _num(x: float) -> str:
    return f"{x:.6g}"


def _quantile_bins(v: np.ndarray, n_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Codes (0 for zeros, 1..B for quantile bins of the non-zero values) and the B+1 bin edges."""
    codes = np.zeros(len(v), dtype=np.int64)
    nz = v != 0
    if not nz.any():
        return codes, np.array([0.0])
    x = v[nz]
    if len(np.unique(x)) == 1:
        codes[nz] = 1
        return codes, np.array([x[0], x[0]], dtype=np.float64)
    binned, edges = pd.qcut(x, n_bins, labels=False, retbins=True, duplicates="drop")
    codes[nz] = np.asarray(binned, dtype=np.int64) + 1
    return codes, np.asarray(edges, dtype=np.float64)

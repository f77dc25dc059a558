"""Property tests (hypothesis) of every flow metric on small CIDDS-bidirectional tables.

Tables: schema CIDDS_BI, 20-80 rows, a handful of IPs/ports/flags/protocols,
non-negative counts, timestamps (ms) within one day. Some continuous columns
are forced constant (PCD's NaN -> 0 rule), and the duplicate-prone strategy
repeats a few base rows so that rows occur up to many times (prdc's r_i = 0
rule). Runs derandomized with few examples so that CI is stable and fast.

Properties:
- identical real and synthetic: JSD = CMD = PCD = EMD = EMD-W1 = ACF = LagCorr = 0;
- Density/Coverage on identical tables, stated exactly (k = 5, metrics.md
  "Density and Coverage"): a row with multiplicity c (count of identical rows,
  itself included) has r_i = 0 when c > k, so it is never covered and counts no
  point (nothing is strictly closer than 0); with c <= k its own copy in the
  synthetic table is at distance 0 < r_i. Hence Coverage = fraction of rows
  with c <= k, and sum_{c_i <= k} c_i / (k n) <= Density <= Coverage. Without
  duplicate rows: Coverage = 1 and 1/k <= Density <= 1 (Density = 1 exactly
  when no real point has another point tied at its k-th-neighbour distance);
- every metric is invariant to the row order of real, synthetic and holdout;
- every value lies within the metric's declared ``bounds``;
- a missing value (NaN, None, NaT) in any input raises a ValueError naming the
  column; it never becomes a silent NaN.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from secgen_bench import registry  # noqa: E402
from secgen_bench.datasets.schemas import CIDDS_BI  # noqa: E402

K = 5
DAY = pd.Timestamp("2017-04-05")
MS_PER_DAY = 86_400_000
PROTOS = ["TCP", "UDP", "ICMP"]
SRC_IPS = ["192.168.100.5", "192.168.220.16", "192.168.210.5", "10008_251"]
DST_IPS = ["192.168.100.5", "DNS", "16375_60", "192.168.220.255", "10008_251"]
PORTS = [0, 53, 80, 137, 443, 445, 5353]
FLAGS = ["......", ".A....", ".AP.SF", ".A..S.", ".AP..."]

# utility (labelled flows) and detectability (2+ distinct flows per table) metrics: tests/test_metrics_utility.py
FLOW_METRICS = sorted(n for n in registry.metrics.names()
                      if getattr(registry.metrics.peek(n), "track", "flows") == "flows"
                      and getattr(registry.metrics.peek(n), "family", "fidelity") in ("fidelity", "privacy"))
# No shrinking phase: a failure is reported as drawn (shrinking these tables can take minutes).
PROPERTY = settings(max_examples=12, deadline=None, derandomize=True, database=None,
                    phases=(Phase.explicit, Phase.reuse, Phase.generate),
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def metric(name):
    return registry.metrics.get(name)()


@st.composite
def base_rows(draw, n: int, unique_times: bool) -> pd.DataFrame:
    """``n`` rows; each column drawn from a small pool so that ties and repeats are common."""
    def column(values):
        pool = draw(st.lists(st.sampled_from(values), min_size=1, max_size=len(values), unique=True))
        return draw(st.lists(st.sampled_from(pool), min_size=n, max_size=n))

    def counts(high):
        if draw(st.booleans()):  # sometimes constant: PCD's NaN correlation -> 0 rule
            return [draw(st.integers(0, high))] * n
        return draw(st.lists(st.integers(0, high), min_size=n, max_size=n))

    ms = draw(st.lists(st.integers(0, MS_PER_DAY - 1), min_size=n, max_size=n, unique=unique_times))
    table = pd.DataFrame({
        "Date first seen": DAY + pd.to_timedelta(ms, unit="ms"),
        "Proto": column(PROTOS),
        "Src IP Addr": column(SRC_IPS),
        "Dst IP Addr": column(DST_IPS),
        "Dst Pt": column(PORTS),
        "In Byte": counts(10**6),
        "Out Byte": counts(10**6),
        "In Packet": counts(1000),
        "Out Packet": counts(1000),
        "Duration": [v / 1000 for v in counts(10**6)],
        "Flags": column(FLAGS),
    })
    return table


@st.composite
def cidds_tables(draw, min_rows: int = 20, max_rows: int = 80, duplicates: bool = True) -> pd.DataFrame:
    """A valid CIDDS_BI table. ``duplicates``: rows repeat a few base rows (multiplicities up to ~n);
    otherwise every row is distinct (distinct timestamps)."""
    n = draw(st.integers(min_rows, max_rows))
    if duplicates and draw(st.booleans()):
        base = draw(base_rows(draw(st.integers(2, 12)), unique_times=False))
        pick = draw(st.lists(st.integers(0, len(base) - 1), min_size=n, max_size=n))
        table = base.iloc[pick].reset_index(drop=True)
    else:
        table = draw(base_rows(n, unique_times=not duplicates))
    return CIDDS_BI.validate(table, "hypothesis table")


def permuted(draw, table: pd.DataFrame) -> pd.DataFrame:
    order = draw(st.permutations(list(range(len(table)))))
    return table.iloc[order].reset_index(drop=True)


def value(name: str, real, synthetic, holdout=None) -> float:
    m = metric(name)
    if "holdout" in m.inputs and holdout is None:
        holdout = real
    return m(real, synthetic, CIDDS_BI, holdout=holdout, seed=3).value


# Temporal metrics need enough time series (ACF: 3 seconds; lagcorr: more than lags + 2 flows);
# below that they raise this documented ValueError instead of returning a number.
TOO_SHORT = ("need at least 3 seconds", "needs more than")
TEMPORAL = ("acf", "lagcorr", "acf-diff", "lstm-next-flow")


def outcome(name: str, real, synthetic, holdout=None) -> float | str:
    """The value, or the message of the temporal metrics' documented too-little-data error."""
    try:
        return value(name, real, synthetic, holdout)
    except ValueError as exc:
        if name in TEMPORAL and any(t in str(exc) for t in TOO_SHORT):
            return str(exc)
        raise


def multiplicity(table: pd.DataFrame) -> np.ndarray:
    """For each row, how many rows of the table are identical to it (itself included)."""
    return table.groupby(list(table.columns), sort=False)[table.columns[0]].transform("size").to_numpy()


# ---- identical real and synthetic -------------------------------------------------------------
@PROPERTY
@given(st.data())
def test_identical_tables_score_zero_distance(data):
    real = data.draw(cidds_tables())
    shuffled = permuted(data.draw, real)
    for name in ("jsd", "cmd", "pcd", "emd", "emd-w1", "acf", "lagcorr"):
        same = outcome(name, real, real)
        if isinstance(same, str):  # too short a series for a temporal metric: the error, whatever the order
            assert outcome(name, real, shuffled) == same
            continue
        assert same == 0.0, name
        assert outcome(name, real, shuffled) == pytest.approx(0.0, abs=1e-12), name


@PROPERTY
@given(st.data())
def test_identical_tables_density_and_coverage_with_duplicates(data):
    real = data.draw(cidds_tables(duplicates=True))
    synthetic = permuted(data.draw, real)
    c = multiplicity(real)
    beatable = c <= K  # c > K: r_i = 0 (prdc's rule, kept by metrics.md), nothing is strictly closer
    density, coverage = value("density", real, synthetic), value("coverage", real, synthetic)
    assert coverage == pytest.approx(beatable.mean(), abs=1e-15)
    assert c[beatable].sum() / (K * len(real)) - 1e-12 <= density <= coverage + 1e-12


@PROPERTY
@given(st.data())
def test_identical_tables_without_duplicates_cover_fully(data):
    real = data.draw(cidds_tables(duplicates=False))
    assert multiplicity(real).max() == 1
    synthetic = permuted(data.draw, real)
    assert value("coverage", real, synthetic) == 1.0
    density = value("density", real, synthetic)
    assert 1.0 / K - 1e-12 <= density <= 1.0 + 1e-12


# ---- row order, bounds ------------------------------------------------------------------------
@PROPERTY
@given(st.data())
def test_every_metric_is_invariant_to_row_order(data):
    real, synthetic, holdout = (data.draw(cidds_tables()) for _ in range(3))
    real2, synthetic2, holdout2 = (permuted(data.draw, t) for t in (real, synthetic, holdout))
    for name in FLOW_METRICS:
        before = outcome(name, real, synthetic, holdout)
        after = outcome(name, real2, synthetic2, holdout2)
        if isinstance(before, str):
            assert after == before, name
        else:
            assert after == pytest.approx(before, rel=1e-12, abs=1e-12), name


@PROPERTY
@given(st.data())
def test_values_stay_within_declared_bounds(data):
    real, synthetic, holdout = (data.draw(cidds_tables()) for _ in range(3))
    for name in FLOW_METRICS:
        lo, hi = metric(name).bounds
        v = outcome(name, real, synthetic, holdout)
        if isinstance(v, str):
            continue
        assert math.isfinite(v) and lo <= v <= hi, (name, v)


# ---- missing values ---------------------------------------------------------------------------
def _with_missing(table: pd.DataFrame, column: str, row: int) -> pd.DataFrame:
    out = table.copy()
    if column == "Date first seen":
        out[column] = out[column].astype("datetime64[ns]")
        out.loc[row, column] = pd.NaT
    elif out[column].dtype == object:
        out.loc[row, column] = None if row % 2 else np.nan
    else:
        out[column] = out[column].astype("float64")
        out.loc[row, column] = np.nan
    return out


@PROPERTY
@given(st.data())
def test_missing_value_raises_naming_the_column(data):
    tables = {"real": data.draw(cidds_tables()), "synthetic": data.draw(cidds_tables()),
              "holdout": data.draw(cidds_tables())}
    which = data.draw(st.sampled_from(sorted(tables)))
    column = data.draw(st.sampled_from(CIDDS_BI.names))
    row = data.draw(st.integers(0, len(tables[which]) - 1))
    tables[which] = _with_missing(tables[which], column, row)
    for name in FLOW_METRICS:
        m = metric(name)
        reads = which in m.inputs and column in columns_read(name)
        try:
            v = m(tables["real"], tables["synthetic"], CIDDS_BI, holdout=tables["holdout"], seed=0).value
        except ValueError as exc:  # SchemaError is a ValueError
            msg = str(exc)
            if name in TEMPORAL and any(t in msg for t in TOO_SHORT) and not reads:
                continue  # too short a series, whatever the missing value
            assert column in msg and which in msg, (name, msg)
            assert reads or (name.startswith("dkc") and which in m.inputs), (name, msg)
            continue
        # no error: the metric did not read the broken column, and its value is a number
        assert not reads, (name, which, column)
        assert math.isfinite(v), (name, which, column)


def columns_read(name: str) -> set[str]:
    """The columns a metric reads, by its definition (DKC: only those its rules name, so None = unknown)."""
    if name.startswith("dkc"):
        return set()  # rule slots: raises when it reads the column, else must stay finite
    if name in ("jsd", "cmd"):
        return set(CIDDS_BI.discrete)
    if name in ("pcd", "emd", "emd-w1"):
        return set(CIDDS_BI.continuous)
    if name == "lstm-next-flow":
        return {CIDDS_BI.timestamp, *CIDDS_BI.discrete}
    if name in TEMPORAL:
        return {CIDDS_BI.timestamp, *CIDDS_BI.continuous}
    return set(CIDDS_BI.names)  # density, coverage, md, md-binned: every feature column

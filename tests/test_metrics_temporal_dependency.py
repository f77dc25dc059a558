"""FlowChronicle sec. 7.4 metrics: acf-diff on the spec's worked example, lstm-next-flow's protocol."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from secgen_bench.datasets.schemas import CIDDS_BI
from secgen_bench.schema import Column, FlowSchema, Role
from secgen_bench.metrics.acf_diff import ACFDiff, acf_difference, bartlett_lags, biased_acf

T0 = pd.Timestamp("2017-03-15 00:00:00")
A, B = "192.168.100.5", "192.168.200.8"

# temporal_dependency.md, "Worked example": (t, src, inB, outB, inP, outP, dur)
REAL = [(0.10, A, 900, 200, 6, 4, 0.5), (0.40, B, 80, 120, 1, 1, 0), (0.90, A, 300, 150, 3, 2, 1.7),
        (1.20, B, 70, 110, 1, 1, 0), (1.80, A, 40, 60, 1, 1, 0.2),
        (2.05, A, 800, 250, 5, 4, 2.4), (2.50, B, 90, 100, 1, 1, 0), (2.95, A, 350, 140, 3, 2, 0.9),
        (4.10, A, 950, 300, 7, 5, 3.1), (4.30, B, 60, 130, 1, 1, 0), (4.70, A, 250, 120, 2, 2, 1.2),
        (5.60, B, 100, 90, 1, 1, 0)]
GENERATED = [(0.30, A, 500, 200, 4, 3, 1.1), (0.70, A, 90, 100, 1, 1, 0),
             (1.10, A, 600, 180, 4, 3, 0.4), (1.90, B, 80, 110, 1, 1, 0),
             (2.20, B, 450, 210, 3, 3, 2.2), (2.60, A, 70, 100, 1, 1, 0),
             (3.40, A, 700, 190, 5, 4, 1.5), (4.50, A, 60, 120, 1, 4, 0),
             (5.20, B, 300, 160, 2, 3, 0.3), (5.80, B, 90, 100, 1, 1, 0),
             (6.50, A, 400, 200, 3, 3, 1.0), (7.10, A, 50, 100, 1, 1, 0)]
EXPECTED = {"In Byte": 0.129212, "Out Byte": 0.178888, "In Packet": 0.144052, "Out Packet": 0.305113,
            "Duration": 0.0}


def example_table(rows) -> pd.DataFrame:
    t, src, ib, ob, ip, op, dur = zip(*rows)
    n = len(rows)
    return CIDDS_BI.validate(pd.DataFrame({
        "Date first seen": T0 + pd.to_timedelta(np.array(t), unit="s"), "Proto": ["TCP"] * n,
        "Src IP Addr": list(src), "Dst IP Addr": [B if s == A else A for s in src], "Dst Pt": [80] * n,
        "In Byte": ib, "Out Byte": ob, "In Packet": ip, "Out Packet": op, "Duration": dur, "Flags": [".A...."] * n,
    }))


def exact_expected() -> dict[str, float]:
    """The worked example's five scores from its per-second series, by the spec's formulas written out."""
    real = {"In Byte": [1280, 110, 1240, 0, 1260, 100], "Out Byte": [470, 170, 490, 0, 550, 90],
            "In Packet": [10, 2, 9, 0, 10, 1], "Out Packet": [7, 2, 7, 0, 8, 1], "Duration": [1, 0, 2, 0, 4, 0]}
    gen = {"In Byte": [590, 680, 520, 700, 60, 390], "Out Byte": [300, 290, 310, 190, 120, 260],
           "In Packet": [5, 5, 4, 5, 1, 3], "Out Packet": [4, 4, 4, 4, 4, 4], "Duration": [1, 0, 2, 1, 0, 0]}
    out = {}
    for c in real:
        r, s = np.array(real[c], float), np.array(gen[c], float)
        n = len(r)

        def rho(x, k):
            d = x - x.mean()
            den = (d * d).sum()
            return np.nan if den == 0 else (d[: n - k] * d[k:]).sum() / den

        rr = [rho(r, k) for k in range(n)]
        ss = [0.0 if np.isnan(rho(s, k)) else rho(s, k) for k in range(n)]
        h = [0.0, 1.959963984540054 / np.sqrt(n)] + [
            1.959963984540054 * np.sqrt((1 + 2 * sum(rr[j] ** 2 for j in range(1, k))) / n) for k in range(2, n)]
        out[c] = sum(abs(rr[k] - ss[k]) for k in range(n) if abs(rr[k]) >= h[k]) / n
    return out


def test_acf_diff_matches_the_worked_example():
    res = ACFDiff()(example_table(REAL), example_table(GENERATED), CIDDS_BI)
    exact = exact_expected()
    assert res.breakdown["seconds"] == 6.0
    for column, printed in EXPECTED.items():
        assert res.breakdown[column] == pytest.approx(exact[column], abs=1e-12), column
        assert res.breakdown[column] == pytest.approx(printed, abs=5e-7), column  # the spec's printed digits
    assert res.breakdown["In Byte/significant_lags"] == 2.0 and res.breakdown["Duration/significant_lags"] == 1.0
    assert res.value == pytest.approx(np.mean(list(exact.values())), abs=1e-12)


def test_acf_diff_matches_statsmodels_acf_and_bartlett_band():
    st = pytest.importorskip("statsmodels.tsa.stattools")
    import warnings

    x = np.random.default_rng(0).poisson(3, 500).astype(float) + np.sin(np.arange(500) / 5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref, ci = st.acf(x, nlags=499, alpha=0.05, fft=True, bartlett_confint=True)
    ours = biased_acf(x)
    assert ours == pytest.approx(ref, abs=1e-12)
    assert list(bartlett_lags(ours, 500)) == list(np.flatnonzero(ci[:, 0] * ci[:, 1] >= 0))


def test_constant_series_rules():
    vary = np.array([3.0, 0, 5, 1, 4, 0, 2])
    score, lags = acf_difference(vary, np.full(7, 4.0))  # constant synthetic: rho_S = 0, lag 0 costs 1
    assert lags >= 1 and score >= 1 / 7
    assert acf_difference(np.full(7, 2.0), vary) == (0.0, 0)  # constant real: no significant lag


def test_identical_tables_score_zero_and_order_does_not_matter():
    real = example_table(REAL)
    assert ACFDiff()(real, real, CIDDS_BI).value == 0.0
    shuffled = example_table(GENERATED).sample(frac=1, random_state=0).reset_index(drop=True)
    assert ACFDiff()(real, shuffled, CIDDS_BI).value == ACFDiff()(real, example_table(GENERATED), CIDDS_BI).value


def test_acf_diff_refuses_disjoint_spans_and_scores_long_ones_on_their_overlap():
    real = example_table(REAL)
    later = real.copy()
    later["Date first seen"] += pd.Timedelta(days=1)
    with pytest.raises(ValueError, match="share 0 second"):
        ACFDiff()(real, later, CIDDS_BI)
    # Only the overlap is laid out per second: a synthetic table spanning 40 days around it is scored,
    # and what lies outside the overlap does not move the number.
    far = pd.concat([real, real.assign(**{"Date first seen": real["Date first seen"] + pd.Timedelta(days=40)})],
                    ignore_index=True)
    res = ACFDiff()(real, far, CIDDS_BI)
    assert res.breakdown["seconds"] == ACFDiff()(real, real, CIDDS_BI).breakdown["seconds"]
    assert res.value == ACFDiff()(real, real, CIDDS_BI).value


# ---- lstm-next-flow -----------------------------------------------------------------------------
from secgen_bench.metrics.lstm_next_flow import (GRIDS, Grid, LSTMNextFlow, accuracy_gap,  # noqa: E402
                                                 paper_categorical_columns, time_ordered_text)


class MostFrequentSuccessor:
    """The spec's deterministic stand-in: the last symbol's most frequent successor (ties: smaller label)."""

    def __init__(self, vocabulary: int):
        self.v = vocabulary

    def fit(self, x, y):
        counts = np.zeros((self.v, self.v))
        np.add.at(counts, (x[:, -1].numpy(), y.numpy()), 1)
        self.rule = counts.argmax(axis=1)  # argmax takes the first (smaller) label on ties

    def predict(self, x):
        import torch

        return torch.from_numpy(self.rule[x[:, -1].numpy()])


def test_plumbing_matches_the_worked_example_with_the_stand_in():
    seq = (lambda s: np.array(s.split(), dtype=object))
    real, generated, evaluation = seq("A B A B A A B A A B A B"), seq("A A A B B A A A B B A A"), seq(
        "A A B A B A A B A B A B")
    acc_r, acc_g = accuracy_gap(real, generated, evaluation, 2, MostFrequentSuccessor)
    assert (acc_r, acc_g) == (0.9, 0.5)
    assert abs(acc_r - acc_g) == pytest.approx(0.4)


def test_columns_and_time_order_follow_the_paper():
    assert paper_categorical_columns(CIDDS_BI) == {"Proto": "Proto", "Src IP Addr": "Src IP Addr",
                                                   "Dst IP Addr": "Dst IP Addr", "Dst Pt": "Dst Pt",
                                                   "Flags": "Flags"}
    t = pd.DataFrame({"ts": pd.to_datetime(["2017-01-01 00:00:02", "2017-01-01 00:00:01", "2017-01-01 00:00:01"]),
                      "p": [" UDP", "TCP  ", "ICMP"]})
    assert list(time_ordered_text(t, "ts", "p", strip=True)) == ["ICMP", "TCP", "UDP"]
    assert GRIDS["paper"] == Grid((500, 400, 300), (256, 128, 64), 7)


PORTS = FlowSchema("ports", (Column("ts", Role.TIMESTAMP), Column("port", Role.PORT)))


def _port_cycle(n: int, cycle) -> pd.DataFrame:
    """One flow every 1.5 s whose destination port repeats ``cycle``."""
    return PORTS.validate(pd.DataFrame({"ts": T0 + pd.to_timedelta(np.arange(n) * 1.5, unit="s"),
                                        "port": np.array(cycle)[np.arange(n) % len(cycle)]}))


def test_lstm_gap_is_seeded_and_sees_a_changed_sequence_structure():
    real, holdout = _port_cycle(150, [80, 443, 53]), _port_cycle(150, [80, 443, 53])
    metric = LSTMNextFlow(grid=Grid((16,), (4,), 100))  # 100 epochs: one batch per epoch on these few windows
    good = metric(real, _port_cycle(150, [80, 443, 53]), PORTS, holdout=holdout, seed=1)
    reversed_cycle = metric(real, _port_cycle(150, [80, 53, 443]), PORTS, holdout=holdout, seed=1)
    again = metric(real, _port_cycle(150, [80, 53, 443]), PORTS, holdout=holdout, seed=1)
    assert reversed_cycle.value == again.value and reversed_cycle.breakdown == again.breakdown
    assert list(good.breakdown) == ["configurations", "Dst Pt", "Dst Pt/acc_real", "Dst Pt/acc_synthetic"]
    assert good.breakdown["Dst Pt/acc_real"] == 1.0 and good.value == 0.0
    assert reversed_cycle.breakdown["Dst Pt/acc_real"] == 1.0 and reversed_cycle.value > 0.2


def test_lstm_reference_row_splits_the_holdout_and_short_tables_are_refused():
    real, holdout = _port_cycle(120, [80, 443, 53]), _port_cycle(120, [80, 443, 53])
    metric = LSTMNextFlow(grid=Grid((8,), (4,), 1))
    assert 0.0 <= metric(real, holdout, PORTS, holdout=holdout).value <= 1.0
    with pytest.raises(ValueError, match="the synthetic table needs more than 4 flows for windows of 4, got 4"):
        metric(real, holdout.head(9), PORTS, holdout=holdout.head(9))  # the Reference's halves: 4 and 5 flows
    with pytest.raises(ValueError, match="lstm-next-flow: the synthetic table needs more than 16 flows"):
        LSTMNextFlow()(real, real.head(12), PORTS, holdout=holdout)
    with pytest.raises(ValueError, match="needs a holdout"):
        LSTMNextFlow()(real, real, PORTS)
    with pytest.raises(ValueError, match="unknown profile"):
        LSTMNextFlow(profile="huge")


def test_new_metrics_are_registered_opt_in_and_kept_out_of_the_average_rank():
    from secgen_bench import registry
    from secgen_bench.runner.refs import metric_refs

    for name in ("acf-diff", "lstm-next-flow"):
        cls = registry.metrics.get(name)
        assert cls.track == "flows" and cls.in_average_rank is False and cls.default is False
    default_set = {m.name for m, _ in metric_refs(None, "flows")}
    assert "acf" in default_set and not default_set & {"acf-diff", "lstm-next-flow"}
    assert {m.name for m, _ in metric_refs(["lstm-next-flow"], "flows")} == {"lstm-next-flow"}

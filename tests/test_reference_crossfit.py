"""The Reference row of metrics that train on the synthetic table and test on the holdout is cross-fitted."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from secgen_bench.evaluation import LabelInputs, evaluate
from secgen_bench.metrics.base import Direction, Metric, MetricResult
from secgen_bench.metrics.crossfit import halves
from secgen_bench.metrics.ids_tstr import IDSTSTR
from secgen_bench.metrics.ids_utility import IDSUtility
from tests.ids_tables import NO_LABEL, SCHEMA, attacks, benign


class HoldoutSeenInTraining(Metric):
    """Share of the test (holdout) rows that the metric's training table (synthetic) also holds: a leak detector."""

    name = "holdout-seen"
    direction = Direction.LOWER
    inputs = frozenset({"real", "synthetic", "holdout"})
    tests_on_holdout = True

    def compute(self, real, synthetic, schema, *, holdout=None, seed=0):
        seen = set(map(tuple, synthetic.astype(str).to_numpy()))
        return MetricResult(float(np.mean([tuple(r) in seen for r in holdout.astype(str).to_numpy()])),
                            {"test_rows": len(holdout)})


class NotCrossFitted(HoldoutSeenInTraining):
    name = "holdout-seen-plain"
    tests_on_holdout = False


def test_halves_are_disjoint_cover_the_holdout_and_split_each_class_evenly():
    table = benign(101, 0).assign(label=np.where(np.arange(101) % 10 == 0, "rare", "benign"))
    a, b = halves(table, "label", seed=3)
    assert len(np.intersect1d(a, b)) == 0 and sorted(np.r_[a, b]) == list(range(101))
    for cls in ("benign", "rare"):
        rows = np.flatnonzero(table["label"].to_numpy() == cls)
        assert abs(len(np.intersect1d(a, rows)) - len(np.intersect1d(b, rows))) <= 1
    assert all((x == y).all() for x, y in zip(halves(table, "label", 3), (a, b)))
    assert not (halves(table, "label", 4)[0].tolist() == a.tolist())


def test_the_reference_row_never_tests_on_its_own_training_rows():
    real, hold = (t.drop(columns="label") for t in (benign(200, 0), benign(120, 1)))
    out = evaluate(real, hold, NO_LABEL, [HoldoutSeenInTraining(), NotCrossFitted()], holdout=hold,
                   synthetic_is_holdout=True, seed=0)
    assert out["holdout-seen-plain"].mean == 1.0       # the leak the cross-fit removes
    assert out["holdout-seen"].mean == 0.0
    assert out["holdout-seen"].breakdown["test_rows"] == 60
    assert out["holdout-seen"].breakdown["reference_crossfit_folds"] == 2
    # a generator's row is scored as before: the whole holdout is the test set
    gen = evaluate(real, benign(120, 2).drop(columns="label"), NO_LABEL, [HoldoutSeenInTraining()], holdout=hold, seed=0)
    assert gen["holdout-seen"].breakdown["test_rows"] == 120


def test_ids_metrics_reference_row_is_cross_fitted_and_near_one():
    real, hold, att = benign(300, 0), benign(200, 1), attacks(80, 2)
    features = [c for c in SCHEMA.names if c != "label"]
    labelled_real = pd.concat([real, att.iloc[:40]], ignore_index=True)
    labelled_hold = pd.concat([hold, att.iloc[40:]], ignore_index=True)
    labels = LabelInputs(SCHEMA, attacks=att, real=labelled_real, holdout=labelled_hold)
    out = evaluate(real[features], hold[features], NO_LABEL, [IDSUtility(), IDSTSTR()], holdout=hold[features],
                   synthetic_is_holdout=True, seed=0, labels=labels)
    for name in ("ids-utility", "ids-tstr"):
        assert out[name].error is None, out[name].error
        assert out[name].breakdown["reference_crossfit_folds"] == 2
        assert 0.8 < out[name].mean < 1.2, (name, out[name].mean)
    assert out["ids-utility"].breakdown["test_benign"] == pytest.approx(100)

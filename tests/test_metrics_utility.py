"""ids-utility, ids-tstr and c2st on constructed flows; the attacks= contract of Metric.__call__."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from secgen_bench.metrics.c2st import C2ST
from secgen_bench.metrics.density_coverage import Density
from secgen_bench.metrics.ids_tstr import IDSTSTR
from secgen_bench.metrics.ids_utility import IDSUtility, auc_and_tpr
from tests.ids_tables import NO_LABEL, SCHEMA, SERVICES, attacks, benign, noise_like

N = 500


@pytest.fixture(scope="module")
def tables():
    real, hold = benign(N, 0), benign(N, 1)
    return real, hold, attacks(200, 2), noise_like(real, N, 3)


def test_ids_utility_of_real_against_itself_is_one(tables):
    real, hold, att, _ = tables
    res = IDSUtility()(real, real.copy(), SCHEMA, holdout=hold, attacks=att, seed=0)
    assert res.value == pytest.approx(1.0, abs=1e-12)
    for det in ("isolation-forest", "knn", "autoencoder"):
        assert res.breakdown[f"{det}_auc_real"] > 0.8  # the constructed attacks are detectable
        assert 0.0 <= res.breakdown[f"{det}_tpr1_real"] <= 1.0


def test_ids_utility_of_noise_is_well_below_one(tables):
    real, hold, att, noise = tables
    assert IDSUtility()(real, noise, SCHEMA, holdout=hold, attacks=att, seed=0).value < 0.7
    fresh = IDSUtility()(real, benign(N, 9), SCHEMA, holdout=hold, attacks=att, seed=0).value
    assert fresh > 0.9  # new flows from the real distribution serve the detectors as well


def test_ids_utility_is_deterministic_for_a_seed(tables):
    real, hold, att, noise = tables
    a = IDSUtility()(real, noise, SCHEMA, holdout=hold, attacks=att, seed=5)
    b = IDSUtility()(real, noise, SCHEMA, holdout=hold, attacks=att, seed=5)
    assert a.value == b.value and a.breakdown == b.breakdown


def test_ids_utility_needs_labelled_attack_flows(tables):
    real, hold, att, noise = tables
    with pytest.raises(ValueError, match="needs labelled attack flows: none were given"):
        IDSUtility()(real, noise, SCHEMA, holdout=hold, seed=0)
    unlabelled = [t.drop(columns="label") for t in (real, noise, hold, att)]
    with pytest.raises(ValueError, match="needs labelled attack flows: dataset 'ids-toy-unlabelled' has no label column"):
        IDSUtility()(unlabelled[0], unlabelled[1], NO_LABEL, holdout=unlabelled[2], attacks=unlabelled[3], seed=0)


def test_existing_metrics_never_see_the_attacks_keyword(tables):
    real, hold, att, _ = tables
    assert Density()(real, hold, SCHEMA, attacks=att).value == Density()(real, hold, SCHEMA).value


def test_tpr_at_one_percent_fpr():
    y = np.r_[np.zeros(100, int), np.ones(10, int)]
    # benign scores 0..99; nine attacks above them all, one at 97.5 (caught only from FPR 0.03 on)
    score = np.r_[np.arange(100.0), 97.5, 100 + np.arange(9.0)]
    auc, tpr = auc_and_tpr(y, score)
    assert tpr == pytest.approx(0.9) and auc == pytest.approx((9 * 100 + 98) / 1000)


def _classes(n: int, seed: int) -> pd.DataFrame:
    """Three services, labelled by service: cleanly separable by destination, port and sizes."""
    t = benign(n, seed)
    names = {s[0]: f"svc{i}" for i, s in enumerate(SERVICES)}
    return t.assign(label=t["dst"].map(names))


def test_tstr_is_one_on_clean_classes_and_low_with_shuffled_labels():
    real, hold, synth = _classes(N, 0), _classes(N, 1), _classes(N, 2)
    good = IDSTSTR()(real, synth, SCHEMA, holdout=hold, seed=0)
    assert good.breakdown["f1_real"] > 0.99 and good.value == pytest.approx(1.0, abs=0.02)
    shuffled = synth.assign(label=np.random.default_rng(0).permutation(synth["label"].to_numpy()))
    assert IDSTSTR()(real, shuffled, SCHEMA, holdout=hold, seed=0).value < 0.6


def test_tstr_needs_labels_and_several_classes():
    real, hold = _classes(N, 0), _classes(N, 1)
    with pytest.raises(ValueError, match="needs labelled flows: dataset 'ids-toy-unlabelled' has no label column"):
        IDSTSTR()(real.drop(columns="label"), hold.drop(columns="label"), NO_LABEL, holdout=hold, seed=0)
    with pytest.raises(ValueError, match="several classes"):
        IDSTSTR()(real.assign(label="benign"), hold, SCHEMA, holdout=hold, seed=0)
    with pytest.raises(ValueError, match="synthetic table has no label column"):
        IDSTSTR()(real, hold.drop(columns="label"), SCHEMA, holdout=hold, seed=0)


def test_c2st_noise_is_separable_and_real_is_not(tables):
    real, hold, _, noise = tables
    assert C2ST()(real, noise, SCHEMA, seed=0).value > 0.9
    same = C2ST()(real, hold, SCHEMA, seed=0)
    assert abs(same.breakdown["auc"] - 0.5) < 0.1 and same.value < 0.2
    copy = C2ST()(real, real.copy(), SCHEMA, seed=0)  # copies share folds: nothing to learn
    assert copy.breakdown["auc"] == pytest.approx(0.5) and copy.value == pytest.approx(0.0)


def test_c2st_is_deterministic_for_a_seed(tables):
    real, hold, _, _ = tables
    assert C2ST()(real, hold, SCHEMA, seed=4).breakdown == C2ST()(real, hold, SCHEMA, seed=4).breakdown


def _shuffled(table: pd.DataFrame, seed: int) -> pd.DataFrame:
    return table.iloc[np.random.default_rng(seed).permutation(len(table))].reset_index(drop=True)


def test_row_order_cannot_change_a_value(tables):
    real, hold, att, noise = tables
    synth = benign(60, 8).sample(N, replace=True, random_state=0).reset_index(drop=True)  # many ties
    a = IDSUtility()(real, synth, SCHEMA, holdout=hold, attacks=att, seed=1)
    b = IDSUtility()(_shuffled(real, 1), _shuffled(synth, 2), SCHEMA, holdout=_shuffled(hold, 3),
                     attacks=_shuffled(att, 4), seed=1)
    assert a.value == b.value and a.breakdown == b.breakdown
    c, d = C2ST()(real, synth, SCHEMA, seed=1), C2ST()(_shuffled(real, 5), _shuffled(synth, 6), SCHEMA, seed=1)
    assert c.value == d.value and c.breakdown == d.breakdown
    lab, lab_hold = _classes(N, 0), _classes(N, 1)
    e = IDSTSTR()(lab, lab_hold, SCHEMA, holdout=lab_hold, seed=1)
    f = IDSTSTR()(_shuffled(lab, 7), _shuffled(lab_hold, 8), SCHEMA, holdout=lab_hold, seed=1)
    assert e.value == f.value and e.breakdown == f.breakdown


def test_c2st_on_few_distinct_flows(tables):
    real, _, _, _ = tables
    few = real.iloc[[0, 1, 2] * 20].reset_index(drop=True)  # 3 distinct flows: 3 folds
    assert 0.0 <= C2ST()(real, few, SCHEMA, seed=0).value <= 1.0
    with pytest.raises(ValueError, match="needs at least 2 distinct flows in each table"):
        C2ST()(real, real.iloc[[0] * 30].reset_index(drop=True), SCHEMA, seed=0)


def test_on_real_cicids2017_flows(shared_data):
    """Real CIC-IDS2017 flows: fresh benign flows serve the detectors like the training flows, and the
    classifier cannot tell them apart; columns shuffled independently are told apart at once."""
    from secgen_bench.schema import Column, FlowSchema, Role

    path = shared_data / "ids" / "cicids2017" / "cicids2017_cleaned_sample.csv"
    if not path.exists():
        pytest.skip(f"{path} absent")
    label = "Attack Type"
    df = pd.read_csv(path).replace([np.inf, -np.inf], np.nan).dropna()
    features = [c for c in df.columns if c != label]
    df[features] = df[features].astype(float)
    schema = FlowSchema("cicids2017", tuple([Column(c, Role.CONTINUOUS) for c in features] + [Column(label, Role.LABEL)]))
    benign_rows = df[df[label] == "Normal Traffic"].sample(frac=1, random_state=0).reset_index(drop=True)
    att = df[df[label] != "Normal Traffic"].sample(500, random_state=0).reset_index(drop=True)
    real, hold, fresh = (benign_rows.iloc[i * 1000:(i + 1) * 1000].reset_index(drop=True) for i in range(3))
    rng = np.random.default_rng(0)
    shuffled = pd.DataFrame({c: rng.permutation(real[c].to_numpy()) for c in real.columns})
    good = IDSUtility()(real, fresh, schema, holdout=hold, attacks=att, seed=0)
    assert good.breakdown["autoencoder_auc_real"] > 0.8 and 0.9 < good.value < 1.1
    assert C2ST()(real, fresh, schema, seed=0).value < 0.15
    assert C2ST()(real, shuffled, schema, seed=0).value > 0.9

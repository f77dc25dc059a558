"""Anomaly track: evaluation math on hand cases; detectors on a toy log language."""
import importlib.util

import numpy as np
import pandas as pd
import pytest

from secgen_bench.anomaly import DETECTORS, load_detector
from secgen_bench.anomaly.evaluate import auroc, best_threshold, evaluate_scores
from secgen_bench.schema import Column, FlowSchema, Role

HDFS = FlowSchema("hdfs", (Column("block_id", Role.SEQUENCE_ID), Column("event", Role.CATEGORICAL),
                           Column("delay", Role.DURATION), Column("label", Role.LABEL)))


def test_auroc_hand_cases():
    assert auroc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) == pytest.approx(0.75)
    assert auroc([1, 2, 3, 4], [0, 0, 1, 1]) == 1.0
    assert auroc([4, 3, 2, 1], [0, 0, 1, 1]) == 0.0
    assert auroc([5, 5, 5, 5], [0, 1, 0, 1]) == 0.5                 # ties count half
    with pytest.raises(ValueError, match="both classes"):
        auroc([1, 2], [1, 1])


def test_threshold_maximising_youden():
    # thresholds 0.8 -> (TPR .5, FPR 0), 0.4 -> (.5, .5), 0.35 -> (1, .5), 0.1 -> (1, 1): J ties at .5, lowest kept
    res = best_threshold([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])
    assert res == pytest.approx({"threshold": 0.35, "TPR": 1.0, "FPR": 0.5, "F1": 0.8})
    res = best_threshold([0.1, 0.2, 0.9, 0.95, 0.3], [0, 0, 1, 1, 0])
    assert res["TPR"] == 1.0 and res["FPR"] == 0.0 and res["F1"] == 1.0 and res["threshold"] == 0.9


def test_evaluate_scores_aligns_series_by_id():
    scores = pd.Series([0.9, 0.1, 0.2], index=["a", "b", "c"])
    labels = pd.Series([False, True, False], index=["b", "a", "c"])
    out = evaluate_scores(scores, labels)
    assert out["AUROC"] == 1.0 and out["n_anomalies"] == 1 and out["n_normal"] == 2


def toy_logs(n, seed, anomalous=False):
    """Sessions 'open (read|write)+ close' with 1..4 body events; anomalies drop the close or insert 'crash'."""
    rng = np.random.default_rng(seed)
    rows = []
    for k in range(n):
        body = list(rng.choice(["read", "write"], size=int(rng.integers(1, 5))))
        events = ["open", *body, "close"]
        if anomalous:
            if k % 2:
                events = events[:-1]
            else:
                events.insert(int(rng.integers(1, len(events))), "crash")
        rows += [(f"{'a' if anomalous else 'n'}{seed}-{k}", e, 0.0, "anomaly" if anomalous else "normal")
                 for e in events]
    return pd.DataFrame(rows, columns=HDFS.names)


@pytest.fixture(scope="module")
def toy_split():
    train = toy_logs(200, seed=0)
    test = pd.concat([toy_logs(100, seed=1), toy_logs(12, seed=2, anomalous=True)], ignore_index=True)
    labels = test.groupby("block_id", sort=False)["label"].first().eq("anomaly")
    return train, test, labels


@pytest.mark.parametrize("name", list(DETECTORS))
def test_detectors_score_every_sequence(name, toy_split):
    cls = load_detector(name)
    if any(importlib.util.find_spec(r) is None for r in getattr(cls, "requires", ())):
        pytest.skip(f"{name} needs {cls.requires}")
    train, test, labels = toy_split
    det = cls().fit(train, HDFS, seed=0)
    scores = det.score(test)
    assert list(scores.index) == list(labels.index) and np.isfinite(scores).all()
    res = evaluate_scores(scores, labels)
    assert res["AUROC"] > 0.5
    if name in ("tadam", "tag", "rti+"):          # automata reject every toy anomaly and accept the normal words
        assert res["AUROC"] > 0.95 and res["TPR"] == 1.0


def test_tadam_noise_score_separates_toy_anomalies(toy_split):
    train, test, labels = toy_split
    det = load_detector("tadam")(method="noise").fit(train, HDFS, seed=0)
    assert evaluate_scores(det.score(test), labels)["AUROC"] > 0.95


def test_detector_errors():
    with pytest.raises(RuntimeError, match="before fit"):
        load_detector("tag")().score(toy_logs(2, 0))
    with pytest.raises(ValueError, match="unknown detector"):
        load_detector("nope")
    with pytest.raises(ValueError, match="method"):
        load_detector("tadam")(method="nope")

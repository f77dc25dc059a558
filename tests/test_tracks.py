"""The tracks registry and the job spec the driver sends to a job's process."""
import json

import pytest

from secgen_bench.datasets.loading import DatasetSource
from secgen_bench.errors import RunError
from secgen_bench.runner.plan import MetricRef
from secgen_bench.runner.spec import JobSpec
from secgen_bench.tracks import track_named, track_names, track_of


def spec(**kw):
    values = dict(job_key="copycat--tiny--s0--abc", track="flows", generator="copycat",
                  generator_target="tests.plugins:Copycat", profile="quick", seed=3, device="cpu",
                  data_dir="/run/data/tiny-1", job_dir="/run/jobs/copycat--tiny--s0--abc", n_synthetic=140,
                  unit="rows", reference=False, reuse_output=True, repeats=2, sample_size=None,
                  holdout_fraction=0.3, overrides={"epochs": 2},
                  metrics=(MetricRef("jsd", "secgen_bench.metrics.jsd:JSD", "1", "lower"),))
    values.update(kw)
    return JobSpec(**values)


def test_job_spec_survives_json():
    original = spec()
    again = JobSpec.from_dict(json.loads(json.dumps(original.to_dict())))
    assert again == original and isinstance(again.metrics[0], MetricRef)


def test_job_spec_refuses_an_unknown_key():
    data = spec().to_dict()
    data["colour"] = "red"
    with pytest.raises(ValueError, match="unknown key 'colour'"):
        JobSpec.from_dict(data)


def test_each_track_is_found_by_name_and_by_dataset():
    assert {"flows", "packets", "anomaly"} <= set(track_names())
    assert track_of(DatasetSource("hdfs")).name == "anomaly"
    assert track_of(DatasetSource("simnet")).name == "flows"
    assert track_of(DatasetSource(path="flows.csv")).name == "flows"
    assert track_of(DatasetSource("pcap"), "packets").name == "packets"
    anomaly = track_named("anomaly")
    assert not anomaly.reference_row and anomaly.keeps_labels and anomaly.plugin_kind == "detectors"
    assert track_named("flows").reference_row and not track_named("flows").keeps_labels
    with pytest.raises(RunError, match="unknown track 'music'"):
        track_named("music")


def test_the_anomaly_track_names_its_own_metrics():
    names = [m.name for m, _ in track_named("anomaly").metric_refs(None)]
    assert names == ["auroc", "tpr", "fpr", "f1"]
    with pytest.raises(RunError, match="unknown anomaly-track metric 'jsd'"):
        track_named("anomaly").metric_refs(["jsd"])

"""Honest budgets: the GANs stop on their stated criterion or on the profile's cap, and row caps are recorded."""
from __future__ import annotations

import json

import numpy as np
import pytest

from secgen_bench.generators.common.early_stopping import (MIN_HELD_OUT, Patience, held_out_split,
                                                          sliced_wasserstein)
from tests.tiny_tables import TINY_SCHEMA, tiny_flows

EWGAN = {"ip2vec_epochs": 1, "hidden": 32, "layers": 2, "batch_size": 16}
NETSHARE = {"val_fraction": 0.2, "ip2vec_epochs": 1, "meta_hidden": 16, "rnn_hidden": 16, "d_hidden": 32, "batch_size": 16, "max_len": 4}


def test_sliced_wasserstein_is_zero_on_the_same_rows_and_grows_with_a_shift():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((500, 3))
    assert sliced_wasserstein(a, a) == 0.0
    near, far = sliced_wasserstein(a, a + 0.5), sliced_wasserstein(a, a + 2.0)
    assert 0 < near < far and far == pytest.approx(4 * near)
    assert sliced_wasserstein(a, a[::2] + 2.0) == pytest.approx(far, rel=0.1), "sizes may differ"


def test_patience_stops_after_that_many_evaluations_without_a_gain():
    p = Patience(2)
    assert [p.update(v) for v in (5.0, 4.0, 4.0, 3.0, 3.5, 3.2)] == [False] * 5 + [True]
    assert p.best == 3.0 and p.best_index == 3 and not p.improved
    tiny_gain = Patience(1)
    assert [tiny_gain.update(v) for v in (4.0, 3.9999)] == [False, True], "a gain under 0.1% is no gain"


def test_held_out_split_is_seeded_disjoint_and_off_for_tiny_tables():
    train, held = held_out_split(1000, 0.1, seed=3)
    assert len(held) == 100 and not set(train) & set(held) and len(train) + len(held) == 1000
    assert np.array_equal(held, held_out_split(1000, 0.1, seed=3)[1])
    assert len(held_out_split(10 * MIN_HELD_OUT - 1, 0.1, seed=0)[1]) == 0


@pytest.mark.parametrize("name, options, units, cap", [
    ("ewgan-gp", {**EWGAN, "iterations": 400, "eval_every": 5}, "steps", "iterations"),
    ("netshare", {**NETSHARE, "epochs": 60, "eval_every": 1}, "epochs", "epochs"),
])
def test_gan_stops_before_the_cap_when_its_criterion_holds(name, options, units, cap):
    from secgen_bench import registry

    gen = registry.generators.get(name)(patience=1, **options).fit(tiny_flows(400), TINY_SCHEMA, seed=0)
    b = gen.budget_
    assert b.units == units and b.cap == options[cap] and "sliced Wasserstein" in b.criterion
    assert b.converged and b.stopped == "converged" and b.done < b.cap
    distances = b.details["distances"]
    assert distances[-1] >= min(distances[:-1]) * (1 - 1e-3), "it stopped on a value that was no better"


def test_a_higher_cap_changes_nothing_when_training_stops_before_the_old_one():
    from secgen_bench.generators.ewgan_gp import EWGANGP

    fits = [EWGANGP(patience=1, eval_every=5, iterations=cap, **EWGAN).fit(tiny_flows(400), TINY_SCHEMA, seed=1)
            for cap in (300, 600)]
    assert fits[0].budget_.converged and fits[0].budget_.done == fits[1].budget_.done
    assert fits[0].sample(50, seed=2).equals(fits[1].sample(50, seed=2)), "evaluations leave the training alone"


@pytest.mark.parametrize("name, options, cap", [
    ("ewgan-gp", {**EWGAN, "iterations": 30, "eval_every": 5}, "iterations"),
    ("netshare", {**NETSHARE, "epochs": 4, "eval_every": 1}, "epochs"),
])
def test_gan_trains_to_the_cap_and_is_not_converged_when_the_criterion_cannot_hold(name, options, cap):
    from secgen_bench import registry

    # more patience than evaluations: the rule can never fire, so the cap ends training
    gen = registry.generators.get(name)(patience=50, **options).fit(tiny_flows(400), TINY_SCHEMA, seed=0)
    b = gen.budget_
    assert not b.converged and b.stopped == "cap" and b.done == options[cap] == b.cap
    assert "early stopping" in b.criterion and len(b.details["distances"]) >= 4


@pytest.mark.parametrize("name, options", [("ewgan-gp", {**EWGAN, "iterations": 20}),
                                           ("netshare", {**NETSHARE, "epochs": 3})])
def test_quick_profile_trains_its_fixed_length_on_every_row(name, options):
    from secgen_bench import registry

    cls = registry.generators.get(name)
    assert cls.PROFILES["quick"]["patience"] == cls.PROFILES["paper"]["patience"] == 0
    b = cls(profile="quick", **options).fit(tiny_flows(400), TINY_SCHEMA, seed=0).budget_
    assert b.stopped == "cap" and "plateau" in b.criterion and b.done == options.get("iterations", options.get("epochs"))


@pytest.mark.parametrize("name, options", [
    ("independent-bn", {"max_train_rows": 150}),
    ("sequence-bn", {"max_train_rows": 150}),
    ("ctgan", {"max_train_rows": 150, "epochs": 1, "batch_size": 50}),
])
def test_generators_that_cap_rows_record_rows_used_and_offered(name, options):
    from secgen_bench import registry

    cls = registry.generators.get(name)
    capped = cls(profile="quick", **options).fit(tiny_flows(400), TINY_SCHEMA, seed=0).training_rows_
    assert capped == {"used": 150, "offered": 400, "cap": 150}
    free = cls(profile="quick", **{**options, "max_train_rows": 0}).fit(tiny_flows(400), TINY_SCHEMA, seed=0)
    assert free.training_rows_ == {"used": 400, "offered": 400, "cap": None}


def test_a_binding_row_cap_reaches_job_json_and_the_budget_column(tmp_path):
    from secgen_bench.cli import main

    out = tmp_path / "run"
    code = main(["run", "-g", "independent-bn", "-d", "simnet", "--quick", "--out", str(out), "--no-progress",
                 "--metrics", "jsd", "--seeds", "0", "--no-cache", "--set", "independent-bn.max_train_rows=300"])
    assert code == 0
    jobs = {j["generator"]["name"]: j for j in (json.loads(p.read_text()) for p in out.glob("jobs/*/job.json"))}
    rows = jobs["independent-bn"]["training_rows"]
    assert rows["used"] == rows["cap"] == 300 and rows["offered"] > 300
    assert "training_rows" not in jobs["reference"]
    info = json.loads((out / "leaderboard.json").read_text())[0]["info"]["independent-bn"]
    assert info["training_rows"]["capped"] and info["training_rows"]["text"] == f"rows 300/{rows['offered']:,}"
    assert f"rows 300/{rows['offered']:,}" in (out / "leaderboard.md").read_text()


def test_a_reused_cached_sample_keeps_the_budget_and_rows_of_the_fit_that_made_it(tmp_path):
    from secgen_bench.runner.samples import cache_sample, cached_making_of

    job = tmp_path / "job"
    job.mkdir()
    (job / "synthetic.csv").write_text("a\n1\n")
    budget = {"units": "steps", "done": 1200, "cap": 4000, "converged": True}
    rows = {"used": 300, "offered": 1050, "cap": 300}
    (job / "job.json").write_text(json.dumps({"timings": {"fit_s": 2.0}, "resources": {}, "budget": budget,
                                              "training_rows": rows}))
    cache_sample("budget-test-key", job)
    making = cached_making_of("budget-test-key")
    assert making["budget"] == budget and making["training_rows"] == rows and making["timings"]["fit_s"] == 2.0

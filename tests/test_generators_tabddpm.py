"""TabDDPM: the multinomial posterior against Bayes' rule, contract, determinism, persistence, budget, bad options."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")

from secgen_bench.config import ConfigError  # noqa: E402
from secgen_bench.generators.base import check_sample  # noqa: E402
from secgen_bench.generators.tabddpm import TabDDPM, diffusion  # noqa: E402
from tests.generator_fixtures import (assert_save_load_round_trip, assert_untimed_fit_and_empty_sample,  # noqa: E402
                                     tiny_fit_is_deterministic)
from tests.tiny_tables import TINY_SCHEMA, tiny_flows  # noqa: E402

TINY = {"timesteps": 10, "iterations": 20, "width": 32, "batch_size": 32}


def test_multinomial_posterior_is_bayes_rule():
    """q(x_{t-1} | x_t, x_0) from the closed form equals the brute-force product of the two transition kernels."""
    sizes = [3, 2]
    layout = diffusion.Layout(0, sizes, "cpu")
    sched = diffusion.Schedule.cosine(20, "cpu")
    rng = np.random.default_rng(0)
    x0 = torch.as_tensor(np.column_stack([rng.integers(0, k, 8) for k in sizes]))
    xt = torch.as_tensor(np.column_stack([rng.integers(0, k, 8) for k in sizes]))
    t = torch.as_tensor([0, 1, 5, 19, 3, 10, 0, 7])
    got = diffusion.posterior(layout, sched, layout.log_onehot(x0), layout.log_onehot(xt), t).exp().numpy()
    for r in range(8):
        step = int(t[r])
        alpha, ab_prev = float(sched.alpha[step]), float(sched.ab_prev[step])
        start = 0
        for j, k in enumerate(sizes):
            if step == 0:
                want = np.eye(k)[int(x0[r, j])]
            else:
                to_xt = alpha * (np.arange(k) == int(xt[r, j])) + (1 - alpha) / k           # q(x_t | x_{t-1} = .)
                from_x0 = ab_prev * (np.arange(k) == int(x0[r, j])) + (1 - ab_prev) / k    # q(x_{t-1} = . | x_0)
                want = to_xt * from_x0 / (to_xt * from_x0).sum()
            np.testing.assert_allclose(got[r, start:start + k], want, atol=1e-5)
            start += k


def test_cosine_schedule_runs_from_almost_clean_to_almost_pure_noise():
    sched = diffusion.Schedule.cosine(100, "cpu")
    ab = sched.ab.numpy()
    assert ab[0] > 0.99 and ab[-1] < 1e-3 and np.all(np.diff(ab) < 0)
    assert float(sched.ab_prev[0]) == 1.0


def test_training_lowers_the_loss_and_learns_which_port_goes_with_which_protocol():
    table = tiny_flows(400)
    gen = TabDDPM(profile="quick", iterations=600, timesteps=50).fit(table, TINY_SCHEMA, seed=0)
    losses = np.asarray(gen.loss_history_)
    assert np.isfinite(losses).all() and losses[-60:].mean() < 0.8 * losses[:60].mean()
    sample = gen.sample(600, seed=1)
    check_sample(sample, 600, gen.columns_, gen.dtypes_, TINY_SCHEMA)
    TINY_SCHEMA.validate(sample)
    # in the training flows UDP always goes to port 53 and TCP never does; independent columns would give
    # P(53 | UDP) = P(53) = 0.36
    udp = sample[sample["proto"] == "UDP"]
    assert len(udp) > 50 and (udp["dport"] == 53).mean() > 0.6
    assert set(sample["dst"]) <= set(table["dst"]) and set(sample["flags"]) <= set(table["flags"])
    for col in ("bytes", "packets", "dur", "ts"):
        assert table[col].min() <= sample[col].min() and sample[col].max() <= table[col].max(), col
    assert sample["ts"].is_monotonic_increasing


def test_fit_is_deterministic_for_a_seed_and_another_seed_differs():
    tiny_fit_is_deterministic(TabDDPM, TINY)


def test_no_timestamp_schema_and_empty_sample():
    assert_untimed_fit_and_empty_sample(TabDDPM, TINY)


def test_numeric_only_and_categorical_only_tables_fit_and_sample():
    table = tiny_flows(60)
    for keep, name in ((["bytes", "dur", "ts"], "numeric"), (["proto", "src", "dport"], "categorical")):
        schema = TINY_SCHEMA.select(keep, name=f"tiny-{name}")
        gen = TabDDPM(profile="quick", **TINY).fit(table[schema.names], schema, seed=0)
        check_sample(gen.sample(30, seed=0), 30, gen.columns_, gen.dtypes_, schema)


def test_save_load_round_trip(tmp_path):
    assert_save_load_round_trip(TabDDPM, TINY, tmp_path / "model")


def test_budget_record_counts_iterations_against_the_papers_setting():
    gen = TabDDPM(profile="quick", **TINY).fit(tiny_flows(60), TINY_SCHEMA, seed=0)
    b = gen.budget_.to_dict()
    assert b["units"] == "iterations" and b["done"] == 20 and b["cap"] == 20 and b["paper"] == 30000
    assert b["stopped"] == "cap" and "plateau" in b["criterion"]


def test_category_cap_maps_rare_values_to_other_and_decodes_them_to_rare_training_values():
    table = tiny_flows(400)
    gen = TabDDPM(profile="quick", max_categories=3, **TINY).fit(table, TINY_SCHEMA, seed=0)
    assert gen.codecs_["dst"].cardinality == 4 and gen.sizes_[gen.categorical_.index("dst")] == 4
    assert set(gen.sample(200, seed=0)["dst"]) <= set(table["dst"])


def test_profiles_differ_in_size_and_paper_states_the_published_setting():
    quick, default, paper = (TabDDPM(profile=p).config for p in ("quick", "default", "paper"))
    assert quick.iterations < default.iterations < paper.iterations
    assert (paper.timesteps, paper.layers, paper.width, paper.lr, paper.batch_size) == (1000, 2, 256, 1e-3, 4096)
    assert paper.max_categories == 0


@pytest.mark.parametrize("bad", [{"timesteps": 0}, {"lr": 0.0}, {"dropout": 1.0}, {"max_categories": -1},
                                 {"no_such_option": 1}])
def test_invalid_config_is_rejected(bad):
    with pytest.raises(ConfigError):
        TabDDPM(profile="quick", **bad)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_fits_and_samples_on_cuda():
    gen = TabDDPM(profile="quick", device="cuda", **TINY).fit(tiny_flows(60), TINY_SCHEMA, seed=0)
    assert next(gen.denoiser_.parameters()).is_cuda
    sample = gen.sample(50, seed=0)
    check_sample(sample, 50, gen.columns_, gen.dtypes_, TINY_SCHEMA)
    pd.testing.assert_frame_equal(sample, gen.sample(50, seed=0))

"""TVAE and CTGAN through SDV: contract, value ranges, seeding, persistence, configuration."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from secgen_bench.config import ConfigError
from secgen_bench.datasets.schemas import CIDDS_BI
from secgen_bench.generators.base import check_sample
from secgen_bench.generators.sdv_synthesizers import CTGAN, TVAE
from tests.generator_fixtures import real_2000
from tests.test_generators_bn import _check_ranges
from tests.tiny_tables import TINY_SCHEMA, tiny_flows

pytest.importorskip("sdv")

GENERATORS = [TVAE, CTGAN]
TINY = {"epochs": 2, "batch_size": 100}


@pytest.fixture(scope="module")
def tiny():
    return tiny_flows(300)


@pytest.fixture(scope="module")
def fitted(tiny):
    return {cls: cls(profile="quick", **TINY).fit(tiny, TINY_SCHEMA, seed=0) for cls in GENERATORS}


@pytest.mark.parametrize("cls", GENERATORS)
def test_tiny_contract_ranges_and_seeds(cls, fitted, tiny):
    gen = fitted[cls]
    s = gen.sample(150, seed=1)
    check_sample(s, 150, gen.columns_, gen.dtypes_, TINY_SCHEMA, who=cls.name)
    _check_ranges(s, tiny, TINY_SCHEMA)
    pd.testing.assert_frame_equal(s, gen.sample(150, seed=1))
    assert not s.equals(gen.sample(150, seed=2))
    assert len(gen.sample(0, seed=0)) == 0


@pytest.mark.parametrize("cls", GENERATORS)
def test_sampling_leaves_global_rngs_alone(cls, fitted):
    import torch

    threads = torch.get_num_threads()
    np.random.seed(123)
    expected = np.random.random()
    np.random.seed(123)
    fitted[cls].sample(20, seed=0)
    assert np.random.random() == expected
    assert torch.get_num_threads() == threads


@pytest.mark.parametrize("cls", GENERATORS)
def test_same_seed_same_model(cls, fitted, tiny):
    again = cls(profile="quick", **TINY).fit(tiny, TINY_SCHEMA, seed=0)
    pd.testing.assert_frame_equal(again.sample(100, seed=7), fitted[cls].sample(100, seed=7))


@pytest.mark.parametrize("cls", GENERATORS)
def test_save_load_round_trip(cls, fitted, tmp_path):
    path = tmp_path / f"{cls.name}.pkl"
    fitted[cls].save(path)
    pd.testing.assert_frame_equal(cls.load(path).sample(80, seed=3), fitted[cls].sample(80, seed=3))


def test_rare_categories_go_through_other_token(tiny):
    gen = TVAE(profile="quick", max_categories=3, **TINY).fit(tiny, TINY_SCHEMA, seed=0)
    assert "dst" in gen.category_codecs_               # 150+ destination IPs > 3
    s = gen.sample(300, seed=0)
    assert "__secgen_other__" not in set(s["dst"])
    assert set(s["dst"]) <= set(tiny["dst"])


@pytest.mark.parametrize("cls", GENERATORS)
def test_real_cidds_fit_sample(cls):
    real = real_2000()
    gen = cls(profile="quick").fit(real, CIDDS_BI, seed=0)
    s = gen.sample(500, seed=0)
    check_sample(s, 500, gen.columns_, gen.dtypes_, CIDDS_BI, who=cls.name)
    _check_ranges(s, real, CIDDS_BI)


@pytest.mark.parametrize("cls", GENERATORS)
def test_invalid_config(cls):
    with pytest.raises(ConfigError, match="epochs"):
        cls(epochs=0)
    with pytest.raises(ConfigError, match="unknown option"):
        cls(profile="quick", learning_rate=1)
    with pytest.raises(ConfigError, match="torch_threads"):
        cls(torch_threads=-2)


def test_ctgan_pac_must_divide_batch():
    with pytest.raises(ConfigError, match="pac"):
        CTGAN(batch_size=100, pac=7)


def test_paper_profiles_are_the_artefact_settings():
    for cls in GENERATORS:
        cfg = cls(profile="paper").config
        assert cfg.epochs == 300 and cfg.max_categories == 0 and cfg.max_train_rows == 0
        assert cfg.categorical_threshold == 50

"""Models are saved as data (JSON + npz), never pickled: every built-in round-trips, crafted files are refused."""
from __future__ import annotations

import importlib.util
import json
import zipfile

import numpy as np
import pandas as pd
import pytest

from secgen_bench import registry
from secgen_bench.generators.base import Generator
from secgen_bench.persistence import load_state, save_state
from tests.generator_fixtures import tiny_table

HAS_HMM = importlib.util.find_spec("hmmlearn") is not None

# name -> (options for a fit of a few seconds, which table: "flows" or "packets")
TINY_FITS = {
    "marginals": ({}, "flows"),
    "independent-bn": ({}, "flows"),
    "sequence-bn": ({}, "flows"),
    "tvae": ({"epochs": 1, "batch_size": 50}, "flows"),
    "ctgan": ({"epochs": 1, "batch_size": 50}, "flows"),
    "ewgan-gp": ({"ip2vec_epochs": 1, "hidden": 32, "layers": 2, "iterations": 20, "batch_size": 16}, "flows"),
    "transformer": ({"n_layer": 1, "d_model": 32, "n_head": 2, "train_steps": 30, "context_flows": 3,
                     "batch_size": 8}, "flows"),
    "netshare": ({"ip2vec_epochs": 1, "meta_hidden": 16, "rnn_hidden": 16, "d_hidden": 32, "epochs": 3,
                  "batch_size": 16, "max_len": 4}, "flows"),
    "flowchronicle": ({}, "flows"),
    "tadam": ({}, "packets"),
    "markov-chain": ({}, "packets"),
    "hmm": ({}, "packets"),
    "packet-transformer": ({"train_steps": 30}, "packets"),
}


def _params() -> list:
    skip_hmm = [pytest.mark.skipif(not HAS_HMM, reason="hmmlearn not installed")]
    return [pytest.param(name, marks=skip_hmm if name == "hmm" else [], id=name) for name in TINY_FITS]


def _fit(name: str):
    from tests.test_packets_generators import PACKETS, toy_packets

    options, kind = TINY_FITS[name]
    cls = registry.generators.get(name)
    table, schema = tiny_table(100) if kind == "flows" else (toy_packets(), PACKETS)
    return cls, cls(profile="quick", **options).fit(table, schema, seed=0)


def test_every_builtin_generator_has_a_round_trip_case():
    from secgen_bench import builtins

    assert set(TINY_FITS) == set(builtins.GENERATORS)


@pytest.mark.parametrize("name", _params())
def test_saved_model_samples_the_same(name, tmp_path):
    cls, gen = _fit(name)
    path = tmp_path / "model.sgb"
    gen.save(path)
    with zipfile.ZipFile(path) as zf:
        assert sorted(zf.namelist()) == ["arrays.npz", "state.json"]
    loaded = cls.load(path)
    assert type(loaded) is cls and loaded is not gen
    n = 30 if cls.unit == "sequences" else 60
    pd.testing.assert_frame_equal(loaded.sample(n, seed=4), gen.sample(n, seed=4))

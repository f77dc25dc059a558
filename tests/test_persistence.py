"""Models are saved as data (JSON + npz), never pickled: crafted files are refused (every built-in's round trip
is in the contract suite, tests/test_contract.py)."""
from __future__ import annotations

import json
import zipfile

import numpy as np
import pandas as pd
import pytest

from secgen_bench import registry
from secgen_bench.generators.base import Generator
from secgen_bench.persistence import load_state, save_state
from tests.generator_fixtures import TORCH_TINY_ROWS
from tests.test_contract import fitted
from tests.tiny_tables import TINY_SCHEMA, tiny_flows

# ---- the format itself ----------------------------------------------------------------------------------------
class Holder:
    """A plain object of an allowlisted module (this test module is not one: see the monkeypatch below)."""


@pytest.fixture
def allow_tests(monkeypatch):
    """Let this test module's classes be saved, as a plugin's would be if it were allowlisted."""
    from secgen_bench import persistence

    monkeypatch.setattr(persistence, "ALLOWED_MODULES", persistence.ALLOWED_MODULES + ("tests",))


def test_values_round_trip_with_their_types(tmp_path):
    from secgen_bench.schema import Role

    frame = pd.DataFrame({
        "cat": pd.Categorical(["b", "a", "b"], categories=["b", "a"], ordered=True),
        "ts": pd.to_datetime(["2024-01-01 00:00:00.000000001", "2024-01-02 00:00:00.5", "2024-01-03 00:00:00.0"]),
        "tz": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"]).tz_localize("UTC"),
        "s": ["x", "y", ""], "i": np.array([1, 2, 3], dtype=np.int32), "f": [0.5, np.nan, np.inf],
        "n": pd.array([1, None, 3], dtype="Int64"), "b": [True, False, True],
    }, index=pd.Index([10, 20, 30], name="row"))
    value = {
        "frame": frame, "series": frame["s"].rename("named"), "multi": pd.MultiIndex.from_tuples([("a", 1), ("b", 2)]),
        (1, "tuple key"): {3, 4}, "frozen": frozenset({"p"}), "nested": [1, (2.5, None), {"k": [True]}],
        "scalar": np.float32(1.5), "int64": np.int64(-7), "str_": np.str_("s"), "dtype": np.dtype("<M8[ns]"),
        "catdtype": frame["cat"].dtype, "nan": float("nan"), "inf": float("-inf"), "role": Role.BYTES,
        "objects": np.array(["a", 1, None], dtype=object), "strings": np.array(["a", "b\x00"], dtype=object),
        "matrix": np.arange(6, dtype=np.uint16).reshape(2, 3), "stamp": pd.Timestamp("2024-05-01 12:00", tz="UTC"),
        "delta": pd.Timedelta("1.5s"), "range": range(2, 9, 3), "rng": np.random.default_rng(5),
        "legacy_rng": np.random.RandomState(3), "type": np.float64,
    }
    path = tmp_path / "value.sgb"
    save_state(value, path)
    back = load_state(path, dict)
    pd.testing.assert_frame_equal(back["frame"], frame)
    pd.testing.assert_series_equal(back["series"], value["series"])
    pd.testing.assert_index_equal(back["multi"], value["multi"])
    assert back[(1, "tuple key")] == {3, 4} and back["frozen"] == frozenset({"p"})
    assert back["nested"] == [1, (2.5, None), {"k": [True]}] and type(back["nested"][1]) is tuple
    for key in ("scalar", "int64", "str_"):
        assert type(back[key]) is type(value[key]) and back[key] == value[key]
    assert back["dtype"] == value["dtype"] and back["catdtype"] == value["catdtype"]
    assert np.isnan(back["nan"]) and back["inf"] == float("-inf") and back["role"] is Role.BYTES
    assert list(back["objects"]) == ["a", 1, None] and back["objects"].dtype == object
    assert list(back["strings"]) == ["a", "b\x00"]
    np.testing.assert_array_equal(back["matrix"], value["matrix"])
    assert back["matrix"].dtype == np.uint16
    assert back["stamp"] == value["stamp"] and back["delta"] == value["delta"] and back["range"] == range(2, 9, 3)
    assert back["rng"].random() == np.random.default_rng(5).random()
    assert back["legacy_rng"].rand() == np.random.RandomState(3).rand()
    assert back["type"] is np.float64


def test_torch_modules_and_shared_objects_round_trip(tmp_path, allow_tests):
    torch = pytest.importorskip("torch")
    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2)).double()
    holder = Holder()
    holder.net, holder.same_net, holder.mask = net, net, torch.tensor([True, False])
    holder.half = torch.ones(2, dtype=torch.bfloat16)
    holder.itself = holder
    path = tmp_path / "holder.sgb"
    save_state(holder, path)
    back = load_state(path, Holder)
    assert back.same_net is back.net and back.itself is back
    x = torch.randn(5, 3, dtype=torch.float64)
    assert torch.equal(back.net(x), net(x))
    assert isinstance(back.net[0].weight, torch.nn.Parameter) and back.net[0].weight.requires_grad
    assert back.mask.dtype == torch.bool and back.half.dtype == torch.bfloat16


def test_code_cannot_be_saved_and_the_error_names_the_attribute(tmp_path, allow_tests):
    holder = Holder()
    holder.inner = Holder()
    holder.inner.fn = lambda x: x
    with pytest.raises(TypeError, match=r"Holder\.inner\.fn: cannot save the function"):
        save_state(holder, tmp_path / "x.sgb")
    holder.inner.fn = zipfile.ZipInfo("outside the allowlist")
    with pytest.raises(TypeError, match=r"Holder\.inner\.fn: cannot save a zipfile\.ZipInfo"):
        save_state(holder, tmp_path / "x.sgb")
    assert not (tmp_path / "x.sgb").exists()


def _crafted_state(tmp_path, root) -> str:
    path = tmp_path / "crafted.sgb"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("state.json", json.dumps({"format": "secgen-bench-state", "version": 1, "root": root}))
        buf = __import__("io").BytesIO()
        np.savez(buf)
        zf.writestr("arrays.npz", buf.getvalue())
    return str(path)


@pytest.mark.parametrize("root, message", [
    ({"__object__": {"class": "os:system", "id": 0, "state": {}}}, "module 'os' is not one a model may name"),
    ({"__object__": {"class": "builtins:eval", "id": 0, "state": {}}}, "module 'builtins' is not one"),
    ({"__type__": "subprocess:Popen"}, "module 'subprocess' is not one"),
    ({"__object__": {"class": "numpy:load", "id": 0, "state": {}}}, "'numpy:load': it is a function, not a class"),
    ({"__object__": {"class": "secgen_bench.cli:main", "id": 0, "state": {}}}, "it is a function, not a class"),
    ({"__enum__": ["numpy:ndarray", 1]}, "not an Enum"),
    ({"__type__": "secgen_bench.runner.isolation:subprocess.Popen"}, "that name leads to subprocess.Popen"),
    ({"__reduce__": ["os:system", ["touch x"]]}, "unknown tag '__reduce__'"),
    ({"__faker__": ["../../etc"]}, "unknown faker locale"),
])
def test_crafted_state_naming_code_is_refused(tmp_path, root, message):
    path = _crafted_state(tmp_path, root)
    with pytest.raises(ValueError, match=message) as info:
        load_state(path)
    assert str(info.value).startswith(path) and "\n" not in str(info.value)


def test_a_deeply_nested_state_is_a_damaged_file_not_a_crash(tmp_path):
    path = tmp_path / "deep.sgb"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("state.json", '{"format": "secgen-bench-state", "version": 1, "root": ' + "[" * 100_000
                    + "]" * 100_000 + "}")
        zf.writestr("arrays.npz", b"")
    with pytest.raises(ValueError, match="not a readable secgen-bench model file"):
        load_state(path)


def test_crafted_state_cannot_build_a_class_outside_the_allowlist_through_a_generator(tmp_path):
    root = {"__object__": {"class": "secgen_bench.generators.marginals:IndependentMarginals", "id": 0,
                           "state": {"codec": {"__object__": {"class": "os:_wrap_close", "id": 1, "state": {}}}}}}
    with pytest.raises(ValueError, match="module 'os' is not one a model may name"):
        Generator.load(_crafted_state(tmp_path, root))


def test_other_files_are_refused_with_one_line(tmp_path):
    import pickle

    pickled = tmp_path / "old.pkl"
    pickled.write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(ValueError, match="pickle files are no longer loaded .* generate --save-model"):
        Generator.load(pickled)
    text = tmp_path / "flows.csv"
    text.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="not a secgen-bench model file"):
        Generator.load(text)
    path = tmp_path / "value.sgb"
    save_state({"just": "a dict"}, path)
    with pytest.raises(ValueError, match="holds a dict, not a Generator"):
        Generator.load(path)


def test_a_model_saved_for_a_gpu_loads_on_the_cpu_when_there_is_none(tmp_path):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU: the model would go back onto it")
    gen = fitted("transformer")
    cls = type(gen)
    gen.device = "cuda"              # as if fitted on a GPU: its modules are saved as CPU arrays either way
    gen.save(tmp_path / "gpu.sgb")
    gen.device = "cpu"
    loaded = cls.load(tmp_path / "gpu.sgb")
    assert loaded.device == "cpu" and next(loaded.model_.parameters()).device.type == "cpu"
    pd.testing.assert_frame_equal(loaded.sample(20, seed=1), gen.sample(20, seed=1))


def test_a_plugin_saves_its_own_classes_and_only_it_may_load_them(tmp_path):
    from tests.plugins import Copycat

    table, schema = tiny_flows(TORCH_TINY_ROWS), TINY_SCHEMA
    gen = Copycat(profile="quick").fit(table, schema, seed=0)
    gen.save(tmp_path / "plugin.sgb")
    pd.testing.assert_frame_equal(Copycat.load(tmp_path / "plugin.sgb").sample(20, seed=1), gen.sample(20, seed=1))
    with pytest.raises(ValueError, match="module 'tests.plugins' is not one a model may name"):
        Generator.load(tmp_path / "plugin.sgb")

"""The core install (no torch, no SDV) lists what an extra would bring and still scores with the default metrics.

torch and SDV are hidden in a subprocess by a ``sitecustomize`` that wraps every import finder,
so ``import torch`` fails and ``find_spec("torch")`` is None, as when the package is not
installed. (Setting ``sys.modules["torch"] = None`` instead breaks scipy and scikit-learn,
which look torch up in ``sys.modules`` to recognise tensors.)
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from secgen_bench import registry
from tests.conftest import REPO

HIDE = '''
import sys
HIDDEN = {"torch", "sdv", "ctgan", "rdt", "copulas"}
class _Hidden:
    def __init__(self, finder):
        self.finder = finder
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in HIDDEN:
            return None
        find = getattr(self.finder, "find_spec", None)
        return find(name, path, target) if find else None
    def __getattr__(self, attr):
        return getattr(self.finder, attr)
sys.meta_path[:] = [_Hidden(f) for f in sys.meta_path]
'''


def _run_without_torch(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    hide = tmp_path / "hide"
    hide.mkdir(exist_ok=True)
    (hide / "sitecustomize.py").write_text(HIDE)
    env = dict(os.environ, COLUMNS="250",
               PYTHONPATH=os.pathsep.join([str(hide), str(REPO), os.environ.get("PYTHONPATH", "")]))
    return subprocess.run([sys.executable, "-m", "secgen_bench.cli", *args], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=600)


def test_metrics_that_need_torch_name_the_torch_extra(tmp_path):
    proc = _run_without_torch(tmp_path, "list", "metrics", "--json")
    assert proc.returncode == 0, proc.stderr
    rows = {r["name"]: r for r in json.loads(proc.stdout)}
    for name in ("lstm-next-flow", "ids-utility"):
        assert not rows[name]["available"] and "secgen-bench[torch]" in rows[name]["reason"], rows[name]
    for name in ("density", "coverage", "dcr"):  # the numpy kNN engine stands in for torch
        assert rows[name]["available"], rows[name]


def test_list_generators_names_the_extra_of_each_unavailable_one(tmp_path):
    proc = _run_without_torch(tmp_path, "list", "generators", "--json")
    assert proc.returncode == 0, proc.stderr
    rows = {r["name"]: r for r in json.loads(proc.stdout)}
    for name in ("independent-bn", "sequence-bn", "flowchronicle", "marginals", "smote"):
        assert rows[name]["available"], rows[name]
    for name in ("transformer", "ewgan-gp", "netshare", "packet-transformer", "tabddpm"):
        assert not rows[name]["available"] and "pip install 'secgen-bench[torch]'" in rows[name]["reason"], rows[name]
    for name in ("ctgan", "tvae"):
        assert not rows[name]["available"] and "pip install 'secgen-bench[sdv]'" in rows[name]["reason"], rows[name]
    for row in rows.values():  # no unavailable generator without the extra that brings it
        assert row["available"] or "secgen-bench[" in row["reason"], row
    table = _run_without_torch(tmp_path, "list", "generators")
    assert table.returncode == 0 and "secgen-bench[torch]" in table.stdout and "secgen-bench[sdv]" in table.stdout


def test_evaluate_without_torch_gives_every_default_metric(tmp_path):
    data = registry.datasets.get("simnet")().load(seed=0, profile="quick")
    data.table.iloc[:400].to_csv(tmp_path / "real.csv", index=False)
    data.table.iloc[400:800].to_csv(tmp_path / "synthetic.csv", index=False)
    proc = _run_without_torch(tmp_path, "evaluate", "--real", "real.csv", "--synthetic", "synthetic.csv",
                              "--repeats", "1", "--sample-size", "all", "--json")
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    defaults = [n for n in registry.metrics.names()
                if getattr(registry.metrics.peek(n), "default", True)
                and getattr(registry.metrics.peek(n), "track", "flows") == "flows"
                and "holdout" not in getattr(registry.metrics.peek(n), "inputs", ())
                and "torch" not in getattr(registry.metrics.peek(n), "requires", ())]
    assert {"density", "coverage", "jsd", "emd", "cmd", "pcd", "dkc"} <= set(defaults)
    for name in defaults:
        assert got.get(name) is not None, (name, proc.stderr)


def test_density_coverage_without_torch_equal_the_torch_engine(tmp_path):
    pytest.importorskip("torch")
    data = registry.datasets.get("simnet")().load(seed=0, profile="quick")
    data.table.iloc[:300].to_csv(tmp_path / "real.csv", index=False)
    data.table.iloc[300:600].to_csv(tmp_path / "synthetic.csv", index=False)
    args = ("evaluate", "--real", "real.csv", "--synthetic", "synthetic.csv", "--metrics", "density,coverage",
            "--repeats", "1", "--sample-size", "all", "--json")
    without = _run_without_torch(tmp_path, *args)
    with_torch = subprocess.run([sys.executable, "-m", "secgen_bench.cli", *args], capture_output=True, text=True,
                                cwd=tmp_path, timeout=600,
                                env=dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO),
                                                                                 os.environ.get("PYTHONPATH", "")])))
    assert without.returncode == 0 and with_torch.returncode == 0, (without.stderr, with_torch.stderr)
    assert json.loads(without.stdout) == json.loads(with_torch.stdout)


def test_a_model_with_tensors_needs_the_torch_extra_to_load(tmp_path):
    torch = pytest.importorskip("torch")
    from secgen_bench.persistence import load_state, save_state

    save_state({"weights": torch.arange(3.0)}, tmp_path / "model.zip")
    assert load_state(tmp_path / "model.zip")["weights"].tolist() == [0.0, 1.0, 2.0]
    (tmp_path / "hide").mkdir()
    (tmp_path / "hide" / "sitecustomize.py").write_text(HIDE)
    code = ("from secgen_bench.persistence import load_state\n"
            "try:\n    load_state('model.zip')\nexcept ValueError as exc:\n    print(exc)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=120,
                          env=dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path / "hide"), str(REPO)])))
    assert proc.returncode == 0, proc.stderr
    assert "model.zip: the model holds torch tensors" in proc.stdout and "secgen-bench[torch]" in proc.stdout

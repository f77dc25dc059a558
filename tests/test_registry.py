import subprocess
import sys
import textwrap

import pytest

from secgen_bench import registry
from secgen_bench.registry import PluginUnavailable, Registry, RegistryError


def fresh(group="secgen_bench.generators", builtins=None):
    return Registry("generator", group, lambda: dict(builtins or {}))


def test_builtins_list_without_importing_heavy_stacks():
    code = textwrap.dedent("""
        import sys
        from secgen_bench import registry
        for r in (registry.generators, registry.metrics, registry.datasets):
            rows = r.describe()
            assert rows, r.kind
        heavy = [m for m in ("torch", "pgmpy", "sdv", "ctgan", "ray", "dpkt", "hmmlearn") if m in sys.modules]
        assert not heavy, heavy
    """)
    subprocess.run([sys.executable, "-c", code], check=True)


def test_every_fixed_name_is_registered():
    assert {"flowchronicle", "tadam", "tvae", "ctgan", "ewgan-gp", "transformer", "independent-bn",
            "sequence-bn", "netshare"} <= set(registry.generators.names())
    assert {"simnet", "cidds001", "cidds001-bi", "ugr16", "ctu", "zeek", "pcap", "cesnet-miner22",
            "hdfs"} <= set(registry.datasets.names())
    assert {"density", "coverage", "cmd", "pcd", "emd", "jsd", "dkc", "md"} <= set(registry.metrics.names())


def test_collision_is_an_error():
    r = fresh(builtins={"a": "tests.plugins:Copycat"})
    with pytest.raises(RegistryError, match="'a' is registered twice: by builtin and by decorator"):
        r.register("a", "tests.plugins:Crasher")


def test_failing_plugin_is_listed_unavailable_and_does_not_break_others(tmp_path, monkeypatch):
    (tmp_path / "broken_plugin_mod.py").write_text("raise ImportError('needs libfoo 9')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    r = fresh(builtins={"good": "tests.plugins:Copycat", "bad": "broken_plugin_mod:Thing",
                        "missing-attr": "tests.plugins:NoSuchClass"})
    rows = {row["name"]: row for row in r.describe()}
    assert rows["good"]["available"]
    assert not rows["bad"]["available"] and "needs libfoo 9" in rows["bad"]["reason"]
    assert not rows["missing-attr"]["available"] and "NoSuchClass" in rows["missing-attr"]["reason"]
    with pytest.raises(PluginUnavailable, match="needs libfoo 9"):
        r.get("bad")
    assert r.get("good").name == "copycat"


def test_missing_requirement_is_reported_without_import(tmp_path, monkeypatch):
    (tmp_path / "needs_pkg_mod.py").write_text(
        "class G:\n    requires = ('surely_not_installed_pkg_xyz',)\n    extra = 'xyz'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    r = fresh(builtins={"g": "needs_pkg_mod:G"})
    row = r.describe()[0]
    assert not row["available"]
    assert "missing package 'surely_not_installed_pkg_xyz'" in row["reason"] and "secgen-bench[xyz]" in row["reason"]


def test_unknown_name_lists_known_ones():
    with pytest.raises(RegistryError, match="unknown generator 'nope'; known: .*marginals"):
        registry.generators.get("nope")


def test_decorator_registers_for_notebooks():
    from tests.plugins import IndependentMarginals

    @registry.register_generator("notebook-gen")
    class NotebookGen(IndependentMarginals):
        pass

    try:
        assert registry.generators.get("notebook-gen") is NotebookGen
        assert NotebookGen.name == "marginals"  # an explicit name attribute is kept
        with pytest.raises(RegistryError):
            registry.register_generator("notebook-gen")(NotebookGen)
    finally:
        registry.generators.unregister("notebook-gen")


def test_entry_point_of_an_installed_third_party_package(tmp_path, monkeypatch):
    pkg = tmp_path / "src"
    (pkg / "thirdparty_gen").mkdir(parents=True)
    (pkg / "thirdparty_gen" / "__init__.py").write_text(textwrap.dedent("""
        from secgen_bench.generators.marginals import IndependentMarginals
        class ThirdParty(IndependentMarginals):
            name = "third-party"
    """))
    (pkg / "pyproject.toml").write_text(textwrap.dedent("""
        [build-system]
        requires = ["setuptools"]
        build-backend = "setuptools.build_meta"
        [project]
        name = "thirdparty-gen"
        version = "0.0.1"
        [project.entry-points."secgen_bench.generators"]
        third-party = "thirdparty_gen:ThirdParty"
        marginals = "thirdparty_gen:ThirdParty"
    """))
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    "--target", str(site), str(pkg)], check=True, capture_output=True)
    monkeypatch.syspath_prepend(str(site))
    # the third-party package also claims "marginals": a collision with the built-in
    r = fresh(builtins={})
    names = r.names()
    assert "third-party" in names
    assert r.get("third-party").__name__ == "ThirdParty"
    assert "entry point of thirdparty-gen" in r.entry("third-party").source
    clash = Registry("generator", "secgen_bench.generators", lambda: {"marginals": "x:y"})
    with pytest.raises(RegistryError, match="'marginals' is registered twice"):
        clash.names()

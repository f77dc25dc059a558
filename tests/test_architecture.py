"""The package's import graph, read with ``ast`` (nothing is imported): no cycle, and metrics, the runner and the
core modules never import a generator module.

The generator contract (``secgen_bench.generators.base``: the base class and ``check_sample``) is not a generator:
the runner and the CLI check every sample against it. It must itself import no model module.

Every ``import`` and ``from ... import`` counts, at module level or inside a function; relative imports are
resolved. ``from pkg import name`` is an edge to ``pkg.name`` when that is a module, else to ``pkg``. Only
imports of ``secgen_bench`` itself are kept.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = "secgen_bench"
PACKAGE_DIR = Path(__file__).resolve().parent.parent / PACKAGE

# modules that must know no model: the metrics, the runner, and the core
NO_GENERATORS_UNDER = (f"{PACKAGE}.metrics", f"{PACKAGE}.runner")
CORE = tuple(f"{PACKAGE}.{m}" for m in ("schema", "registry", "config", "leaderboard", "compare", "cli", "errors",
                                         "tables", "evaluation", "cache"))
GENERATORS = f"{PACKAGE}.generators"
CONTRACT = (GENERATORS, f"{GENERATORS}.base")   # the (empty) package and the contract every model follows


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    line: int

    def __str__(self) -> str:
        return f"{self.source} -> {self.target} (line {self.line})"


def module_files(root: Path, package: str) -> dict[str, Path]:
    """Dotted module name -> file, for every ``.py`` under ``root`` (a package ``__init__`` names the package)."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = [package, *path.relative_to(root).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _base_of_relative(module: str, is_package: bool, level: int, name: str | None) -> str:
    """The absolute module a ``from <dots><name> import`` in ``module`` starts from."""
    parts = module.split(".")
    if not is_package:
        parts = parts[:-1]                        # a plain module's dots start at its package
    parts = parts[:len(parts) - (level - 1)] if level > 1 else parts
    return ".".join(parts + ([name] if name else []))


def import_edges(modules: dict[str, Path], package: str) -> list[Edge]:
    """Every import of a module of ``package`` by a module of ``package``, with its line."""
    edges = []
    for module, path in modules.items():
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            targets: list[str] = []   # one edge per (statement, module), however many names it imports
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = (_base_of_relative(module, is_package, node.level, node.module) if node.level
                        else node.module or "")
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    targets.append(sub if sub in modules else base)
            for target in dict.fromkeys(targets):
                while target and target not in modules and "." in target:
                    target = target.rsplit(".", 1)[0]   # ``import pkg.mod.attr``-like names end at a module
                if target in modules and (target == package or target.startswith(package + ".")) \
                        and target != module:
                    edges.append(Edge(module, target, node.lineno))
    return edges


def cycles(edges: list[Edge]) -> list[list[str]]:
    """One cycle (as a closed path of modules) per strongly connected component with more than one module."""
    graph: dict[str, set[str]] = {}
    for e in edges:
        graph.setdefault(e.source, set()).add(e.target)
        graph.setdefault(e.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def strongconnect(v: str) -> None:          # Tarjan; the graph is small, recursion is fine
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                components.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            strongconnect(v)
    return [_cycle_in(comp, graph) for comp in components]


def _cycle_in(component: list[str], graph: dict[str, set[str]]) -> list[str]:
    """A shortest closed path through the component's first module (breadth-first inside the component)."""
    start, inside = component[0], set(component)
    parents = {start: None}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(graph[v] & inside):
                if w == start:
                    path = [v]
                    while parents[path[-1]] is not None:
                        path.append(parents[path[-1]])
                    return [start, *reversed(path[:-1]), start] if len(path) > 1 else [start, v, start]
                if w not in parents:
                    parents[w] = v
                    nxt.append(w)
        frontier = nxt
    raise AssertionError(f"no cycle through {start} in its component")  # a component always has one


def layering_violations(edges: list[Edge]) -> list[Edge]:
    """Imports of a generator module by a metric, runner or core module."""
    def knows_no_model(module: str) -> bool:
        return module in CORE or any(module == p or module.startswith(p + ".") for p in NO_GENERATORS_UNDER)

    return [e for e in edges if knows_no_model(e.source) and is_generator_module(e.target)]


def is_generator_module(module: str) -> bool:
    return module.startswith(GENERATORS + ".") and module not in CONTRACT


@pytest.fixture(scope="module")
def package_edges() -> list[Edge]:
    return import_edges(module_files(PACKAGE_DIR, PACKAGE), PACKAGE)


def test_the_package_has_no_import_cycle(package_edges):
    found = cycles(package_edges)
    assert not found, "import cycles:\n" + "\n".join(" -> ".join(c) for c in found)


def test_metrics_runner_and_core_import_no_generator(package_edges):
    bad = layering_violations(package_edges)
    assert not bad, "modules that must know no model import a generator module:\n" + "\n".join(map(str, bad))


def test_the_generator_contract_imports_no_model(package_edges):
    bad = [e for e in package_edges if e.source in CONTRACT and is_generator_module(e.target)]
    assert not bad, "the generator contract imports a model module:\n" + "\n".join(map(str, bad))


def test_the_core_modules_named_here_exist():
    modules = module_files(PACKAGE_DIR, PACKAGE)
    assert set(CORE) <= set(modules), sorted(set(CORE) - set(modules))
    assert all(any(m.startswith(p + ".") for m in modules) for p in NO_GENERATORS_UNDER)


# ---- the checker itself, on a hand-made package ----------------------------------------------------------------
def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


def test_checker_resolves_relative_and_function_level_imports_and_finds_a_cycle(tmp_path):
    root = tmp_path / "pkg"
    _write(root, {
        "__init__.py": "",
        "core.py": "import os\nfrom pkg.metrics.m import score\n",
        "metrics/__init__.py": "from . import m\n",
        "metrics/m.py": "def score():\n    from ..generators import g\n    return g\n",
        "generators/__init__.py": "",
        "generators/g.py": "from ..core import thing\nfrom pkg.metrics import m as metric_module\n",
    })
    modules = module_files(root, "pkg")
    edges = import_edges(modules, "pkg")
    assert {(e.source, e.target) for e in edges} == {
        ("pkg.core", "pkg.metrics.m"), ("pkg.metrics", "pkg.metrics.m"),
        ("pkg.metrics.m", "pkg.generators.g"), ("pkg.generators.g", "pkg.core"),
        ("pkg.generators.g", "pkg.metrics.m"),
    }
    found = cycles(edges)
    assert len(found) == 1 and found[0][0] == found[0][-1]
    assert set(found[0]) == {"pkg.core", "pkg.metrics.m", "pkg.generators.g"}
    # each step of the printed cycle is a real edge
    pairs = {(e.source, e.target) for e in edges}
    assert all((a, b) in pairs for a, b in zip(found[0], found[0][1:]))


def test_checker_flags_a_metric_importing_a_generator_and_nothing_else(tmp_path):
    root = tmp_path / PACKAGE
    _write(root, {
        "__init__.py": "",
        "schema.py": "",
        "metrics/__init__.py": "",
        "metrics/ok.py": "from secgen_bench.schema import x\nfrom ..generators.base import check_sample\n",
        "metrics/bad.py": "import secgen_bench.generators.tadam.noise\nfrom secgen_bench.generators.tadam.noise import a, b\n",
        "generators/__init__.py": "",
        "generators/base.py": "",
        "generators/tadam/__init__.py": "",
        "generators/tadam/noise.py": "from ...metrics import ok\n",
    })
    edges = import_edges(module_files(root, PACKAGE), PACKAGE)
    bad = layering_violations(edges)
    assert [(e.source, e.target, e.line) for e in bad] == [
        (f"{PACKAGE}.metrics.bad", f"{PACKAGE}.generators.tadam.noise", 1),
        (f"{PACKAGE}.metrics.bad", f"{PACKAGE}.generators.tadam.noise", 2)]
    assert cycles(edges) == []

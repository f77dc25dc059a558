"""Lazy, thread-safe plugin registries for generators, metrics and datasets.

Every plugin, built-in or third-party, is a ``"module:attr"`` target that is
imported only when it is used, so listing plugins never imports torch, pgmpy
or SDV. Built-ins are declared in :mod:`secgen_bench.builtins`; third parties
declare the same kind of target under the entry-point groups
``secgen_bench.generators``, ``secgen_bench.metrics``, ``secgen_bench.datasets``
and ``secgen_bench.detectors`` (anomaly track); notebooks use the ``register_*`` decorators.
A second plugin under a taken name is an error, and so is a name that is not
a safe file-name part (names become job folders and cache files: ``../x``
would write outside them); a plugin that fails to import is listed as
unavailable with the reason and never breaks the others.
"""
from __future__ import annotations

import importlib
import importlib.util
import re
import threading
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any, Callable

from secgen_bench.errors import PluginUnavailable


class RegistryError(ValueError):
    """Name collision, unsafe or unknown plugin name."""


# lower-case letters, digits and ``. _ + -``, starting with a letter or digit; ``+`` for ``rti+``
NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._+-]*")


def check_name(kind: str, name: object, source: str) -> str:
    """``name`` when it is safe as one path part; else a RegistryError naming it and who registered it."""
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name) or ".." in name:
        raise RegistryError(f"{kind} name {name!r} (from {source}) is refused: a name is lower-case letters, "
                            f"digits and '._+-', starts with a letter or digit and has no '..'")
    return name


def import_target(target: str) -> Any:
    """The object a ``"module:attr"`` target names (``attr`` may be dotted; empty means the module)."""
    module_name, _, attr = target.partition(":")
    obj = importlib.import_module(module_name)
    for part in attr.split(".") if attr else []:
        obj = getattr(obj, part)
    return obj


@dataclass
class Entry:
    name: str
    target: str | None          # "module:attr", or None for an object registered directly
    source: str                 # "builtin", "entry-point <dist>", "decorator"
    obj: Any = None
    error: str | None = None

    def load(self, kind: str) -> Any:
        if self.obj is not None:
            return self.obj
        if self.error is not None:
            raise PluginUnavailable(f"{kind} {self.name!r} is unavailable: {self.error}")
        try:
            obj = import_target(self.target)
        except Exception as exc:  # any import-time failure makes the plugin unavailable, not the registry
            self.error = f"{type(exc).__name__}: {exc}".splitlines()[0]
            raise PluginUnavailable(f"{kind} {self.name!r} is unavailable: {self.error}") from exc
        reason = getattr(obj, "unavailable_reason", None) or _missing_requirement(obj)
        if reason:
            self.error = reason
            raise PluginUnavailable(f"{kind} {self.name!r} is unavailable: {reason}")
        self.obj = obj
        return obj


class Registry:
    """Name -> plugin for one kind ("generator", "metric" or "dataset")."""

    def __init__(self, kind: str, group: str, builtins: Callable[[], dict[str, str]]):
        self.kind = kind
        self.group = group
        self._builtins = builtins
        self._entries: dict[str, Entry] = {}
        self._lock = threading.RLock()
        self._discovered = False

    # -- registration ---------------------------------------------------
    def _add(self, entry: Entry) -> None:
        check_name(self.kind, entry.name, entry.source)
        if entry.name in self._entries:
            old = self._entries[entry.name]
            raise RegistryError(
                f"{self.kind} name {entry.name!r} is registered twice: by {old.source} and by {entry.source}"
            )
        self._entries[entry.name] = entry

    def _discover(self) -> None:
        with self._lock:
            if self._discovered:
                return
            self._discovered = True
            for name, target in self._builtins().items():
                self._add(Entry(name, target, "builtin"))
            for ep in entry_points(group=self.group):
                dist = getattr(getattr(ep, "dist", None), "name", "?")
                self._add(Entry(ep.name, ep.value, f"entry point of {dist}"))

    def register(self, name: str, target: Any, *, source: str = "decorator") -> None:
        """Register ``target`` (a ``"module:attr"`` string or the object itself) under ``name``."""
        self._discover()
        with self._lock:
            if isinstance(target, str):
                self._add(Entry(name, target, source))
            else:
                self._add(Entry(name, target_of(target), source, obj=target))

    def unregister(self, name: str) -> None:
        """Remove a plugin registered at run time (tests, notebooks)."""
        with self._lock:
            self._entries.pop(name, None)

    def decorator(self, name: str) -> Callable[[Any], Any]:
        def wrap(obj: Any) -> Any:
            if getattr(obj, "name", None) in (None, "") and isinstance(obj, type):
                obj.name = name
            self.register(name, obj)
            return obj

        return wrap

    # -- lookup ------------------------------------------------------------
    def names(self) -> list[str]:
        self._discover()
        return sorted(self._entries)

    def entry(self, name: str) -> Entry:
        self._discover()
        try:
            return self._entries[name]
        except KeyError:
            known = ", ".join(self.names())
            raise RegistryError(f"unknown {self.kind} {name!r}; known: {known}") from None

    def get(self, name: str) -> Any:
        """The plugin class (imports it now); PluginUnavailable if it cannot load."""
        return self.entry(name).load(self.kind)

    def peek(self, name: str) -> Any:
        """The plugin object even when unavailable (for its declared attributes), or None if it cannot import."""
        e = self.entry(name)
        if e.obj is not None:
            return e.obj
        try:
            return import_target(e.target)
        except Exception:
            return None

    def resolve(self, name: str) -> tuple[Any, str | None]:
        """(the plugin class, None) when it loads; else (``peek``'s object or None, why it cannot run)."""
        try:
            return self.get(name), None
        except PluginUnavailable:
            return self.peek(name), self.entry(name).error

    def target(self, name: str) -> str:
        return self.entry(name).target

    def describe(self, load: bool = True) -> list[dict]:
        """One row per plugin: name, available, reason, source, description."""
        rows = []
        for name in self.names():
            e = self._entries[name]
            row = {"name": name, "source": e.source, "target": e.target, "available": True, "reason": "", "description": ""}
            if load:
                try:
                    obj = e.load(self.kind)
                    doc = (getattr(obj, "description", "") or (obj.__doc__ or "")).strip()
                    row["description"] = doc.splitlines()[0] if doc else ""
                except PluginUnavailable:
                    row.update(available=False, reason=e.error)
            rows.append(row)
        return rows


# The pyproject extra that installs each optional package, for plugins that do not name their own.
EXTRA_OF_PACKAGE = {"torch": "torch", "sdv": "sdv", "dpkt": "pcap", "hmmlearn": "hmm", "ray": "ray",
                    "matplotlib": "report"}


def _missing_requirement(obj: Any) -> str | None:
    """Check a plugin's declared ``requires`` packages without importing them; name the extra that brings one."""
    for package in getattr(obj, "requires", ()) or ():
        if importlib.util.find_spec(package) is None:
            extra = getattr(obj, "extra", None) or EXTRA_OF_PACKAGE.get(package)
            hint = f" (pip install 'secgen-bench[{extra}]')" if extra else ""
            return f"missing package {package!r}{hint}"
    return None


def target_of(obj: Any) -> str:
    return f"{obj.__module__}:{obj.__qualname__}"


def _builtins(kind: str) -> Callable[[], dict[str, str]]:
    def load() -> dict[str, str]:
        from secgen_bench import builtins

        return dict(getattr(builtins, kind))

    return load


generators = Registry("generator", "secgen_bench.generators", _builtins("GENERATORS"))
metrics = Registry("metric", "secgen_bench.metrics", _builtins("METRICS"))
datasets = Registry("dataset", "secgen_bench.datasets", _builtins("DATASETS"))
detectors = Registry("detector", "secgen_bench.detectors", _builtins("DETECTORS"))

register_generator = generators.decorator
register_metric = metrics.decorator
register_dataset = datasets.decorator
register_detector = detectors.decorator

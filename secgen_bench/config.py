"""Frozen-dataclass configurations: profiles, overrides with clear errors, hashing.

A plugin's configuration is a frozen dataclass whose defaults are the
``default`` profile; ``PROFILES`` of the plugin class overrides fields for
``quick`` (CI smoke) and ``paper`` (the published settings). The hash of a
configuration is part of every cache key.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import typing
from typing import Any, Callable, Collection, Mapping

PROFILES = ("quick", "default", "paper")


class ConfigError(ValueError):
    """An unknown profile, unknown option or badly typed option value."""


def check_option_bounds(config: Any, *, at_least_one: tuple[str, ...] = (), positive: tuple[str, ...] = (),
                        non_negative: tuple[str, ...] = ()) -> None:
    """One-line ValueError naming the first option of ``config`` outside its bound (for ``__post_init__``)."""
    for names, bad, bound in ((at_least_one, lambda v: v < 1, ">= 1"), (positive, lambda v: v <= 0, "> 0"),
                              (non_negative, lambda v: v < 0, ">= 0")):
        for name in names:
            if bad(getattr(config, name)):
                raise ValueError(f"option {name!r} must be {bound}, got {getattr(config, name)}")


def build_config(cls: type, plugin: str, profile: str = "default",
                 profiles: Mapping[str, Mapping[str, Any]] | None = None,
                 overrides: Mapping[str, Any] | None = None) -> Any:
    """Instantiate config dataclass ``cls`` for ``profile`` plus ``overrides``."""
    if profile not in PROFILES:
        raise ConfigError(f"unknown profile {profile!r}; choose one of {', '.join(PROFILES)}")
    values: dict[str, Any] = {}
    values.update((profiles or {}).get(profile, {}))
    values.update(overrides or {})
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    for key, value in list(values.items()):
        if key not in fields:
            raise ConfigError(f"{plugin}: unknown option {key!r}; options are {', '.join(sorted(fields))}")
        values[key] = _coerce(plugin, key, value, hints.get(key))
    try:
        return cls(**values)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{plugin}: invalid configuration: {exc}") from None


def _coerce(plugin: str, key: str, value: Any, hint: Any) -> Any:
    """Accept strings from the command line for simple typed fields."""
    base = {int: int, float: float, bool: bool, str: str}.get(hint)
    if base is None or isinstance(value, base) and not (base is int and isinstance(value, bool)):
        if base is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        return value
    if isinstance(value, str):
        try:
            if base is bool:
                if value.lower() in ("1", "true", "yes", "on"):
                    return True
                if value.lower() in ("0", "false", "no", "off"):
                    return False
                raise ValueError(value)
            return base(value)
        except ValueError:
            pass
    raise ConfigError(f"{plugin}: option {key!r} must be {base.__name__}, got {value!r}")


def config_dict(config: Any) -> dict:
    return dataclasses.asdict(config) if dataclasses.is_dataclass(config) else dict(config or {})


def config_hash(config: Any) -> str:
    payload = json.dumps(config_dict(config), sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def parse_overrides(items: list[str] | None) -> dict[str, str]:
    """``["epochs=5", "lr=1e-3"]`` -> dict; values stay strings until typed by the dataclass."""
    out: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"option {item!r} must look like KEY=VALUE")
        out[key.strip()] = value.strip()
    return out


def plugin_overrides(items: list[str] | None, options_of: Callable[[str], Collection[str] | None],
                     chosen: Collection[str] | None = None) -> dict[str, dict[str, str]]:
    """``["tvae.epochs=5"]`` -> ``{"tvae": {"epochs": "5"}}``, refusing what would be silently ignored.

    ``options_of(name)`` gives a plugin's option names (None when it cannot be inspected, e.g. it is
    unavailable) and raises for an unknown plugin; ``chosen`` (when given) are the plugins this command
    runs: an override of any other plugin would have no effect, so it is an error too.
    """
    out: dict[str, dict[str, str]] = {}
    for key, value in parse_overrides(items).items():
        plugin, dot, option = key.partition(".")
        if not dot or not plugin or not option:
            raise ConfigError(f"--set {key}={value}: use GENERATOR.OPTION=VALUE")
        try:
            options = options_of(plugin)
        except ValueError as exc:  # unknown plugin: the registry's message lists the known ones
            raise ConfigError(f"--set {key}={value}: {exc}") from None
        if chosen is not None and plugin not in chosen:
            raise ConfigError(f"--set {key}={value}: {plugin!r} is not among the plugins of this command "
                              f"({', '.join(chosen) or 'none'})")
        if options is not None and option not in options:
            known = f"options are {', '.join(sorted(options))}" if options else "it has no options"
            raise ConfigError(f"--set {key}={value}: {plugin}: unknown option {option!r}; {known}")
        out.setdefault(plugin, {})[option] = value
    return out

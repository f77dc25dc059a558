"""A ``run`` as a file: ``run --config run.yaml``, and the ``"config"`` entry of run.json that replays it.

The file's keys are the long names of ``run``'s options (``sample-size`` or ``sample_size``), each
value what the flag takes: a list (or a comma-separated string) for the comma-separated options, a
mapping ``GENERATOR: {OPTION: VALUE}`` (or a list of ``GEN.OPTION=VALUE``) for ``set``, null for
"not given". Reading turns a file into the values argparse would have parsed from the same flags,
so a file builds exactly the RunRequest the flags build. A run.json is read through its ``"config"``.
Where a run is written (``out``), whether it continues (``resume``, ``extend``) and how the
leaderboard is shown are not part of a configuration: a replay is a new run.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, Iterable, Mapping

from secgen_bench.errors import UsageError

NOT_IN_CONFIG = frozenset({"help", "config", "out", "resume", "extend", "ranking", "no_progress"})
LIST_OPTIONS = frozenset({"generators", "dataset", "seeds", "metrics"})   # comma-separated on the command line
PATH_OPTIONS = frozenset({"data", "schema"})          # recorded absolute: a replay may start elsewhere
OVERRIDES = "set"
# options that say the same thing: one given on the command line replaces the file's other one too
SAME_CHOICE = {"quick": ("profile",), "profile": ("quick",), "all": ("generators",), "generators": ("all",),
               "data": ("dataset",), "dataset": ("data",)}


def config_actions(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    """The options of ``parser`` a configuration may hold, by destination."""
    return {a.dest: a for a in parser._actions if a.dest not in NOT_IN_CONFIG and a.option_strings}


def read_run_config(path: str | Path, actions: Mapping[str, argparse.Action]) -> dict[str, Any]:
    """``path``'s options as argparse values by destination (None: not given); UsageError naming file and key."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"--config {path}: no such file")
    data = _parse(path)
    if isinstance(data, dict) and "jobs" in data and "run_id" in data:   # a run directory's run.json
        if not isinstance(data.get("config"), dict):
            raise UsageError(f"--config {path}: this run.json holds no \"config\" entry (written by an older "
                             f"secgen-bench or by reproduce); replay it with flags")
        data = data["config"]
    if not isinstance(data, dict):
        raise UsageError(f"--config {path}: expected a mapping of run options, got {type(data).__name__}")
    by_key = {a.option_strings[-1].lstrip("-"): dest for dest, a in actions.items()}
    out: dict[str, Any] = {}
    for key, value in data.items():
        dest = by_key.get(str(key).replace("_", "-"))
        if dest is None:
            raise UsageError(f"--config {path}: unknown key {key!r}; keys are {', '.join(sorted(by_key))}")
        out[dest] = None if value is None else _argparse_value(path, key, value, actions[dest])
    return out


def merge(args: argparse.Namespace, from_file: Mapping[str, Any]) -> None:
    """Fill ``args`` with the file's values where the command line gave none; ``--set`` items add to the file's."""
    given = {dest for dest in {*from_file, *SAME_CHOICE} if getattr(args, dest, None) is not None}
    shadowed = {other for dest in given for other in SAME_CHOICE.get(dest, ())}
    for dest, value in from_file.items():
        if dest == OVERRIDES:
            setattr(args, dest, list(value or []) + list(getattr(args, dest) or []) or None)   # later items win
        elif dest not in given and dest not in shadowed:
            setattr(args, dest, value)


def record(args: argparse.Namespace, actions: Mapping[str, argparse.Action], profile: str) -> dict[str, Any]:
    """The effective configuration of ``args`` in the file's format (what run.json holds under "config")."""
    out: dict[str, Any] = {}
    for dest, action in actions.items():
        key = action.option_strings[-1].lstrip("-")
        value = getattr(args, dest, None)
        if dest == "profile":
            value = profile
        elif dest == "quick":
            value = False                        # folded into profile
        elif value is None:
            pass
        elif dest == OVERRIDES:
            value = _overrides_mapping(value)
        elif dest in LIST_OPTIONS:
            items = [t.strip() for t in str(value).split(",") if t.strip()]
            value = [int(t) for t in items] if action.dest == "seeds" else items
        elif dest in PATH_OPTIONS:
            value = str(Path(value).resolve())
        out[key] = value
    return out


def _parse(path: Path) -> Any:
    """YAML or JSON, data only (``yaml.safe_load`` builds no objects)."""
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
        return json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UsageError(f"--config {path}: not valid {'JSON' if path.suffix.lower() == '.json' else 'YAML'}: "
                         f"{first}") from None


def _argparse_value(path: Path, key: str, value: Any, action: argparse.Action) -> Any:
    """``value`` as the parser stores the flag: bool for switches, typed numbers, strings, a list for --set."""
    def bad(want: str) -> UsageError:
        return UsageError(f"--config {path}: {key} must be {want}, got {value!r}")

    if action.dest == OVERRIDES:
        return _override_items(path, key, value)
    if action.nargs == 0:                           # a switch (store_true)
        if not isinstance(value, bool):
            raise bad("true or false")
        return value or None                      # false: as if the flag were not given
    if action.dest in LIST_OPTIONS and isinstance(value, list):
        if not all(_is_scalar(v) for v in value):
            raise bad("a list of names or numbers")
        value = ",".join(str(v) for v in value)
    if not _is_scalar(value):
        raise bad("a single value" if action.dest not in LIST_OPTIONS else "a list or a comma-separated string")
    if action.type in (int, float):
        if isinstance(value, bool):
            raise bad("a number")
        try:
            value = action.type(value)
        except (TypeError, ValueError):
            raise bad("a number") from None
    else:
        value = str(value)
    if action.choices is not None and value not in action.choices:
        raise bad(f"one of {', '.join(map(str, action.choices))}")
    return value


def _override_items(path: Path, key: str, value: Any) -> list[str]:
    """``{gen: {opt: val}}`` or ``["gen.opt=val"]`` -> the ``--set`` items argparse would collect."""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    if isinstance(value, dict) and all(isinstance(v, dict) for v in value.values()):
        items = []
        for gen, options in value.items():
            for option, val in options.items():
                if not _is_scalar(val):
                    raise UsageError(f"--config {path}: {key}: {gen}.{option} must be a single value, got {val!r}")
                items.append(f"{gen}.{option}={_option_text(val)}")
        return items
    raise UsageError(f"--config {path}: {key} must map GENERATOR to {{OPTION: VALUE}} or list "
                     f"GEN.OPTION=VALUE items, got {value!r}")


def _overrides_mapping(items: Iterable[str]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for item in items:
        name, _, text = item.partition("=")
        gen, _, option = name.strip().partition(".")
        out.setdefault(gen, {})[option] = text.strip()
    return out


def _option_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _is_scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool))

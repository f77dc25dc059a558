"""Write the reference pages (one per generator and metric, and the CLI) from the code itself.

Run by the mkdocs-gen-files plugin at every ``mkdocs build``, so the pages can never drift from
the registry, the ``Config`` dataclasses, the ``PROFILES`` tables or the argument parser.
A plugin whose module cannot be imported here still gets a page that says why.
"""
from __future__ import annotations

import argparse
import dataclasses
import inspect
import os

import mkdocs_gen_files

from secgen_bench import registry

HELP_WIDTH = "100"   # argparse wraps help to $COLUMNS: fix it so the page is the same everywhere


def cell(value: object) -> str:
    """A value as an inline-code table cell (pipes escaped)."""
    return "`" + repr(value).replace("|", "\\|") + "`"


def field_default(field: dataclasses.Field) -> object:
    if field.default is not dataclasses.MISSING:
        return field.default
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return "(required)"


def own_doc(obj: object) -> str:
    """The class's own docstring, not one inherited from its base (getdoc would return the base's)."""
    return inspect.cleandoc(vars(obj).get("__doc__") or "") if isinstance(obj, type) else ""


def heading(kind: str, name: str, obj: object, error: str | None) -> list[str]:
    lines = [f"# `{name}`", ""]
    if obj is None:
        return lines + [f"!!! warning \"Not importable here\"\n    {error}", ""]
    description = getattr(obj, "description", "") or ""
    lines += [f"**{kind}** `{registry.target_of(obj)}`, track `{getattr(obj, 'track', 'flows')}`", ""]
    if description:
        lines += [f"> {description}", ""]
    if error:
        lines += [f"!!! note \"Unavailable in this build\"\n    {error}", ""]
    doc = own_doc(obj)
    if doc:
        lines += [doc, ""]
    return lines


def config_section(obj: object) -> list[str]:
    config = getattr(obj, "Config", None)
    if config is None or not dataclasses.is_dataclass(config):
        return ["This generator has no options.", ""]
    lines = ["## Options", "", f"`{config.__qualname__}` (defaults are the `default` profile; "
             f"`--set {obj.name}.OPTION=VALUE` overrides one).", ""]
    doc = own_doc(config)
    if doc and not doc.startswith(config.__name__ + "("):
        lines += [doc, ""]
    lines += ["| option | type | default |", "|---|---|---|"]
    for field in dataclasses.fields(config):
        kind = field.type if isinstance(field.type, str) else getattr(field.type, "__name__", str(field.type))
        lines.append(f"| `{field.name}` | `{kind}` | {cell(field_default(field))} |")
    lines.append("")
    profiles = getattr(obj, "PROFILES", {}) or {}
    if profiles:
        lines += ["## Profiles", "", "What each profile changes from the defaults.", "",
                  "| profile | overrides |", "|---|---|"]
        for profile, overrides in profiles.items():
            text = ", ".join(f"`{k}={v!r}`" for k, v in dict(overrides).items()) or "(defaults)"
            lines.append(f"| `{profile}` | {text.replace('|', chr(92) + '|')} |")
        lines.append("")
    return lines


def metric_section(obj: object) -> list[str]:
    direction = getattr(obj, "direction", "")
    rows = {
        "direction": getattr(direction, "value", direction),
        "bounds": getattr(obj, "bounds", None),
        "family": getattr(obj, "family", None),
        "inputs": sorted(getattr(obj, "inputs", ())),
        "protocol": getattr(obj, "protocol", None),
        "scored by default": getattr(obj, "default", None),
        "in the average rank": getattr(obj, "in_average_rank", None),
        "version": getattr(obj, "version", None),
    }
    return ["## Properties", "", "| property | value |", "|---|---|"] + [
        f"| {key} | {cell(value)} |" for key, value in rows.items()] + [""]


def write_plugins(kind: str, folder: str, reg: registry.Registry, section) -> None:
    index = [f"# {kind.capitalize()}s", "", f"Every registered {kind}; each page is generated from its class.", "",
             "| name | track | description |", "|---|---|---|"]
    for name in reg.names():
        obj, error = reg.resolve(name)
        body = heading(kind, name, obj, error) + (section(obj) if obj is not None else [])
        with mkdocs_gen_files.open(f"{folder}/{name}.md", "w") as page:
            page.write("\n".join(body))
        track = getattr(obj, "track", "?") if obj is not None else "?"
        description = (getattr(obj, "description", "") or "").replace("|", "\\|")
        index.append(f"| [`{name}`]({name}.md) | `{track}` | {description} |")
    with mkdocs_gen_files.open(f"{folder}/index.md", "w") as page:
        page.write("\n".join(index) + "\n")


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def write_cli() -> None:
    os.environ["COLUMNS"] = HELP_WIDTH
    from secgen_bench.cli import build_parser

    parser = build_parser()
    lines = ["# CLI reference", "", "Generated from `secgen_bench.cli.build_parser()`.", "",
             "```text", parser.format_help().rstrip(), "```", ""]
    for name, sub in subcommands(parser).items():
        lines += [f"## `{name}`", "", "```text", sub.format_help().rstrip(), "```", ""]
        for inner, nested in subcommands(sub).items():
            lines += [f"### `{name} {inner}`", "", "```text", nested.format_help().rstrip(), "```", ""]
    with mkdocs_gen_files.open("cli.md", "w") as page:
        page.write("\n".join(lines))


write_plugins("generator", "generators", registry.generators, config_section)
write_plugins("metric", "metrics", registry.metrics, metric_section)
write_cli()

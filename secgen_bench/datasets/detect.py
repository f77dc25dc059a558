"""``--data PATH --format F``: load a user's file with a named loader, or pick one by content (``auto``).

Auto detection asks every registered dataset's ``sniff`` in a fixed order
(raw CIDDS files become the paper's bidirectional view; packet captures and
log files last, their sniffers being the loosest), then falls back to a CSV
whose header is exactly the columns of a known schema (any table written by
``datasets convert``), so load -> CSV -> load round-trips. A table none of
them takes is given the schema ``datasets inspect`` would propose, and a note
on stderr says what was assumed. ``--schema FILE``/``--columns`` skip all of
this (:func:`load_declared`).
"""
from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

from secgen_bench import registry
from secgen_bench.datasets import common as cm
from secgen_bench.datasets.base import LoadedData
from secgen_bench.datasets.schemas import KNOWN_SCHEMAS, detect_schema
from secgen_bench.registry import PluginUnavailable

PREFERENCE = ("cidds001-bi", "ctu", "zeek", "ugr16", "cesnet-miner22", "pcap", "hdfs")
NEVER_AUTO = {"cidds001", "simnet", "cse-cic-ids2018"}   # raw CIDDS -> the bidirectional view; simnet reads no file; cicflowmeter reads CIC files


def candidates() -> list[str]:
    names = registry.datasets.names()
    return [n for n in PREFERENCE if n in names] + [n for n in names if n not in PREFERENCE and n not in NEVER_AUTO]


def sniff_format(path: str | Path) -> str | None:
    """The name of the first dataset whose sniffer accepts ``path`` (``"csv"`` for a known-schema CSV), else None."""
    path = Path(path)
    for name in candidates():
        try:
            cls = registry.datasets.get(name)
        except PluginUnavailable:
            continue
        try:
            if cls.sniff(path):
                return name
        except Exception:            # a third-party sniffer must not break detection
            continue
    return "csv" if _schema_of_csv(path) is not None else None


def _schema_of_csv(path: Path):
    first = cm.head_text(path).splitlines()[:1]
    return detect_schema(c.strip() for c in first[0].split(",")) if first else None


def load_csv(path: str | Path, schema_name: str | None = None) -> LoadedData:
    """A CSV already in a known schema (header = its columns), validated."""
    path = cm.existing_file(path)
    schema = KNOWN_SCHEMAS.get(schema_name) if schema_name else _schema_of_csv(path)
    if schema is None:
        raise cm.DataFormatError(f"{path}: line 1: header matches no known schema ({', '.join(KNOWN_SCHEMAS)})")
    frame = cm.read_csv(path, required=schema.names, keep_default_na=False, na_values=[""],
                        dtype={c.name: str for c in schema.columns if c.dtype == "object"})
    return LoadedData(schema.validate(frame, str(path)), schema, {"source": str(path), "format": "csv", "schema": schema.name})


def load_declared(path: str | Path, *, schema_file: str | None = None, columns: str | None = None,
                  drop_invalid: bool = False) -> LoadedData:
    """A user's table read with their schema file (``--schema FILE``) or inline ``--columns``."""
    from secgen_bench.schema import SchemaError
    from secgen_bench.schema_file import parse_inline, read_schema_file

    if schema_file and columns:
        raise SchemaError("give either --schema FILE or --columns, not both")
    spec = read_schema_file(schema_file) if schema_file else replace(parse_inline(columns), name=Path(path).stem)
    return _load_with(path, spec, drop_invalid, "schema file" if schema_file else "columns")


def _load_with(path, spec, drop_invalid: bool, how: str) -> LoadedData:
    from secgen_bench.schema_file import apply_schema
    from secgen_bench.tables import read_text_table

    path = cm.existing_file(path)
    raw, header_lines = read_text_table(path)
    applied = apply_schema(raw, spec, str(path), drop_invalid=drop_invalid, header_lines=header_lines)
    meta = {"source": str(path), "format": how, "loader": how, "schema": applied.schema.name,
            "dropped": {"rows with non-finite or empty numbers": applied.dropped_rows},
            "dropped_invalid_rows": applied.dropped_rows,
            "invalid_cells": applied.invalid_cells}
    meta["benign"] = spec.benign        # label column -> benign values (meta.json keeps the per-column lists)
    for label, values in spec.benign.items():
        meta[f"benign:{label}"] = values
    return LoadedData(applied.table, applied.schema, meta)


def load_inferred(path: str | Path, drop_invalid: bool = False) -> LoadedData | None:
    """The fallback of ``--format auto``: the proposed schema when the file looks like a flow table, else None."""
    from secgen_bench.datasets.inference import propose
    from secgen_bench.schema import SchemaError
    from secgen_bench.tables import read_text_table

    try:
        raw, _ = read_text_table(path)
        proposal = propose(raw, Path(path).stem)
    except SchemaError:
        return None
    if not proposal.flow_like:
        return None
    print(f"note: {path} matches no built-in format; assumed {proposal.describe()}"
          + (f"; ignored {', '.join(g.spec.name for g in proposal.unplaced)}" if proposal.unplaced else "")
          + f" (write this as a schema file: secgen-bench datasets inspect {path})", file=sys.stderr)
    loaded = _load_with(path, proposal.schema, drop_invalid, "inferred")
    loaded.meta["assumed"] = proposal.describe()
    return loaded


def load_path(path: str | Path, format: str = "auto", *, seed: int = 0, profile: str = "default",
              drop_invalid: bool = False, view: str | None = None) -> LoadedData:
    """Load a user's file with loader ``format`` (a dataset name, ``csv``, or ``auto``); ``view``: as that track sees it."""
    path = Path(path)
    if not path.exists():
        raise cm.DataFormatError(f"{path}: no such file")
    if format == "auto":
        cm.existing_file(path)
        found = sniff_format(path)
        if found is None:
            inferred = load_inferred(path, drop_invalid)
            if inferred is not None:
                inferred.meta["loader"] = "inferred"
                return inferred
            raise cm.DataFormatError(
                f"{path}: format not recognised (tried {', '.join(candidates())}, csv); give --format NAME "
                f"or --schema FILE")
        format = found
    if format == "csv":
        loaded = load_csv(path)
    else:
        try:
            cls = registry.datasets.get(format)
        except registry.RegistryError:
            raise cm.DataFormatError(f"{path}: unknown format {format!r}; choose auto, csv or one of {', '.join(registry.datasets.names())}") from None
        # view="flows" (a run of the flows track): a packet dataset gives its flows view (one line when it has none)
        native = view is None or getattr(cls, "track", "flows") == view
        loaded = (cls().load(path, seed=seed, profile=profile) if native
                  else cls().load_view(view, path, seed=seed, profile=profile))
    loaded.meta.setdefault("source", str(path))
    loaded.meta["format"] = format if "format" not in loaded.meta or format == "csv" else loaded.meta["format"]
    loaded.meta["loader"] = format
    return loaded

"""Reading a user's flow CSV and finding its schema (for ``evaluate`` and ``--data`` of plain CSVs)."""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

import pandas as pd

from secgen_bench.schema import FlowSchema, SchemaError


def read_flow_csv(path: str | Path, schema: FlowSchema | None = None) -> pd.DataFrame:
    """Read a CSV, keeping string columns as strings (IPs, flags, tokens like ``DNS``)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    dtype = None
    if schema is not None:
        dtype = {c.name: str for c in schema.columns if c.dtype == "object"}
    try:
        table = pd.read_csv(path, dtype=dtype, keep_default_na=False, na_values=[""], skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise SchemaError(f"{path}: empty file") from None
    except pd.errors.ParserError as exc:
        raise SchemaError(f"{path}: not a readable CSV ({str(exc).splitlines()[0]})") from None
    return table


def resolve_schema(name: str | None, columns: Iterable[str], source: str | Path) -> FlowSchema:
    from secgen_bench.datasets.schemas import KNOWN_SCHEMAS, detect_schema

    if name:
        if name not in KNOWN_SCHEMAS:
            raise SchemaError(f"unknown schema {name!r}; known: {', '.join(sorted(KNOWN_SCHEMAS))}")
        return KNOWN_SCHEMAS[name]
    schema = detect_schema(columns)
    if schema is None:
        raise SchemaError(f"{source}: cannot detect the schema from its columns; pass --schema NAME "
                          f"(known: {', '.join(sorted(KNOWN_SCHEMAS))})")
    return schema

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


def read_real_table(path: str | Path, schema: str | None,
                    known: FlowSchema | None = None) -> tuple[FlowSchema, pd.DataFrame]:
    """A real table of ``evaluate``: read with a schema file when ``schema`` is one, else in schema ``known``,
    by name or by header (synthetic files are written in the FlowSchema, so they never take a schema file)."""
    if schema and (Path(schema).suffix.lower() in (".yaml", ".yml", ".json") or Path(schema).is_file()):
        from secgen_bench.schema_file import apply_schema, read_schema_file

        raw, header_lines = read_text_table(path)
        applied = apply_schema(raw, read_schema_file(schema), str(path), header_lines=header_lines)
        return applied.schema, applied.table
    if known is not None:
        return known, known.validate(read_flow_csv(path, known), source=str(path))
    raw = read_flow_csv(path)
    flow_schema = resolve_schema(schema, raw.columns, path)
    return flow_schema, flow_schema.validate(raw, source=str(path))


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


def read_text_table(path: str | Path) -> tuple[pd.DataFrame, int]:
    """Every cell of a user's CSV (header line), JSON-lines file or Zeek TSV log as text, and the lines before row 1.

    Nothing is converted here: a schema file says what each column is, and
    :func:`secgen_bench.schema_file.apply_schema` converts and checks the cells.
    A byte-order mark, CRLF line ends and spaces around names are accepted.
    """
    path = Path(path)
    if not path.is_file():
        raise SchemaError(f"{path}: no such file")
    with open(path, "rb") as fh:
        head = fh.read(4096).lstrip(b"\xef\xbb\xbf").lstrip()
    if head.startswith(b"{"):
        return _read_json_lines(path), 0
    if head.startswith(b"#separator"):
        return _read_zeek_tsv(path)
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True, encoding="utf-8-sig")
    except pd.errors.EmptyDataError:
        raise SchemaError(f"{path}: empty file") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise SchemaError(f"{path}: not a readable CSV ({str(exc).splitlines()[0]})") from None
    table.columns = [str(c).strip() for c in table.columns]
    return table, 1


def _read_zeek_tsv(path: Path) -> tuple[pd.DataFrame, int]:
    """A Zeek TSV log (``#fields`` header); its unset ``-`` and ``(empty)`` cells become empty text."""
    names, rows, before = None, [], 0
    with open(path, encoding="utf-8", errors="replace") as fh:
        for number, line in enumerate(fh, 1):
            line = line.rstrip("\r\n")
            if line.lstrip().startswith("#"):
                if line.lstrip().startswith("#fields"):
                    names = line.lstrip().split("\t")[1:]
                if not rows:
                    before = number
                continue
            if not line:
                continue
            if names is None:
                raise SchemaError(f"{path}: line {number}: a Zeek log row before its #fields line")
            cells = line.split("\t")
            if len(cells) != len(names):
                raise SchemaError(f"{path}: line {number}: {len(cells)} fields, #fields names {len(names)}")
            rows.append(["" if c in ("-", "(empty)") else c for c in cells])
    if names is None or not rows:
        raise SchemaError(f"{path}: a Zeek log without #fields or rows")
    return pd.DataFrame(rows, columns=names), before


def _read_json_lines(path: Path) -> pd.DataFrame:
    import json

    rows = []
    with open(path, encoding="utf-8-sig") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as exc:
                raise SchemaError(f"{path}: line {number}: not a JSON object ({exc})") from None
            if not isinstance(record, dict):
                raise SchemaError(f"{path}: line {number}: not a JSON object")
            rows.append({k: _json_text(v) for k, v in record.items()})
    if not rows:
        raise SchemaError(f"{path}: empty file")
    return pd.DataFrame(rows).fillna("").astype(str)


def _json_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        import json

        return json.dumps(value)
    return str(value)

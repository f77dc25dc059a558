"""``--data PATH --format F``: load a user's file with a named loader, or pick one by content (``auto``).

Auto detection asks every registered dataset's ``sniff`` in a fixed order
(raw CIDDS files become the paper's bidirectional view; packet captures and
log files last, their sniffers being the loosest), then falls back to a CSV
whose header is exactly the columns of a known schema (any table written by
``datasets convert``), so load -> CSV -> load round-trips.
"""
from __future__ import annotations

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


def load_path(path: str | Path, format: str = "auto", *, seed: int = 0, profile: str = "default") -> LoadedData:
    """Load a user's file with loader ``format`` (a dataset name, ``csv``, or ``auto``)."""
    path = Path(path)
    if not path.exists():
        raise cm.DataFormatError(f"{path}: no such file")
    if format == "auto":
        cm.existing_file(path)
        found = sniff_format(path)
        if found is None:
            raise cm.DataFormatError(
                f"{path}: format not recognised (tried {', '.join(candidates())}, csv); give --format NAME")
        format = found
    if format == "csv":
        loaded = load_csv(path)
    else:
        try:
            cls = registry.datasets.get(format)
        except registry.RegistryError:
            raise cm.DataFormatError(f"{path}: unknown format {format!r}; choose auto, csv or one of {', '.join(registry.datasets.names())}") from None
        loaded = cls().load(path, seed=seed, profile=profile)
    loaded.meta.setdefault("source", str(path))
    loaded.meta["format"] = format if "format" not in loaded.meta or format == "csv" else loaded.meta["format"]
    loaded.meta["loader"] = format
    return loaded

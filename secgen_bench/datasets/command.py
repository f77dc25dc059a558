"""The ``secgen-bench datasets`` verb: convert a file to its flow table, split it, list the datasets, inspect a table.

Why: a loader's output (e.g. the ``cidds001-bi`` view of a raw CIDDS file) is
useful outside secgen-bench, so ``convert`` writes it as a plain CSV that
``--format auto`` reads back unchanged (same values, same dtypes), and
``split`` writes the train/holdout parts the same way. ``list`` says for each
dataset how big it is, where ``load()`` gets it from and whether its download
is already cached, from the ``sample_file`` and ``download_source`` each
dataset class declares (the same attributes its ``load()`` reads). Loading
goes through the runner's ``load_dataset`` so these commands see exactly the
tables ``run`` sees. ``inspect`` prints the schema file ``--format auto`` would
assume for a table no built-in format reads, for the user to check and pass
back with ``--schema FILE``.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

PROFILES = ("quick", "default", "paper")


def add_command(subparsers) -> None:
    s = subparsers.add_parser("datasets", help="convert a data file to its flow table, split it, list datasets")
    sub = s.add_subparsers(dest="datasets_command", required=True)

    c = sub.add_parser("convert", help="write the table a loader produces as CSV (read back by --format auto)")
    _add_input_args(c)
    c.add_argument("--seed", type=int, default=0, help="loader seed (only generated datasets such as simnet use it)")
    c.add_argument("-o", "--output", required=True, help="CSV file to write")
    c.set_defaults(func=cmd_convert)

    p = sub.add_parser("split", help="write DIR/train.csv and DIR/holdout.csv (chronological or random)")
    _add_input_args(p)
    p.add_argument("--holdout-fraction", type=float, default=0.3, help="share held out, strictly between 0 and 1")
    p.add_argument("--method", choices=["time", "random"],
                   help="time: the latest rows are held out; random: a seeded draw "
                        "(default: time when the table has a timestamp, else random)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random split")
    p.add_argument("-o", "--output", required=True, help="directory to write train.csv and holdout.csv into")
    p.set_defaults(func=cmd_split)

    i = sub.add_parser("inspect", help="propose a schema file for a table of yours (roles from names and values)")
    i.add_argument("path", help="a CSV (header line) or JSON-lines file")
    i.add_argument("-o", "--output", help="write the schema file here (default: print it)")
    i.add_argument("--rows", type=int, default=None, help="rows to read as the sample (default: 50,000)")
    i.set_defaults(func=cmd_inspect)

    l = sub.add_parser("list", help="each dataset with its track, size, source and download cache state")
    l.add_argument("--json", action="store_true")
    l.set_defaults(func=cmd_list)


def _add_input_args(p) -> None:
    p.add_argument("path", nargs="?", help="a data file (CIDDS CSV, binetflow, Zeek conn.log, pcap, ...)")
    p.add_argument("--format", default="auto", help="loader of PATH: auto (by content), csv or a dataset name")
    p.add_argument("-d", "--dataset", help="a registered dataset instead of PATH (e.g. simnet)")
    p.add_argument("--profile", default="default", choices=PROFILES, help="size profile of a registered dataset")
    p.add_argument("--track", choices=["flows", "packets"],
                   help="which view to write (default: the format's own; packets = per-flow packet sequences)")
    p.add_argument("--schema", help="schema file (YAML/JSON) of PATH: each column's role and units")
    p.add_argument("--columns", help='inline schema of PATH, e.g. "src=ip,dport=port,ob=bytes:out" (others ignored)')
    p.add_argument("--drop-invalid", action="store_true",
                   help="drop rows with non-finite or empty numbers instead of refusing them (counted)")


def _load(args, seed: int = 0):
    """The validated table of PATH or -d NAME, exactly as ``secgen-bench run`` would load it."""
    from secgen_bench import registry
    from secgen_bench.errors import UsageError
    from secgen_bench.datasets.loading import DatasetSource, load_dataset

    if bool(args.path) == bool(args.dataset):
        raise UsageError(f"datasets {args.datasets_command}: give a data file PATH or -d NAME (exactly one)")
    if args.dataset:
        registry.datasets.entry(args.dataset)   # unknown name -> one line listing the known ones
        if args.schema or args.columns:
            raise UsageError(f"{'--schema' if args.schema else '--columns'} describes a data file PATH, not -d NAME")
        source = DatasetSource(name=args.dataset)
    else:
        if not Path(args.path).exists():
            raise UsageError(f"{args.path}: no such file")
        source = DatasetSource(path=args.path, format=args.format, schema=args.schema, columns=args.columns,
                               drop_invalid=args.drop_invalid)
    data = load_dataset(source, args.profile, seed=seed, track=args.track)
    table = data.schema.validate(data.table, source=source.label)
    return source, data, table


def _output_file(path: str, inputs: list[str]) -> Path:
    from secgen_bench.errors import UsageError

    out = Path(path)
    if out.is_dir():
        raise UsageError(f"-o {path}: is a folder, expected a CSV file name")
    if any(Path(i).exists() and out.exists() and out.resolve() == Path(i).resolve() for i in inputs):
        raise UsageError(f"-o {path}: would overwrite the input file")
    return out


def _notes(meta: dict) -> None:
    """Rows a loader filtered out are never dropped silently: say how many and why."""
    dropped = {k: v for k, v in (meta.get("dropped") or {}).items() if v}
    if dropped:
        text = ", ".join(f"{v} {k}" for k, v in dropped.items())
        print(f"note: rows left out by the loader: {text}", file=sys.stderr)


def _round_trip_note(path: Path, schema) -> None:
    """Say so when ``--format auto`` would read the written file as something else (a raw CIDDS table),
    or as nothing built in (a user's schema): then give the ``--columns`` that read it back exactly."""
    from secgen_bench.datasets.detect import sniff_format

    found = sniff_format(path)
    if found is None:
        columns = ",".join(f"{c.name}={c.role.value}" + (f":{c.direction}" if c.direction else "")
                           for c in schema.columns)
        print(f"note: {path} holds schema {schema.name} in canonical units (timestamps as date-times, durations "
              f"in seconds); read it back with --columns \"{columns}\"", file=sys.stderr)
    elif found not in ("csv", schema.name):
        print(f"note: --format auto reads {path} as {found}; read it back with --format csv", file=sys.stderr)


def cmd_convert(args) -> int:
    from secgen_bench.runner.store import write_csv

    out = _output_file(args.output, [args.path] if args.path else [])
    source, data, table = _load(args, seed=args.seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_csv(out, table)
    _notes(data.meta)
    _round_trip_note(out, data.schema)
    loader = data.meta.get("loader") or data.meta.get("dataset") or args.dataset or args.format
    print(f"wrote {len(table)} rows, schema {data.schema.name} (loader {loader}), to {out}")
    return 0


def cmd_split(args) -> int:
    from secgen_bench.errors import UsageError
    from secgen_bench.datasets.split import split_holdout
    from secgen_bench.runner.store import write_csv, write_json
    from secgen_bench.schema import table_fingerprint

    if not 0.0 < args.holdout_fraction < 1.0:
        raise UsageError(f"--holdout-fraction must be strictly between 0 and 1, got {args.holdout_fraction}")
    folder = Path(args.output)
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"-o {args.output}: exists and is not a folder")
    source, data, table = _load(args)
    method = args.method or ("time" if data.schema.timestamp else "random")
    train, holdout = split_holdout(table, data.schema, args.holdout_fraction, seed=args.seed, method=method)
    folder.mkdir(parents=True, exist_ok=True)
    write_csv(folder / "train.csv", train)
    write_csv(folder / "holdout.csv", holdout)
    write_json(folder / "split.json", {
        "source": source.label, "loader": data.meta.get("loader") or args.dataset, "schema": data.schema.name,
        "holdout_fraction": args.holdout_fraction, "method": method, "seed": args.seed,
        "rows": len(table), "train_rows": len(train), "holdout_rows": len(holdout),
        "train_fingerprint": table_fingerprint(train), "holdout_fingerprint": table_fingerprint(holdout),
    })
    _notes(data.meta)
    _round_trip_note(folder / "train.csv", data.schema)
    print(f"wrote {len(train)} train and {len(holdout)} holdout rows ({method} split, schema {data.schema.name}) "
          f"to {folder / 'train.csv'} and {folder / 'holdout.csv'}")
    return 0


def cmd_inspect(args) -> int:
    """Print (or write) the proposed schema file; say on stderr which columns could not be placed."""
    from secgen_bench.datasets import inference
    from secgen_bench.errors import UsageError
    from secgen_bench.tables import read_text_table

    if args.rows is not None and args.rows < 1:
        raise UsageError(f"--rows must be >= 1, got {args.rows}")
    if not Path(args.path).is_file():
        raise UsageError(f"{args.path}: no such file")
    raw, _ = read_text_table(args.path)
    sample = raw.head(args.rows or inference.SAMPLE_ROWS)
    proposal = inference.propose(sample, Path(args.path).stem)
    text = proposal.text()
    if args.output:
        out = _output_file(args.output, [args.path])
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        print(f"wrote the proposed schema of {args.path} ({len(sample)} rows read) to {out}")
    else:
        print(text, end="")
    for guess in proposal.unplaced:
        print(f"note: {guess.spec.name!r}: {guess.reason} (role ignore)", file=sys.stderr)
    if proposal.invalid_rows:
        print(f"note: {proposal.invalid_rows} sampled rows hold non-finite or empty numbers; "
              f"load with --drop-invalid to drop them", file=sys.stderr)
    return 0


# ---- list -------------------------------------------------------------------------------------
def dataset_rows() -> list[dict]:
    """One dict per registered dataset: name, available, track, size, source, cached, description."""
    from secgen_bench import registry

    rows = []
    for r in registry.datasets.describe():
        cls = registry.datasets.peek(r["name"])
        sample_parts = getattr(cls, "sample_file", None)         # third-party datasets may not subclass Dataset
        download_name = getattr(cls, "download_source", None)
        sample = _shared_sample(sample_parts)
        download = _download_info(download_name)
        sizes = getattr(cls, "sizes", None)
        if isinstance(sizes, dict) and sizes:
            size = ", ".join(f"{p} {n:,}" for p, n in sizes.items()) + " flows"
            origin = "generated (no file)"
        elif sample is not None:
            size = _describe_size(sample)
            origin = f"sample {sample_parts[-1]} (SECGEN_BENCH_DATA)"
        elif download is not None:
            size = f"download {download['size'] or 'size unknown'}"
            origin = f"official download {download['filename']}"
        else:
            size, origin = "your file", "--data PATH"
        url = getattr(cls, "source", "") if isinstance(getattr(cls, "source", ""), str) else ""
        rows.append({
            "name": r["name"], "available": r["available"], "reason": r["reason"],
            "track": getattr(cls, "track", "") if cls is not None else "",
            "size": size, "source": origin, "url": url, "plugin": r["source"],
            "download": download["size"] if download else None,
            "cached": None if download is None else download["cached"],
            "description": r["description"] if r["available"] else r["reason"],
        })
    return rows


def _shared_sample(parts) -> Path | None:
    if not parts:
        return None
    from secgen_bench.datasets.common import shared_file

    return shared_file(*parts)


def _download_info(name: str | None) -> dict | None:
    if not name:
        return None
    from secgen_bench.datasets import download as dl

    src = dl.source(name)
    archive = dl.source(src.archive) if src.archive else None
    if dl.is_cached(name):
        cached = "yes"
    elif archive is not None and dl.is_cached(archive.name):
        cached = "archive only"
    else:
        cached = "no"
    size = archive.size if archive is not None and archive.size else src.size
    return {"size": size, "filename": (archive or src).filename, "cached": cached}


def _describe_size(path: Path) -> str:
    """Rows of a text sample (header and ``#`` lines not counted), or the byte size of a binary one."""
    with open(path, "rb") as fh:
        head = fh.read(4)
        fh.seek(0)
        if b"\x00" in head or head[:4] in (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x0a\x0d\x0d\x0a",
                                           b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d"):
            return f"{path.stat().st_size / 1e6:.1f} MB capture"
        lines = [line for line in fh.read().splitlines() if line.strip()]
    comments = [line for line in lines if line.startswith(b"#")]
    data = len(lines) - len(comments)
    if not any(line.startswith(b"#fields") for line in comments) and not lines[0].startswith(b"{"):
        data -= 1                                   # a CSV header line
    return f"{data:,} rows"


def cmd_list(args) -> int:
    rows = dataset_rows()
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(title="secgen-bench datasets (descriptions: secgen-bench list datasets --json)")
    for col in ("name", "track", "size", "source", "download", "cached"):
        table.add_column(col, no_wrap=col == "name")
    for r in rows:
        name = r["name"] if r["available"] else f"{r['name']} [red](unavailable: {r['reason']})[/red]"
        cached = {None: "-"}.get(r["cached"], r["cached"])
        table.add_row(name, r["track"], r["size"], r["source"], r["download"] or "-", cached)
    Console().print(table)
    return 0

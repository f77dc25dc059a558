"""The prepared dataset folder ``data/<key>/``: written once per run by the driver, read by every job.

The driver loads and validates a source, lets its track split it and stores
the result under a key made of its content; a job process reads it back with
:func:`load_prepared` (and, for a track that re-splits per seed,
:func:`load_labelled_table`).
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from secgen_bench.datasets.base import LoadedData
from secgen_bench.datasets.loading import DatasetSource, load_dataset
from secgen_bench.runner.labelled import declared_benign, split_by_label
from secgen_bench.runner.paths import child_of
from secgen_bench.runner.plan import DatasetRef, Protocol
from secgen_bench.runner.store import RunStore, read_json, read_table, refuse_pickled_tables, write_json, write_table
from secgen_bench.schema import FlowSchema, table_fingerprint

if TYPE_CHECKING:  # the driver hands its track in; this module never imports the tracks
    from secgen_bench.tracks.base import Track


def prepare_dataset(store: RunStore, source: DatasetSource, protocol: Protocol, profile: str,
                    track: "Track") -> tuple[DatasetRef, LoadedData]:
    """Load, validate, split (by ``track``) and store a dataset once per run (identified by its content).

    A label column with declared benign values splits the rows further: the
    generator's tables (train/holdout) hold the benign rows without labels,
    the label-aware metrics read the labels and the attack rows beside them
    (:mod:`secgen_bench.runner.labelled`).
    """
    data = load_dataset(source, profile, track=track.name)
    table = data.schema.validate(data.table, source=source.label)
    labels = data.schema.by_role("label")
    labelled = None
    if labels and not track.keeps_labels:  # ground truth is never generated from: generators see the traffic columns only
        benign = declared_benign(data.meta, labels)
        if benign:  # split the labelled rows, then keep attacks out of the generator's tables
            train, holdout, data = track.split(table, data, source, protocol, profile)
            labelled = split_by_label(train, holdout, data.schema, benign, source.label)
            train, holdout = labelled.train, labelled.holdout
        schema = data.schema.select([c for c in data.schema.names if c not in labels], name=data.schema.name)
        table = table[schema.names]
        data = LoadedData(table, schema, {**data.meta, "dropped_label_columns": labels,
                                          **(labelled.meta() if labelled else {})})
    if labelled is None:
        train, holdout, data = track.split(table, data, source, protocol, profile)
    key = f"{source.label}-{table_fingerprint(train)[:8]}{table_fingerprint(holdout)[:8]}{data.schema.fingerprint()[:8]}"
    if labelled is not None:
        key += labelled.fingerprint()[:8]
    ref = DatasetRef(source.label, key, len(train), len(holdout))
    ddir = child_of(store.root / "data", store.data_dir(key), "data folder")
    refuse_pickled_tables(ddir)
    if not (ddir / "schema.json").exists():
        write_table(ddir / "train.parquet", train)
        write_table(ddir / "holdout.parquet", holdout)
        if labelled is not None:
            labelled.write(ddir)
        write_json(ddir / "meta.json", {"label": source.label, "n_train": len(train), "n_holdout": len(holdout),
                                        "track": getattr(data, "track", None), **_plain(data.meta)})
        if track.resplits_per_seed:  # each job draws its own seed's split from the whole labelled table
            write_table(ddir / "table.parquet", table)
        write_json(ddir / "schema.json", data.schema.to_dict())
    return ref, LoadedData(train, data.schema, data.meta)


def _plain(meta: dict) -> dict:
    """Keep only JSON-friendly scalars/strings/short lists of a loader's meta."""
    out = {}
    for k, v in (meta or {}).items():
        if isinstance(v, (str, int, float, bool)) or v is None:
            out[k] = v
        elif isinstance(v, (list, tuple)) and len(v) <= 100 and all(isinstance(x, (str, int, float)) for x in v):
            out[k] = list(v)
    return out


# ---- job side ------------------------------------------------------------------------------------------
def load_prepared(data_dir: Path):
    refuse_pickled_tables(data_dir)
    train = read_table(data_dir / "train.parquet")
    holdout = read_table(data_dir / "holdout.parquet")
    schema = FlowSchema.from_dict(read_json(data_dir / "schema.json"))
    return train, holdout, schema


def load_schema(data_dir: Path) -> FlowSchema:
    return FlowSchema.from_dict(read_json(data_dir / "schema.json"))


def load_labelled_table(data_dir: Path):
    """The whole labelled table (stored by a track that re-splits it per seed)."""
    refuse_pickled_tables(data_dir)
    if not (data_dir / "table.parquet").exists():
        raise FileNotFoundError(f"{data_dir}: no table.parquet (the labelled table each job of this track "
                                f"splits by its seed)")
    return read_table(data_dir / "table.parquet")

"""The anomaly-detector contract, and the long sequence table turned into event sequences.

``fit(table, schema, *, seed)`` learns from normal sequences; ``score(table)``
returns one number per sequence (index = sequence id, higher = more anomalous).
Tables follow FORMATS.md: rows grouped by the SEQUENCE_ID column in order of
occurrence; the symbol of an event joins its discrete columns (e.g. ``event``,
or ``flags``+``direction``), its value vector holds its continuous columns.
"""
from __future__ import annotations

import inspect
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from secgen_bench.schema import FlowSchema, Role, SchemaError


def sequence_columns(schema: FlowSchema) -> tuple[str, list[str], list[str]]:
    """(sequence id column, symbol columns, value columns) from the schema's roles."""
    ids = schema.by_role(Role.SEQUENCE_ID)
    if not ids:
        raise SchemaError(f"schema {schema.name!r}: a sequence table needs a sequence_id column")
    symbols = [c for c in schema.discrete if c not in ids]
    if not symbols:
        raise SchemaError(f"schema {schema.name!r}: no discrete column to use as the event symbol")
    values = [c for c in schema.continuous]
    return ids[0], symbols, values


def table_to_sequences(table: pd.DataFrame, schema: FlowSchema, values: list[str] | None = None):
    """(sequence ids in order of first appearance, list of [(symbol, value vector), ...])."""
    id_col, sym_cols, val_cols = sequence_columns(schema)
    val_cols = val_cols if values is None else values
    missing = [c for c in [id_col, *sym_cols, *val_cols] if c not in table.columns]
    if missing:
        raise SchemaError(f"sequence table: missing column {missing[0]!r}")
    sym = table[sym_cols[0]].astype(str)
    for c in sym_cols[1:]:
        sym = sym + "|" + table[c].astype(str)
    vals = table[val_cols].to_numpy(dtype=float) if val_cols else np.zeros((len(table), 0))
    codes, uniques = pd.factorize(table[id_col], sort=False)
    order = np.argsort(codes, kind="stable")
    bounds = np.r_[0, np.cumsum(np.bincount(codes, minlength=len(uniques)))]
    sym_arr = sym.to_numpy()[order]
    val_arr = vals[order]
    seqs = [list(zip(sym_arr[a:b], val_arr[a:b])) for a, b in zip(bounds[:-1], bounds[1:])]
    return [str(u) for u in uniques], seqs


def informative_values(table: pd.DataFrame, schema: FlowSchema) -> list[str]:
    """Continuous columns that are not constant in the training table (HDFS delays may all be 0)."""
    return [c for c in sequence_columns(schema)[2] if table[c].nunique() > 1]


class Detector:
    """Base class: set ``name``; implement ``_fit(ids, sequences, seed)`` and ``_score(sequences)``.

    Options are the keyword arguments of ``__init__`` (their defaults are the
    "default" profile); ``PROFILES`` overrides some of them for "quick" and "paper".
    """

    name: ClassVar[str] = ""
    version: ClassVar[str] = "0.1"
    track: ClassVar[str] = "anomaly"
    requires: ClassVar[tuple[str, ...]] = ()
    extra: ClassVar[str | None] = None
    description: ClassVar[str] = ""
    PROFILES: ClassVar[dict[str, dict[str, Any]]] = {}

    def __init__(self, **options: Any):
        self.options = options

    @classmethod
    def option_defaults(cls) -> dict[str, Any]:
        """Every option the detector takes, with its default value."""
        params = inspect.signature(cls.__init__).parameters.values()
        return {p.name: p.default for p in params
                if p.name != "self" and p.default is not inspect.Parameter.empty
                and p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)}

    @classmethod
    def profile_options(cls, profile: str = "default", overrides: dict[str, Any] | None = None) -> dict[str, Any]:
        """The keyword arguments for ``profile`` plus ``overrides`` (strings from the CLI are typed by the default).

        Unknown options and values the detector refuses raise ConfigError.
        """
        from secgen_bench.config import PROFILES, ConfigError, _coerce

        if profile not in PROFILES:
            raise ConfigError(f"unknown profile {profile!r}; choose one of {', '.join(PROFILES)}")
        defaults = cls.option_defaults()
        values = {**cls.PROFILES.get(profile, {}), **(overrides or {})}
        for key, value in list(values.items()):
            if key not in defaults:
                raise ConfigError(f"{cls.name}: unknown option {key!r}; options are {', '.join(sorted(defaults))}")
            default = defaults[key]
            hint = type(default) if isinstance(default, (bool, int, float, str)) else None
            values[key] = _coerce(cls.name, key, value, hint)
        try:
            cls(**values)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{cls.name}: invalid configuration: {exc}") from None
        return values

    @classmethod
    def resolved_config(cls, profile: str = "default", overrides: dict[str, Any] | None = None) -> dict[str, Any]:
        """Every option's value under ``profile`` + ``overrides`` (for records and cache keys)."""
        return {**cls.option_defaults(), **cls.profile_options(profile, overrides)}

    def fit(self, table: pd.DataFrame, schema: FlowSchema, *, seed: int = 0) -> "Detector":
        table = schema.validate(table, source=f"{self.name} training table", extra="drop")
        self.schema_ = schema
        self.values_ = informative_values(table, schema)
        _, seqs = table_to_sequences(table, schema, self.values_)
        if not seqs:
            raise ValueError(f"{self.name}: no training sequences")
        self._fit(seqs, seed=seed)
        return self

    def score(self, table: pd.DataFrame) -> pd.Series:
        if not hasattr(self, "schema_"):
            raise RuntimeError(f"{self.name}: score() called before fit()")
        table = self.schema_.validate(table, source=f"{self.name} test table", extra="drop")
        ids, seqs = table_to_sequences(table, self.schema_, self.values_)
        scores = np.asarray(self._score(seqs), dtype=float)
        id_col = sequence_columns(self.schema_)[0]
        return pd.Series(scores, index=pd.Index(ids, name=id_col), name=f"{self.name} anomaly score")

    def _fit(self, sequences, *, seed: int) -> None:
        raise NotImplementedError

    def _score(self, sequences) -> np.ndarray:
        raise NotImplementedError

"""The generator contract every model follows (scikit-learn style).

The constructor only stores configuration; ``fit(table, schema, *, seed)``
learns and keeps fitted state in attributes ending in ``_``;
``sample(n, *, seed)`` returns exactly ``n`` rows with the training columns
and dtypes. ``device`` is honoured by models that use torch. The harness
checks every sample against this contract (:func:`check_sample`).
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, ClassVar, Mapping

import pandas as pd

from secgen_bench.config import build_config, config_hash
from secgen_bench.persistence import load_state, save_state
from secgen_bench.schema import FlowSchema, SchemaError


class ContractViolation(RuntimeError):
    """A generator's output breaks the contract (columns, dtypes, row count)."""


@dataclasses.dataclass(frozen=True)
class NoConfig:
    """For generators without options."""


class Generator:
    """Base class: subclass, set ``name``, ``Config``, ``PROFILES``, implement ``_fit``/``_sample``."""

    name: ClassVar[str] = ""
    version: ClassVar[str] = "0.1"
    description: ClassVar[str] = ""
    track: ClassVar[str] = "flows"          # "flows", "packets" or "anomaly"
    Config: ClassVar[type] = NoConfig
    PROFILES: ClassVar[Mapping[str, Mapping[str, Any]]] = {}
    requires: ClassVar[tuple[str, ...]] = ()  # packages checked (not imported) when listed
    extra: ClassVar[str | None] = None         # pip extra that provides them
    uses_gpu: ClassVar[bool] = False           # asks the executor for a GPU when one exists
    unit: ClassVar[str] = "rows"               # what n counts: "rows" (flows) or "sequences" (packets, logs)
    # schema roles the model cannot run without ("a|b": any one of them); a dataset that lacks one
    # makes the run list the generator as n/a (with the reason) instead of failing it
    needs: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, config: Any = None, *, profile: str = "default", device: str = "cpu", **overrides: Any):
        if config is None:
            config = build_config(self.Config, self.name or type(self).__name__, profile, self.PROFILES, overrides)
        elif overrides:
            config = dataclasses.replace(config, **overrides)
        self.config = config
        self.profile = profile
        self.device = resolve_device(device)

    # -- the contract -----------------------------------------------------
    def fit(self, table: pd.DataFrame, schema: FlowSchema, *, seed: int = 0) -> "Generator":
        table = schema.validate(table, source=f"{self.name} training table")
        self.schema_ = schema
        self.columns_ = list(table.columns)
        self.dtypes_ = {c: str(t) for c, t in table.dtypes.items()}
        self._fit(table, schema, seed=seed)
        return self

    def sample(self, n: int, *, seed: int = 0) -> pd.DataFrame:
        if not hasattr(self, "schema_"):
            raise ContractViolation(f"{self.name}: sample() called before fit()")
        if int(n) < 0:
            raise ValueError(f"{self.name}: n must be >= 0, got {n}")
        return self._sample(int(n), seed=seed)

    def _fit(self, table: pd.DataFrame, schema: FlowSchema, *, seed: int) -> None:
        raise NotImplementedError

    def _sample(self, n: int, *, seed: int) -> pd.DataFrame:
        raise NotImplementedError

    # -- persistence ------------------------------------------------------
    def save(self, path: str | Path) -> None:
        """Write the fitted generator as data (JSON + npz, see secgen_bench.persistence), never a pickle;
        torch modules are saved as CPU copies. A plugin's classes may be saved beside the allowlisted ones
        when they live in its own package."""
        save_state(self, path, also_allow=(_package_of(type(self)),))

    @classmethod
    def load(cls, path: str | Path) -> "Generator":
        """Read a file written by :meth:`save`: it can name only allowlisted classes, so it runs no code.
        Torch modules go back onto ``self.device`` when it exists, else the model runs on the CPU."""
        obj = load_state(path, cls, also_allow=(_package_of(cls),))
        obj._restore_device()
        return obj

    def _restore_device(self) -> None:
        if getattr(self, "device", "cpu") == "cpu":
            return
        import torch

        if not torch.cuda.is_available():
            self.device = "cpu"
            return
        for key, value in vars(self).items():
            if isinstance(value, torch.nn.Module):
                setattr(self, key, value.to(self.device))

    # -- identity for caches ----------------------------------------------
    @property
    def config_hash(self) -> str:
        return config_hash(self.config)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.config!r}, device={self.device!r})"


def _package_of(cls: type) -> str:
    """The top-level package of a generator class: the code the user already runs by choosing it."""
    return cls.__module__.partition(".")[0]


def resolve_device(device: str | None) -> str:
    """``auto`` -> ``cuda`` when torch sees a GPU, else ``cpu`` (imports torch only for auto/cuda)."""
    device = (device or "cpu").lower()
    if device == "cpu":
        return "cpu"
    if device not in ("auto", "cuda") and not device.startswith("cuda:"):
        raise ValueError(f"unknown device {device!r}; use cpu, cuda, cuda:N or auto")
    try:
        import torch
    except ImportError:
        if device == "auto":
            return "cpu"
        raise ValueError("device 'cuda' needs torch with CUDA support") from None
    if not torch.cuda.is_available():
        if device == "auto":
            return "cpu"
        raise ValueError(f"device {device!r} requested but torch sees no CUDA device")
    return "cuda" if device == "auto" else device


def check_sample(sample: Any, n: int, columns: list[str], dtypes: Mapping[str, str], schema: FlowSchema,
                 who: str = "generator", unit: str = "rows") -> pd.DataFrame:
    """Raise ContractViolation unless ``sample`` has n rows (or n sequences), the training columns
    and dtypes, and no missing values."""
    if not isinstance(sample, pd.DataFrame):
        raise ContractViolation(f"{who}: sample() returned {type(sample).__name__}, not a DataFrame")
    if list(sample.columns) != list(columns):
        missing = [c for c in columns if c not in sample.columns]
        extra = [c for c in sample.columns if c not in columns]
        detail = (f"missing column {missing[0]!r}" if missing else
                  f"unexpected column {extra[0]!r}" if extra else "columns in a different order")
        raise ContractViolation(f"{who}: sample breaks the contract: {detail}")
    if unit == "sequences":
        seq = schema.by_role("sequence_id")
        if not seq:
            raise ContractViolation(f"{who}: unit 'sequences' needs a sequence_id column in schema {schema.name!r}")
        got_n = sample[seq[0]].nunique()
    else:
        got_n = len(sample)
    if got_n != n:
        raise ContractViolation(f"{who}: sample has {got_n} {unit}, {n} were asked for")
    if n == 0:
        return sample
    for col in columns:
        got = str(sample[col].dtype)
        want = str(dtypes[col])
        if got != want:
            raise ContractViolation(f"{who}: column {col!r} has dtype {got}, training dtype is {want}")
        if n and sample[col].isna().any():
            raise ContractViolation(f"{who}: column {col!r} has missing values")
    try:
        return schema.validate(sample, source=f"{who} sample", ranges=False)
    except SchemaError as exc:
        raise ContractViolation(str(exc)) from None

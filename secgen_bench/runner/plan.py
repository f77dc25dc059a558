"""What a run does: the profile's protocol settings and the (generator x dataset x seed) jobs.

Profiles keep every generator; they differ in sizes, seeds and repetitions:
``quick`` is CI's smoke run, ``default`` fits a laptop (all generators on the
built-in ``simnet`` in about 20 minutes on 2 cores), ``paper`` is the
published protocol (20 repetitions of 10,000-row samples).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from secgen_bench import __version__
from secgen_bench.config import PROFILES, ConfigError
from secgen_bench.runner import float_path

REFERENCE = "reference"  # the real held-out data, scored like a generator and never ranked
BOOTSTRAP = "bootstrap"  # training rows resampled with replacement: the noise floor, scored and never ranked
PCAP = "pcap"            # packets track: the held-out packets written as a capture and re-extracted, never ranked
UNRANKED = (REFERENCE, BOOTSTRAP, PCAP)  # the pseudo-rows of a generator leaderboard, in display order


@dataclass(frozen=True)
class Protocol:
    seeds: tuple[int, ...]
    repeats: int                 # repetitions of the subsampling protocol
    sample_size: int | None      # rows per subsample (None: all rows)
    timeout_s: float             # per job (fit + sample + evaluate)
    holdout_fraction: float      # share of the dataset held out as the Reference
    split: str = "random"        # "random" or "time"
    max_synthetic: int | None = None  # cap on rows generated per job (None: as many as the training set)
    memory_limit_mb: float | None = None


PROTOCOLS: dict[str, Protocol] = {
    "quick": Protocol(seeds=(0,), repeats=2, sample_size=1000, timeout_s=600, holdout_fraction=0.3),
    "default": Protocol(seeds=(0, 1), repeats=5, sample_size=2000, timeout_s=900, holdout_fraction=0.3),
    "paper": Protocol(seeds=(0, 1, 2, 3, 4), repeats=20, sample_size=10000, timeout_s=6 * 3600, holdout_fraction=0.3),
}


def protocol_for(profile: str, **overrides: Any) -> Protocol:
    if profile not in PROFILES:
        raise ConfigError(f"unknown profile {profile!r}; choose one of {', '.join(PROFILES)}")
    changes = {k: v for k, v in overrides.items() if v is not None}
    if "seeds" in changes:
        changes["seeds"] = tuple(int(s) for s in changes["seeds"])
    proto = replace(PROTOCOLS[profile], **changes)
    if proto.repeats < 1:
        raise ConfigError(f"repeats must be >= 1, got {proto.repeats}")
    if proto.sample_size is not None and proto.sample_size < 1:
        raise ConfigError(f"sample size must be >= 1, got {proto.sample_size}")
    if not 0 < proto.holdout_fraction < 1:
        raise ConfigError(f"holdout fraction must be in (0, 1), got {proto.holdout_fraction}")
    if proto.split not in ("random", "time"):
        raise ConfigError(f"split must be 'random' or 'time', got {proto.split!r}")
    if proto.timeout_s <= 0:
        raise ConfigError(f"timeout must be > 0 seconds, got {proto.timeout_s}")
    if not proto.seeds:
        raise ConfigError("at least one seed is needed")
    return proto


@dataclass(frozen=True)
class DatasetRef:
    """A prepared dataset inside the run directory."""

    label: str          # registry name, or the file name for --data PATH
    key: str            # content hash of train + holdout + schema
    n_train: int
    n_holdout: int


@dataclass(frozen=True)
class GeneratorRef:
    name: str
    target: str         # "module:attr", imported in the job's own process
    version: str
    config: dict        # resolved configuration (for the record)
    config_hash: str
    overrides: dict = field(default_factory=dict)
    unit: str = "rows"


@dataclass(frozen=True)
class MetricRef:
    name: str
    target: str
    version: str
    direction: str
    in_average_rank: bool = True


@dataclass(frozen=True)
class Job:
    generator: GeneratorRef
    dataset: DatasetRef
    seed: int
    n_synthetic: int
    profile: str

    @property
    def is_reference(self) -> bool:
        return self.generator.name == REFERENCE

    @property
    def is_bootstrap(self) -> bool:
        return self.generator.name == BOOTSTRAP

    @property
    def key(self) -> str:
        """Cache key: generator name+version+config, dataset hash, seed, sample size, our version, a pinned float path."""
        payload = {
            "generator": self.generator.name, "generator_version": self.generator.version,
            "config": self.generator.config_hash, "dataset": self.dataset.key, "seed": self.seed,
            "n_synthetic": self.n_synthetic, "secgen_bench": __version__,
        }
        pinned = float_path.pinned_env()   # a pinned CPU code path trains another model: not the same sample
        if pinned:
            payload["float_path"] = pinned
        digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:12]
        return f"{self.generator.name}--{self.dataset.label}--s{self.seed}--{digest}"

    def identity(self) -> dict:
        return {"job_key": self.key, "generator": asdict(self.generator), "dataset": asdict(self.dataset),
                "seed": self.seed, "n_synthetic": self.n_synthetic, "profile": self.profile}


@dataclass(frozen=True)
class PlannedJob:
    """A job with what its records need: its track, its metrics, and why it (or a metric) cannot run."""

    job: Job
    track: str                          # the track's name (its job body runs the job)
    metrics: tuple[MetricRef, ...]
    metric_errors: dict[str, str]       # metric -> why it is unavailable
    unavailable: str | None = None      # why the generator (or detector) cannot run, None when it can
    not_applicable: str | None = None   # why it does not apply to this dataset (a role it needs is absent): n/a
    cacheable: bool = False             # its sample goes to (and comes from) the cross-run cache


def metric_key(metric: MetricRef, protocol: Protocol) -> dict:
    """What a stored metric record must match to be reused on --resume."""
    return {"metric_version": metric.version, "repeats": protocol.repeats, "sample_size": protocol.sample_size}

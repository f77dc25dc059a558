"""What the driver sends to a job's process: a typed, JSON-serialisable description of one job."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

from secgen_bench.runner.plan import MetricRef


@dataclass(frozen=True)
class JobSpec:
    job_key: str
    track: str                   # name of the track whose job body runs it (secgen_bench.tracks)
    generator: str               # the plugin in the job's generator slot (a generator or a detector)
    generator_target: str        # its "module:attr", imported in the job's process
    profile: str
    seed: int
    device: str
    data_dir: str                # the prepared dataset (data/<key>/)
    job_dir: str                 # where the job writes its sample or scores
    n_synthetic: int             # rows (or sequences) to generate; 0 for a track that generates nothing
    unit: str                    # what n_synthetic counts: "rows" or "sequences" (the generator's unit)
    reference: bool              # the held-out data stands in for a sample
    reuse_output: bool           # the job's stored sample (or scores) may be reused instead of refitting
    repeats: int
    sample_size: int | None
    holdout_fraction: float
    overrides: dict = field(default_factory=dict)
    metrics: tuple[MetricRef, ...] = ()

    def to_dict(self) -> dict:
        out = asdict(self)
        out["metrics"] = [asdict(m) for m in self.metrics]
        return out

    @classmethod
    def from_dict(cls, data: dict) -> "JobSpec":
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"job spec: unknown key {unknown[0]!r}")
        values = dict(data)
        values["metrics"] = tuple(MetricRef(**m) for m in data.get("metrics", ()))
        return cls(**values)

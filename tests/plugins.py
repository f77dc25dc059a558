"""Plugins used by the foundation tests: a tiny dataset, a simple metric, and misbehaving generators."""
from __future__ import annotations

import time

import numpy as np

from secgen_bench.datasets.base import Dataset, LoadedData
from secgen_bench.generators.base import Generator
from secgen_bench.generators.marginals import IndependentMarginals
from secgen_bench.metrics.base import Direction, Metric, MetricResult
from secgen_bench.schema import Role
from tests.tiny_tables import TINY_SCHEMA, tiny_flows


class TinyDataset(Dataset):
    name = "tiny"
    description = "200 random flows for tests"

    def load(self, path=None, *, seed=0, profile="default"):
        return LoadedData(tiny_flows(200), TINY_SCHEMA, {"source": "tests"})


class MeanBytesGap(Metric):
    """|mean bytes real - mean bytes synthetic| / mean bytes real: a real, simple lower-is-better metric."""

    name = "mean-bytes-gap"
    direction = Direction.LOWER

    def compute(self, real, synthetic, schema, *, holdout=None, seed=0):
        col = schema.by_role(Role.BYTES)[0]
        r, s = real[col].mean(), synthetic[col].mean()
        return MetricResult(abs(r - s) / r, {"real_mean": float(r), "synthetic_mean": float(s)})


class Copycat(IndependentMarginals):
    name = "copycat"


class Sleeper(IndependentMarginals):
    name = "sleeper"

    def _fit(self, table, schema, *, seed):
        time.sleep(3600)


class Crasher(IndependentMarginals):
    name = "crasher"

    def _sample(self, n, *, seed):
        raise RuntimeError("boom in sample")


class MemoryHog(IndependentMarginals):
    name = "memory-hog"

    def _fit(self, table, schema, *, seed):
        blocks = []
        for _ in range(64):  # up to 4 GB, touched so it is resident
            blocks.append(np.ones(2**23, dtype=np.float64))
            time.sleep(0.01)


class WrongColumns(IndependentMarginals):
    name = "wrong-columns"

    def _sample(self, n, *, seed):
        return super()._sample(n, seed=seed).drop(columns=["bytes"])


class WrongDtype(IndependentMarginals):
    name = "wrong-dtype"

    def _sample(self, n, *, seed):
        out = super()._sample(n, seed=seed)
        out["dport"] = out["dport"].astype("float64")
        return out


class Exiter(IndependentMarginals):
    name = "exiter"

    def _fit(self, table, schema, *, seed):
        import os

        os._exit(3)


class BrokenGenerator(Generator):
    """Never registered: stands for a class whose module fails to import."""

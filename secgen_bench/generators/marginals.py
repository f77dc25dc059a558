"""Independent marginals: every column drawn independently from its training values.

Not a published model: the floor any real generator must beat. It keeps each
column's distribution exactly and destroys every dependence between columns
and in time, like the ``synth_indep`` metric fixture.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from secgen_bench.generators.base import Generator


class IndependentMarginals(Generator):
    name = "marginals"
    version = "1.0"
    description = "Each column resampled independently from its training values (sanity floor)."

    def _fit(self, table: pd.DataFrame, schema, *, seed: int) -> None:
        self.values_ = {c: table[c].to_numpy() for c in table.columns}

    def _sample(self, n: int, *, seed: int) -> pd.DataFrame:
        rng = np.random.default_rng(seed)
        out = pd.DataFrame({c: v[rng.integers(0, len(v), size=n)] for c, v in self.values_.items()})
        out = out.astype(self.dtypes_)
        ts = self.schema_.timestamp
        if ts is not None:
            out = out.sort_values(ts, kind="stable").reset_index(drop=True)
        return out

"""A generator slow enough that a test can kill a run between two jobs."""
import time

from secgen_bench.generators.marginals import IndependentMarginals


class Slowpoke(IndependentMarginals):
    name = "slowpoke"

    def _fit(self, table, schema, *, seed):
        time.sleep(1.0)
        super()._fit(table, schema, seed=seed)

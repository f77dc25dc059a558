"""Example secgen-bench plugins: a generator (``gaussian-copula-lite``) and a metric (``ks-mean``)."""
from secgen_bench_example.copula import GaussianCopulaLite
from secgen_bench_example.ks import KSMean

__all__ = ["GaussianCopulaLite", "KSMean"]

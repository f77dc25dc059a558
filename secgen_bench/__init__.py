"""secgen-bench: one harness to fit, sample and score synthetic network-traffic generators."""
from secgen_bench.registry import register_dataset, register_generator, register_metric

__version__ = "0.1.0"
__all__ = ["__version__", "register_generator", "register_metric", "register_dataset"]

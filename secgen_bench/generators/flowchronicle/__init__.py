"""FlowChronicle (Cüppers et al., CoNEXT'24) reimplemented: see :mod:`.generator`.

Modules: ``pattern`` (the pattern language), ``encoding`` (table <-> codes),
``occurrences`` (windows), ``cover`` (incremental greedy cover), ``mdl`` (code
lengths), ``bn`` (per-pattern Bayesian networks), ``model`` (the MDL score),
``search`` (greedy candidate search), ``sampling`` (generation). Only
numpy/pandas/scipy are imported.
"""
from secgen_bench.generators.flowchronicle.generator import FlowChronicle, FlowChronicleConfig

__all__ = ["FlowChronicle", "FlowChronicleConfig"]

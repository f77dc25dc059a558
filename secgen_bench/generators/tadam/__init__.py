"""TADAM (SDM'25) reimplemented: timed automata with Gaussian guards learnt by MDL with a noise model.

The packets-track plugin is :class:`.generator.TADAM`. Modules: ``learner``
(:class:`~.learner.TADAMLearner`, the core learner on words, no pandas, also
behind the anomaly detector), ``automaton``, ``corpus``, ``mdl``, ``noise``,
``search``, ``evaluation``.
"""
from secgen_bench.generators.tadam.generator import TADAM, TADAMConfig

__all__ = ["TADAM", "TADAMConfig"]

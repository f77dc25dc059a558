"""TADAM: timed automata with Gaussian guards learnt by MDL with a noise model (SDM'25 reimplementation).

Core learner (no pandas): :class:`secgen_bench.generators.tadam.learner.TADAM`.
Packet-track generator: :class:`secgen_bench.generators.tadam.generator.TADAMGenerator`.
"""
from __future__ import annotations

__all__ = ["TADAM", "TADAMOptions"]


def __getattr__(name):
    if name in __all__:
        from secgen_bench.generators.tadam import learner
        return getattr(learner, name)
    raise AttributeError(name)

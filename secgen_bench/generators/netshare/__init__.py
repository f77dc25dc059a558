"""NetShare (Yin et al., SIGCOMM'22) reimplemented: see :mod:`.generator`.

Modules: ``generator`` (the plugin: flows grouped into series, encoding and
decoding), ``networks`` (the DoppelGANger-style networks and their WGAN-GP
training; imports torch, loaded from inside fit).
"""
from secgen_bench.generators.netshare.generator import NetShare, NetShareConfig

__all__ = ["NetShare", "NetShareConfig"]

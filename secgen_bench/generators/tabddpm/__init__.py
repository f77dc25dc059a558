"""TabDDPM (Kotelnikov et al., ICML 2023) reimplemented: see :mod:`.generator`.

Modules: ``generator`` (the plugin: column kinds, quantile transform, category capping, decoding),
``diffusion`` (the Gaussian + multinomial diffusion and the MLP denoiser; imports torch, loaded from inside fit).
"""
from secgen_bench.generators.tabddpm.generator import TabDDPM, TabDDPMConfig

__all__ = ["TabDDPM", "TabDDPMConfig"]

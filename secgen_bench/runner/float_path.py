"""Which CPU floating-point code path the torch generators ran on, and pinning it so a run replays elsewhere.

PyTorch's CPU wheels pick their vector kernels (ATen), matrix products (MKL) and oneDNN primitives by
the instructions the processor has. Each path rounds differently, and a GAN trained for a dozen epochs
turns those last-bit differences into a different model (the README's "Float path" gives the
spread measured), so a committed baseline replays only on the path it was made on. ``pin()`` sets the three
libraries' documented switches to their AVX2 path, which most x86-64 processors of the last decade run,
before any job process starts (each job inherits the environment); ``describe()`` is what each run
records, so two runs' numbers can be told apart by machine, not by code.
"""
from __future__ import annotations

import os
import platform
from pathlib import Path

# Switch -> value of the AVX2 path: ATen's kernel dispatch, MKL's conditional numerical
# reproducibility (CNR) branch (strict: memory alignment does not matter either), oneDNN's highest
# instruction set.
PORTABLE = {"ATEN_CPU_CAPABILITY": "avx2", "MKL_CBWR": "AVX2,STRICT", "ONEDNN_MAX_CPU_ISA": "AVX2"}
_ISA_FLAGS = ("amx_tile", "avx512f", "avx2")   # what /proc/cpuinfo says, most capable first


def pin() -> dict[str, str]:
    """Set the AVX2 path for every job this process starts; a no-op off x86-64 (the switches are x86's)."""
    if not is_x86_64():
        return {}
    os.environ.update(PORTABLE)
    return dict(PORTABLE)


def pinned_env() -> dict[str, str]:
    """The switches of ``PORTABLE`` set in this process's environment (to forward to remote workers)."""
    return {k: os.environ[k] for k in PORTABLE if k in os.environ}


def describe() -> dict:
    """The processor's widest vector extension and the switches in effect (None: the library chooses)."""
    return {"cpu_isa": cpu_isa(), **{k: os.environ.get(k) for k in PORTABLE}}


def is_x86_64() -> bool:
    return platform.machine().lower() in ("x86_64", "amd64")


def cpu_isa(cpuinfo: Path = Path("/proc/cpuinfo")) -> str | None:
    """``amx_tile``, ``avx512f`` or ``avx2`` from the first processor's flags; None where unknown."""
    try:
        with cpuinfo.open() as fh:
            for line in fh:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    return next((f for f in _ISA_FLAGS if f in flags), None)
    except OSError:
        return None
    return None

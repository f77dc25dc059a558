"""What a result was measured on: versions, machine, git commit (for every record)."""
from __future__ import annotations

import os
import platform
import subprocess
import sys
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from secgen_bench.runner import float_path

PACKAGES = ("secgen-bench", "numpy", "pandas", "scipy", "torch", "pgmpy", "sdv", "ctgan", "scikit-learn", "numba")


def environment() -> dict:
    """The record's ``environment``; the float path is read each time (``run --portable-float`` sets it)."""
    return {**_fixed_environment(), "float_path": float_path.describe()}


@lru_cache(maxsize=1)
def _fixed_environment() -> dict:
    versions = {}
    for pkg in PACKAGES:
        try:
            versions[pkg] = version(pkg)
        except PackageNotFoundError:
            versions[pkg] = None
    try:
        import psutil

        mem_gb = round(psutil.virtual_memory().total / 2**30, 1)
    except Exception:
        mem_gb = None
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "memory_gb": mem_gb,
        "versions": versions,
        "git_commit": _git_commit(),
    }


def _git_commit() -> str | None:
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=here, capture_output=True, text=True,
                             timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None

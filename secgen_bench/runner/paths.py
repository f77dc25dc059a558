"""Every folder and file the harness builds from a name (job key, dataset key) stays where it belongs.

Keys are made of plugin and dataset names, which nothing forbids to contain
``/`` or ``..``; a resolved path that is not directly inside its root
(a symlink pointing elsewhere included) is refused before anything is written.
"""
from __future__ import annotations

from pathlib import Path

from secgen_bench.errors import RunError


def child_of(root: Path, path: Path, what: str) -> Path:
    """``path`` when, resolved, it is an entry directly under ``root`` (resolved); RunError otherwise."""
    base = Path(root).resolve()
    resolved = Path(path).resolve()
    if resolved.parent != base:
        raise RunError(f"{what} {str(path)!r} resolves to {resolved}, outside {base}: a plugin or dataset name "
                       f"may not contain path separators or '..'")
    return path

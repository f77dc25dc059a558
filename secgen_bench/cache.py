"""Where secgen-bench keeps downloads and cached synthetic data: ``$SECGEN_BENCH_CACHE`` or the user cache dir."""
from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    env = os.environ.get("SECGEN_BENCH_CACHE")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("secgen-bench"))

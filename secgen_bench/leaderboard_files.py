"""The leaderboard files of a run directory: ``leaderboard.md``, ``leaderboard.csv``, ``leaderboard.json``.

Why a module of its own: ``run`` and ``reproduce`` both leave them beside the records, in the same
form, and ``compare`` reads the JSON back (``compare.load_boards``).
"""
from __future__ import annotations

import json
from pathlib import Path


def write_leaderboards(root: Path, boards) -> None:
    """Write the three files of ``boards`` into ``root``; the run's notes (run.json) go under each title."""
    from secgen_bench import leaderboard
    from secgen_bench.runner.store import atomic_write_bytes, write_json

    root = Path(root)
    notes = {}
    if (root / "run.json").is_file():
        try:
            notes = json.loads((root / "run.json").read_text()).get("notes") or {}
        except (json.JSONDecodeError, AttributeError) as exc:
            raise ValueError(f"{root / 'run.json'}: not a run record ({exc})") from None
    atomic_write_bytes(root / "leaderboard.md", leaderboard.to_markdown(boards, notes).encode())
    atomic_write_bytes(root / "leaderboard.csv", leaderboard.to_csv(boards).encode())
    write_json(root / "leaderboard.json", [b.to_dict() for b in boards])

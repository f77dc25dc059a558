"""The ``secgen-bench report RUN_DIR [-o report.html]`` verb (matplotlib is imported only when it runs)."""
from __future__ import annotations

import importlib.util
from pathlib import Path


def add_command(subparsers) -> None:
    s = subparsers.add_parser("report", help="write a self-contained HTML report (leaderboard and plots) of a run")
    s.add_argument("run_dir", help="a run directory written by `secgen-bench run`")
    s.add_argument("-o", "--output", help="HTML file to write (default: RUN_DIR/report.html)")
    s.set_defaults(func=cmd_report)


def cmd_report(args) -> int:
    from secgen_bench.errors import UsageError

    run_dir = Path(args.run_dir)
    if not run_dir.is_dir():
        raise UsageError(f"{args.run_dir}: no such run directory")
    if not (run_dir / "jobs").is_dir():
        raise UsageError(f"{args.run_dir}: not a run directory (no jobs/ folder)")
    if importlib.util.find_spec("matplotlib") is None:
        raise UsageError("the report needs matplotlib: pip install 'secgen-bench[report]'")
    from secgen_bench.report import write_report

    out = write_report(run_dir, args.output)
    print(f"report written to {out}")
    return 0

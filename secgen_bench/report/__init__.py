"""A self-contained HTML report of a run directory (``secgen-bench report RUN_DIR``); needs the ``report`` extra."""
from __future__ import annotations

from pathlib import Path


def write_report(run_dir: str | Path, output: str | Path | None = None) -> Path:
    """Render ``run_dir``'s report to ``output`` (default ``RUN_DIR/report.html``) and return the path."""
    from secgen_bench.report.html import write_report as _write

    return _write(run_dir, output)

"""Every real flow and packet sample of the shared data loads with ``--format auto`` and runs end to end.

The samples are found, not listed: every file under ``$SECGEN_BENCH_DATA``
(default ``../shared/data``) except the HDFS logs (the anomaly track, not
flows or packets), the README and nDPI's expected-output ``*.out`` files,
plus each folder of several files of one dataset (UNSW-NB15). Each runs
``run -g independent-bn --quick --format auto`` in this process (inline
executor), one seed, ``--max-rows 300``, one cheap metric (jsd): the point
is that the file loads and a run goes through, not the numbers. The nDPI
captures (about 270 small files of one format) all load; three run end to end.
The tests skip when the data folder is absent.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from secgen_bench.cli import main
from secgen_bench.datasets.common import DataFormatError
from secgen_bench.datasets.detect import sniff_format
from secgen_bench.datasets.loading import DatasetSource, load_dataset
from tests.conftest import shared_data_dir

DATA = shared_data_dir()
NOT_FLOWS = {"hdfs"}          # log sessions: the anomaly track's data
NDPI = Path("pcaps") / "ndpi"
# NF-BoT-IoT-v2's sample holds 45 benign flows in 10,000: a 300-row sample keeps about one, too few to split
# into benign training and holdout rows, so that file is read whole
WHOLE = {"NF-BoT-IoT-v2.rows1-10000.csv"}


def samples() -> list[Path]:
    if DATA is None:
        return []
    files = [p for p in sorted(DATA.rglob("*")) if p.is_file() and not p.name.startswith(".")
             and p.name != "README.md" and not p.name.endswith(".out")
             and not set(p.relative_to(DATA).parts) & NOT_FLOWS and NDPI not in p.relative_to(DATA).parents]
    folders = sorted({p.parent for p in files if p.parent.name == "unsw-nb15"})
    return files + folders


def ndpi_captures() -> list[Path]:
    folder = DATA / NDPI if DATA is not None else None
    if folder is None or not folder.is_dir():
        return []
    return [p for p in sorted(folder.iterdir()) if p.is_file() and not p.name.endswith(".out")]


def packets_only(path: Path) -> bool:
    """A packet sample with no flow columns (CESNET's flat IPT_/DIR_/SIZE_ file): it runs on the packets track."""
    if path.is_dir() or sniff_format(path) != "cesnet-miner22":
        return False
    return "TIME_FIRST" not in path.open(encoding="utf-8", errors="replace").readline()


def run_independent_bn(path: Path, tmp_path: Path, capsys) -> dict:
    limit = [] if path.name in WHOLE else ["--max-rows", "300"]
    out = tmp_path / "run"
    code = main(["run", "-g", "independent-bn", "--quick", "--data", str(path), "--format", "auto", *limit,
                 "--seeds", "0", "--metrics", "jsd", "--executor", "inline", "--no-progress", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 0, err
    board = json.loads((out / "leaderboard.json").read_text())[0]
    return board["rows"]


@pytest.mark.parametrize("path", samples() or [pytest.param(None, marks=pytest.mark.skip("real data folder absent"))],
                         ids=lambda p: str(p.relative_to(DATA)) if p is not None else "none")
def test_real_sample_loads_with_format_auto_and_runs_independent_bn(path, tmp_path, capsys):
    if packets_only(path):
        loaded = load_dataset(DatasetSource(path=str(path)), "quick", 0, "packets")
        assert len(loaded.table) > 0 and loaded.schema.by_role("sequence_id")
        code = main(["run", "-g", "independent-bn", "--quick", "--data", str(path), "--out", str(tmp_path / "r"),
                     "--no-progress"])
        err = capsys.readouterr().err
        assert code == 2 and len(err.strip().splitlines()) == 1 and path.name in err   # no flow columns: said so
        return
    rows = run_independent_bn(path, tmp_path, capsys)
    assert rows["independent-bn"]["jsd"]["mean"] is not None, rows["independent-bn"]


def test_every_ndpi_capture_loads_or_says_why_in_one_line():
    captures = ndpi_captures()
    if not captures:
        pytest.skip("nDPI captures absent")
    loaded = 0
    for path in captures:
        assert sniff_format(path) == "pcap", path
        try:
            data = load_dataset(DatasetSource(path=str(path)), "quick", 0, "flows")
        except DataFormatError as exc:   # no IP packets at all, or a cut-off (fuzzing) capture
            assert len(str(exc).splitlines()) == 1 and path.name in str(exc)
            assert "no IPv4/IPv6 packets" in str(exc) or "truncated capture" in str(exc), str(exc)
            continue
        assert len(data.table) > 0
        loaded += 1
    assert loaded > 0   # every other capture failed for one of the two reasons above


@pytest.mark.parametrize("index", [0, 1, 2])
def test_ndpi_captures_run_independent_bn(index, tmp_path, capsys):
    usable = [p for p in ndpi_captures() if p.stat().st_size > 20_000][:3]   # enough flows to split
    if index >= len(usable):
        pytest.skip("nDPI captures absent")
    rows = run_independent_bn(usable[index], tmp_path, capsys)
    assert rows["independent-bn"]["jsd"]["mean"] is not None

"""The committed paper-profile leaderboard is what its committed job records give today."""
from pathlib import Path

from secgen_bench import leaderboard

HERE = Path(__file__).resolve().parent.parent / "leaderboards" / "paper-profile"


def test_paper_profile_table_rebuilds_from_its_run_records():
    boards = leaderboard.build(HERE / "run")
    assert leaderboard.to_markdown(boards) == (HERE / "leaderboard.md").read_text()


def test_paper_profile_has_one_timeout_row_and_full_budgets():
    md = (HERE / "leaderboard.md").read_text()
    rows = [line for line in md.splitlines() if line.startswith("| ")]
    timeouts = [line.split("|")[1].strip() for line in rows if "TIMEOUT" in line]
    assert timeouts == ["transformer"]
    for gen, units in [("ctgan", "300/300 ep"), ("tvae", "300/300 ep"), ("netshare", "400/400 ep"),
                       ("ewgan-gp", "50000/50000 st")]:
        row = next(line for line in rows if line.startswith(f"| {gen} |"))
        assert units in row, gen

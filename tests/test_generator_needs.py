"""Roles a generator needs: a dataset without them lists the generator as n/a (with the reason), never ERROR, never ranked."""
from __future__ import annotations

import json

import pandas as pd

from secgen_bench.leaderboard import board_from_frame
from secgen_bench.runner.refs import missing_roles
from secgen_bench.schema import Column, FlowSchema, Role

UNTIMED = FlowSchema("untimed", (Column("port", Role.PORT), Column("bytes", Role.BYTES, "out")))
TIMED = FlowSchema("timed", (Column("ts", Role.TIMESTAMP),) + UNTIMED.columns)
NO_KEYS = FlowSchema("nokeys", (Column("bytes", Role.BYTES, "out"),))


def test_missing_roles_reads_needs():
    assert missing_roles("flowchronicle", TIMED) is None
    assert missing_roles("flowchronicle", UNTIMED) == "needs a timestamp column; dataset schema 'untimed' has none"
    assert missing_roles("netshare", UNTIMED) is None                       # a port is one of its keys
    assert "ip or port or protocol" in missing_roles("netshare", NO_KEYS)
    assert missing_roles("independent-bn", NO_KEYS) is None


def _records(gen, status, values):
    return [{"dataset": "d", "generator": gen, "seed": s, "metric": m, "direction": "lower", "value": v,
             "status": status, "error": None if status == "ok" else "needs a timestamp column", "std": None}
            for s, (m, v) in enumerate(values)]


def test_board_lists_na_and_ranks_only_those_that_ran():
    frame = pd.DataFrame(_records("a", "ok", [("jsd", 0.1), ("cmd", 0.2)]) + _records("b", "ok", [("jsd", 0.3), ("cmd", 0.1)])
                         + _records("c", "n/a", [("jsd", None), ("cmd", None)]))
    board = board_from_frame("d", frame, ranking="strict")
    assert board.rows["c"]["jsd"].text() == "n/a" and board.rows["c"]["jsd"].rank is None
    assert board.avg_rank["c"] is None and board.order[-1] == "c"
    assert board.rows["b"]["jsd"].rank == 2.0 and board.avg_rank == {"a": 1.5, "b": 1.5, "c": None}


def test_run_marks_flowchronicle_na_on_an_untimed_table(tmp_path, capsys):
    from secgen_bench.cli import main

    rng = __import__("numpy").random.default_rng(0)
    path = tmp_path / "nf.csv"
    rows = [f"10.0.0.{i % 9},{1024 + i},10.0.1.{i % 3},{[80, 443, 53][i % 3]},6,7.0,{100 + int(rng.integers(0, 900))},"
            f"{int(rng.integers(0, 500))},{1 + i % 5},{i % 4},27,{int(rng.integers(1, 5000))},0,Benign" for i in range(400)]
    path.write_text("IPV4_SRC_ADDR,L4_SRC_PORT,IPV4_DST_ADDR,L4_DST_PORT,PROTOCOL,L7_PROTO,IN_BYTES,OUT_BYTES,IN_PKTS,"
                    "OUT_PKTS,TCP_FLAGS,FLOW_DURATION_MILLISECONDS,Label,Attack\n" + "\n".join(rows) + "\n")
    out = tmp_path / "run"
    code = main(["run", "-g", "independent-bn,flowchronicle", "--quick", "--data", str(path), "--out", str(out),
                 "--no-progress", "--metrics", "jsd,cmd", "--seeds", "0"])
    assert code == 0
    jobs = {}
    for p in out.glob("jobs/*/job.json"):
        jobs[json.loads(p.read_text())["generator"]["name"]] = p.parent
    fc = json.loads((jobs["flowchronicle"] / "job.json").read_text())
    assert fc["status"] == "n/a" and "timestamp" in fc["error"]
    assert json.loads((jobs["independent-bn"] / "job.json").read_text())["status"] == "ok"
    metric = json.loads((jobs["flowchronicle"] / "metrics" / "jsd.json").read_text())
    assert metric["status"] == "n/a" and metric["value"] is None and "timestamp" in metric["error"]
    shown = capsys.readouterr().out
    assert "N/A" in shown and "flowchronicle" in shown and "ERROR" not in shown.split("Cells:")[0]

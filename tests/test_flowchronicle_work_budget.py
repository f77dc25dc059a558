"""FlowChronicle's work budget (``max_test_rows``): a count of candidate tests, so a capped fit stops at the
same point on any machine; the budget says where it stopped; chunks and re-scoring share it by rows."""
from __future__ import annotations

import pandas as pd
import pytest

from secgen_bench.datasets.schemas import CIDDS_BI
from secgen_bench.generators.flowchronicle import FlowChronicle
from tests.test_flowchronicle_generator import planted_table


@pytest.fixture(scope="module")
def table():
    return pd.concat([planted_table(seed=s) for s in range(3)], ignore_index=True)


def patterns(g: FlowChronicle) -> list:
    return [e.pattern for e in g.model_.entries.values()]


def test_capped_search_stops_after_its_tests_and_says_so(table):
    n = len(table)
    free = FlowChronicle(profile="default", chunks=1, max_test_rows=0, time_budget_s=0.0).fit(table, CIDDS_BI, seed=0)
    assert free.budget_.converged and free.budget_.details["max_tests"] is None
    total = free.budget_.details["tests"]
    assert total > 6                                   # the uncapped search needs more tests than the cap below
    capped = FlowChronicle(profile="default", chunks=1, max_test_rows=n * 6, time_budget_s=0.0).fit(table, CIDDS_BI, seed=0)
    b = capped.budget_
    assert b.details["max_tests"] == 6 and b.details["tests"] == 6
    assert b.details["stop_reason"] == "max_tests" and not b.converged and b.stopped == "cap"
    assert len(patterns(capped)) < len(patterns(free)) or capped.total_bits_ > free.total_bits_


def test_cap_is_a_count_not_a_clock(table, monkeypatch):
    """The same cap gives the same model when the clock runs a hundred times faster (a slow machine):
    with the safety net out of reach, only the count decides where the search ends."""
    from secgen_bench.generators.flowchronicle import search as search_module

    opts = dict(chunks=1, max_test_rows=len(table) * 8, time_budget_s=1800.0)
    normal = FlowChronicle(profile="default", **opts).fit(table, CIDDS_BI, seed=0)
    real = search_module.time.perf_counter
    monkeypatch.setattr(search_module.time, "perf_counter", lambda: real() * 100.0)
    slow = FlowChronicle(profile="default", **opts).fit(table, CIDDS_BI, seed=0)
    assert patterns(slow) == patterns(normal) and slow.total_bits_ == normal.total_bits_
    pd.testing.assert_frame_equal(slow.sample(300, seed=2), normal.sample(300, seed=2))


def test_default_cap_is_not_reached_on_a_small_table(table):
    g = FlowChronicle(profile="default", chunks=1).fit(table, CIDDS_BI, seed=0)
    assert g.budget_.details["max_tests"] == 30_000_000 // len(table)
    assert g.budget_.details["tests"] < g.budget_.details["max_tests"] and g.budget_.converged


def test_chunks_and_rescoring_share_the_budget_by_rows(table):
    """Each chunk's search and the whole-table re-scoring may run max_test_rows / n tests (n = all flows)."""
    n = len(table)
    g = FlowChronicle(profile="default", chunks=3, chunk_workers=1, max_test_rows=n * 4,
                      time_budget_s=0.0).fit(table, CIDDS_BI, seed=0)
    d = g.budget_.details
    assert d["max_tests"] == 4
    assert all(c["tests"] <= 4 for c in d["per_chunk"])
    assert any(c["stopped"] == "max_tests" for c in d["per_chunk"]) and not g.budget_.converged
    assert d["rescore"]["max_tests"] == 4 and d["rescore"]["tested"] <= 4


def test_a_safety_net_that_fires_is_reported(table):
    g = FlowChronicle(profile="default", chunks=1, time_budget_s=1e-9).fit(table, CIDDS_BI, seed=0)
    assert g.budget_.details["stop_reason"] == "time_budget_s" and g.budget_.stopped == "time"
    assert not g.budget_.converged

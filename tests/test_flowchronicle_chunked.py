"""Chunked FlowChronicle mining: chunks=1 is the single pass, chunks=k finds patterns deterministically
(in one process or a pool), every kept pattern pays for itself on the whole table, the budget says so."""
from __future__ import annotations

import pandas as pd
import pytest

from secgen_bench.config import ConfigError, build_config
from secgen_bench.generators.flowchronicle import FlowChronicle
from secgen_bench.generators.flowchronicle.chunked import AUTO_MIN_ROWS, chunk_bounds, resolve_chunks
from tests.test_flowchronicle_generator import planted_table

LIMITS = {"max_rounds": 8, "time_budget_s": 0.0}   # no time cap: results do not depend on machine speed


@pytest.fixture(scope="module")
def table():
    return pd.concat([planted_table(seed=s) for s in range(3)], ignore_index=True)


@pytest.fixture(scope="module")
def chunked2(table):
    from secgen_bench.datasets.schemas import CIDDS_BI

    return FlowChronicle(profile="default", chunks=2, **LIMITS).fit(table, CIDDS_BI, seed=0)


def summary(g: FlowChronicle) -> tuple:
    return sorted((p["text"], p["usage"]) for p in g.patterns()), round(g.total_bits_, 6)


def test_chunks_one_is_the_single_pass(table):
    """chunks=1 (and auto on a small table) runs today's search: same patterns, bits and sample as a
    GreedySearch over the whole table driven directly."""
    from secgen_bench.datasets.schemas import CIDDS_BI
    from secgen_bench.generators.flowchronicle.encoding import FlowEncoding
    from secgen_bench.generators.flowchronicle.model import MDLModel
    from secgen_bench.generators.flowchronicle.search import GreedySearch, SearchLimits

    one = FlowChronicle(profile="default", chunks=1, **LIMITS).fit(table, CIDDS_BI, seed=0)
    auto = FlowChronicle(profile="default", **LIMITS).fit(table, CIDDS_BI, seed=0)
    assert auto.config.chunks == "auto" and summary(auto) == summary(one)
    pd.testing.assert_frame_equal(one.sample(300, seed=1), auto.sample(300, seed=1))
    enc = FlowEncoding(table, CIDDS_BI, n_bins=40, decode="joint")
    model = MDLModel(enc.codes, enc.times, max_indegree=3)
    GreedySearch(model, enc.ip_columns, SearchLimits(max_rounds=8)).run()
    assert [e.pattern for e in model.entries.values()] == [e.pattern for e in one.model_.entries.values()]
    assert model.total_bits() == one.total_bits_
    assert "chunks" not in one.budget_.details


def test_two_chunks_find_patterns_deterministically(table, chunked2):
    from secgen_bench.datasets.schemas import CIDDS_BI

    g = chunked2
    assert len(g.patterns()) >= 2 and g.total_bits_ < g.empty_bits_
    assert any(p["rows"] >= 2 for p in g.patterns())           # sequences, not only single flows
    serial = FlowChronicle(profile="default", chunks=2, chunk_workers=1, **LIMITS).fit(table, CIDDS_BI, seed=0)
    assert summary(serial) == summary(g)                        # the pool changes nothing
    pd.testing.assert_frame_equal(serial.sample(500, seed=3), g.sample(500, seed=3))
    # every kept pattern pays for itself on the whole table: removing it would lengthen the code
    assert all(p["gain_bits"] > 0 for p in g.patterns())


def test_budget_records_the_chunks(table, chunked2):
    b = chunked2.budget_
    d = b.details
    assert d["chunks"] == 2 and len(d["per_chunk"]) == 2
    assert sum(c["rows"] for c in d["per_chunk"]) == len(table)
    assert b.done == sum(c["rounds"] for c in d["per_chunk"])
    assert d["merged_candidates"] <= sum(c["patterns"] for c in d["per_chunk"])
    assert d["rescore"]["accepted"] <= d["rescore"]["tested"] <= d["merged_candidates"]
    assert d["patterns"] == len(chunked2.model_.entries) == d["rescore"]["kept"]
    assert all(c["stopped"] in ("converged", "max_rounds") for c in d["per_chunk"])
    assert b.stopped == ("converged" if b.converged else "cap")


def test_chunked_model_saves_and_loads(chunked2, tmp_path):
    path = tmp_path / "fc-chunked"
    chunked2.save(path)
    loaded = FlowChronicle.load(path)
    assert loaded.config.chunks == 2 and summary(loaded) == summary(chunked2)
    pd.testing.assert_frame_equal(loaded.sample(200, seed=5), chunked2.sample(200, seed=5))


def test_chunk_rule_and_bounds():
    assert resolve_chunks("auto", AUTO_MIN_ROWS - 1) == 1
    assert resolve_chunks("auto", 1_000_000) == 20
    assert resolve_chunks(8, 5) == 5
    bounds = chunk_bounds(1003, 4)
    assert bounds[0][0] == 0 and bounds[-1][1] == 1003
    assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:]))
    assert max(b - a for a, b in bounds) - min(b - a for a, b in bounds) <= 1


@pytest.mark.parametrize("value", ["0", "-2", "many", 1.5, True])
def test_bad_chunks_option(value):
    with pytest.raises(ConfigError, match="chunks"):
        build_config(FlowChronicle.Config, "flowchronicle", overrides={"chunks": value})


def test_chunks_option_from_the_command_line():
    assert build_config(FlowChronicle.Config, "flowchronicle", overrides={"chunks": "4"}).chunks == 4
    assert build_config(FlowChronicle.Config, "flowchronicle", overrides={"chunks": "AUTO"}).chunks == "auto"
    with pytest.raises(ConfigError, match="chunk_executor"):
        build_config(FlowChronicle.Config, "flowchronicle", overrides={"chunk_executor": "mpi"})


# ---- Ray: a real two-node local cluster (head + one worker started with `ray start`) -----------------------
@pytest.fixture(scope="module")
def two_node_ray():
    from pathlib import Path

    from secgen_bench.runner.ray_local import local_ray_cluster

    ray = pytest.importorskip("ray")
    if ray.is_initialized():
        pytest.skip("a Ray session is already running in this process")
    with local_ray_cluster(nodes=2, cpus_per_node=1, pythonpath=str(Path(__file__).resolve().parents[1])) as cluster:
        ray.init(address=cluster.address, log_to_driver=False, configure_logging=False)
        try:
            yield ray
        finally:
            ray.shutdown()


@pytest.mark.slow
def test_ray_two_nodes_same_patterns_as_the_pool(two_node_ray, table, chunked2):
    """Chunks as Ray tasks on a two-node cluster give the same model as the local process pool."""
    from secgen_bench.datasets.schemas import CIDDS_BI

    nodes = [n for n in two_node_ray.nodes() if n["Alive"]]
    assert len(nodes) == 2 and sum(n["Resources"].get("CPU", 0) for n in nodes) == 2
    on_ray = FlowChronicle(profile="default", chunks=2, chunk_executor="ray", **LIMITS).fit(table, CIDDS_BI, seed=0)
    assert summary(on_ray) == summary(chunked2)
    # "auto" picks Ray because this process runs a Ray session
    auto = FlowChronicle(profile="default", chunks=2, **LIMITS).fit(table, CIDDS_BI, seed=0)
    assert summary(auto) == summary(chunked2)

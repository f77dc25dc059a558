"""The library functions the thin CLI calls: the same results as the commands, usable without the CLI."""
import json

import pandas as pd
import pytest

from secgen_bench.config import ConfigError, plugin_overrides
from secgen_bench.evaluation import select_metrics


# ---- reproduce.write_outputs --------------------------------------------------------------------------
def test_write_outputs_writes_the_table_beside_the_paper_and_the_leaderboard(tmp_path):
    from secgen_bench.reproduce import PAPER_METRICS, compare_with_paper, load_paper_table, write_outputs
    from tests.test_reproduce import board_with

    rep = compare_with_paper(board_with(load_paper_table()[list(PAPER_METRICS.values())]), ["a note"])
    rep.wall_s = 12.0
    md, js = write_outputs(rep, tmp_path / "out", "flowchronicle-table2", "secgen-bench reproduce x")
    text = md.read_text()
    assert text.startswith("# flowchronicle-table2: secgen-bench vs the published table")
    assert "Command: `secgen-bench reproduce x`" in text and "Wall time: 12 s" in text
    assert rep.to_markdown() in text
    data = json.loads(js.read_text())
    assert data["order"] == rep.order() and data["notes"] == ["a note"]
    assert data["kendall_tau"]["cmd"] == pytest.approx(1.0)
    board = json.loads((tmp_path / "out" / "leaderboard.json").read_text())
    assert [b["dataset"] for b in board] == ["cidds001-bi"]
    assert (tmp_path / "out" / "leaderboard.md").read_text().startswith("### cidds001-bi")
    assert pd.read_csv(tmp_path / "out" / "leaderboard.csv")["generator"].iloc[0] == "reference"


# ---- evaluation.select_metrics ------------------------------------------------------------------------
def test_select_metrics_without_a_holdout_leaves_out_the_holdout_metrics_with_a_note():
    classes, notes = select_metrics(None, have_holdout=False)
    names = {c.name for c in classes}
    assert "jsd" in names and "md" not in names
    assert any(n.startswith("md skipped (needs --holdout)") for n in notes)
    with_holdout, _ = select_metrics(None, have_holdout=True)
    assert "md" in {c.name for c in with_holdout}
    assert all(getattr(c, "track", "flows") == "flows" for c in with_holdout)


def test_select_metrics_by_name_refuses_a_holdout_metric_without_a_holdout():
    assert [c.name for c in select_metrics(["jsd", "cmd"], have_holdout=False)[0]] == ["jsd", "cmd"]
    with pytest.raises(ValueError, match="metric 'md' needs --holdout"):
        select_metrics(["md"], have_holdout=False)
    with pytest.raises(ValueError, match="unknown metric 'nope'"):
        select_metrics(["nope"], have_holdout=True)


# ---- config.plugin_overrides --------------------------------------------------------------------------
def _options(name):
    known = {"tvae": ["epochs", "batch_size"], "plugin-x": None}
    if name not in known:
        raise ValueError(f"unknown generator {name!r}")
    return known[name]


def test_plugin_overrides_groups_by_plugin():
    got = plugin_overrides(["tvae.epochs=5", "tvae.batch_size = 64", "plugin-x.anything=1"], _options)
    assert got == {"tvae": {"epochs": "5", "batch_size": "64"}, "plugin-x": {"anything": "1"}}


@pytest.mark.parametrize("items, chosen, message", [
    (["epochs=5"], None, "use GENERATOR.OPTION=VALUE"),
    (["tvae.=5"], None, "use GENERATOR.OPTION=VALUE"),
    (["nope.epochs=5"], None, "--set nope.epochs=5: unknown generator 'nope'"),
    (["tvae.epochz=5"], None, "unknown option 'epochz'; options are batch_size, epochs"),
    (["tvae.epochs=5"], ["plugin-x"], "'tvae' is not among the plugins of this command (plugin-x)"),
])
def test_plugin_overrides_refuses_what_nobody_would_read(items, chosen, message):
    with pytest.raises(ConfigError) as info:
        plugin_overrides(items, _options, chosen)
    assert message in str(info.value)


# ---- generate.fit_and_sample / generate ---------------------------------------------------------------
def test_generate_writes_what_fit_and_sample_draws(tmp_path):
    from secgen_bench import registry
    from secgen_bench.generate import fit_and_sample, generate
    from secgen_bench.datasets.loading import DatasetSource, load_dataset
    from secgen_bench.tables import read_flow_csv

    source = DatasetSource(name="simnet")
    n = generate("marginals", source, 40, tmp_path / "s.csv", seed=3, profile="quick")
    data = load_dataset(source, "quick", seed=3)
    table = data.schema.validate(data.table, source="simnet")
    phases = []
    fitted = fit_and_sample(registry.generators.get("marginals"), table, data.schema, 40, seed=3, name="marginals",
                            profile="quick", report=phases.append)
    assert n == 40 and phases == ["configure", "fit", "sample", "check"]
    assert list(fitted.sample.dtypes.astype(str)) == list(table.dtypes.astype(str))
    written = read_flow_csv(tmp_path / "s.csv", data.schema)
    pd.testing.assert_frame_equal(data.schema.validate(written, ranges=False), fitted.sample)
    assert fitted.fit_s >= 0 and fitted.sample_s >= 0

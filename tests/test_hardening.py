"""Input hardening: unsafe plugin names, values that would turn into wrong numbers, one resolver."""
import json
import re

import numpy as np
import pytest

from secgen_bench import builtins, registry
from secgen_bench.cli import main
from secgen_bench.registry import Registry, RegistryError
from secgen_bench.schema import SchemaError
from tests.tiny_tables import TINY_SCHEMA


def fresh(builtins=None, group="secgen_bench.test-none"):
    return Registry("generator", group, lambda: dict(builtins or {}))


# ---- names become job folders and cache files: nothing may escape them -----------------------
@pytest.mark.parametrize("name", ["../../x", "..", "a/b", "a\\b", "A", "", ".hidden", "-x", "a..b", "x y", 3])
def test_an_unsafe_name_is_refused_naming_it(name):
    with pytest.raises(RegistryError, match=re.escape(f"name {name!r} (from decorator) is refused")):
        fresh().register(name, "tests.plugins:Copycat")


def test_the_decorator_refuses_an_unsafe_name():
    with pytest.raises(RegistryError, match=r"'\.\./\.\./x' \(from decorator\) is refused"):
        @registry.register_generator("../../x")
        class Escaper:
            pass
    assert "../../x" not in registry.generators.names()


def test_a_builtin_with_an_unsafe_name_is_refused():
    with pytest.raises(RegistryError, match=r"'\.\./evil' \(from builtin\) is refused"):
        fresh(builtins={"../evil": "tests.plugins:Copycat"}).names()


def test_an_entry_point_with_an_unsafe_name_is_refused(tmp_path, monkeypatch):
    dist = tmp_path / "evil_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: evil-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[secgen_bench.test-evil]\n../../escape = tests.plugins:Copycat\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(RegistryError, match=r"'\.\./\.\./escape' \(from entry point of evil-plugin\) is refused"):
        fresh(group="secgen_bench.test-evil").names()


def test_every_builtin_name_is_accepted():
    for table in (builtins.GENERATORS, builtins.METRICS, builtins.DATASETS, builtins.DETECTORS):
        r = fresh(builtins=table)
        assert r.names() == sorted(table)
    assert "rti+" in registry.detectors.names()


def test_one_resolver_for_module_attr_targets():
    import ast
    from pathlib import Path

    import secgen_bench
    from tests.plugins import TinyDataset

    package = Path(secgen_bench.__file__).parent
    resolvers = [str(p.relative_to(package)) for p in package.rglob("*.py")
                 for node in ast.walk(ast.parse(p.read_text()))
                 if isinstance(node, ast.FunctionDef) and node.name == "import_target"]
    assert resolvers == ["registry.py"]
    assert registry.import_target("tests.plugins:TinyDataset") is TinyDataset
    assert registry.import_target("tests.plugins:TinyDataset.load") is TinyDataset.load
    assert registry.import_target("tests.plugins").__name__ == "tests.plugins"
    with pytest.raises(AttributeError):
        registry.import_target("tests.plugins:NoSuchThing")


# ---- values that would silently become wrong numbers ------------------------------------------
@pytest.mark.parametrize("ranges", [True, False])
@pytest.mark.parametrize("column, value, message", [
    ("bytes", 1e308, "bytes too large for a 64-bit integer 1e+308 (row 3)"),
    ("bytes", 2.0 ** 63, "too large for a 64-bit integer"),
    ("bytes", -7, "negative bytes -7.0 (row 3)"),
    ("bytes", float("inf"), "non-finite value inf (row 3)"),
    ("dur", float("nan"), "missing value nan (row 3)"),
    ("dur", 1e300, "value too large to compute with (above 1e+150) 1e+300 (row 3)"),
])
def test_out_of_range_values_are_refused_in_real_and_synthetic_tables(ranges, column, value, message, tiny_table):
    t = tiny_table.astype({column: "float64"})
    t.loc[3, column] = value
    with pytest.raises(SchemaError) as err:
        TINY_SCHEMA.validate(t, source="flows.csv", ranges=ranges)
    text = str(err.value)
    assert "\n" not in text and text.startswith("flows.csv: column ") and message in text


def test_a_large_counter_within_int64_is_kept_exactly(tiny_table):
    t = tiny_table
    t.loc[0, "bytes"] = 2 ** 62
    assert TINY_SCHEMA.validate(t)["bytes"].iloc[0] == 2 ** 62


def test_negative_duration_stays_allowed_in_synthetic_tables(tiny_table):
    """DKC scores a negative duration (its rule 'negative-duration'): refusing it would hide that."""
    t = tiny_table
    t.loc[0, "dur"] = -1.0
    assert TINY_SCHEMA.validate(t, ranges=False)["dur"].iloc[0] == -1.0
    with pytest.raises(SchemaError, match="negative duration"):
        TINY_SCHEMA.validate(t)


def _fixture_with(fx, tmp_path, column, value, row=4):
    lines = (fx / "real_500.csv").read_text().splitlines()
    header = lines[0].split(",")
    cells = lines[row + 1].split(",")
    cells[header.index(column)] = value
    lines[row + 1] = ",".join(cells)
    out = tmp_path / f"bad_{column.replace(' ', '_')}.csv"
    out.write_text("\n".join(lines) + "\n")
    return out


@pytest.mark.parametrize("which", ["--real", "--synthetic"])
@pytest.mark.parametrize("column, value, message", [
    ("In Byte", "1e308", "column 'In Byte': bytes too large for a 64-bit integer 1e+308 (row 4)"),
    ("Out Byte", "-5", "column 'Out Byte': negative bytes -5 (row 4)"),
    ("Out Packet", "inf", "column 'Out Packet': non-finite value"),
    ("Duration", "1e308", "column 'Duration': value too large to compute with"),
])
def test_evaluate_refuses_wrong_numbers_in_either_file(which, column, value, message, shared_specs, tmp_path, capsys):
    fx = shared_specs / "metric-fixtures"
    bad = _fixture_with(fx, tmp_path, column, value)
    files = {"--real": str(fx / "real_500.csv"), "--synthetic": str(fx / "synth_indep_500.csv")}
    files[which] = str(bad)
    code = main(["evaluate", "--real", files["--real"], "--synthetic", files["--synthetic"],
                 "--metrics", "emd", "--repeats", "1", "--json"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert message in err and bad.name in err


def test_evaluate_still_scores_valid_files(shared_specs, capsys):
    fx = shared_specs / "metric-fixtures"
    code = main(["evaluate", "--real", str(fx / "real_500.csv"), "--synthetic", str(fx / "synth_indep_500.csv"),
                 "--metrics", "emd", "--repeats", "1", "--json"])
    assert code == 0
    emd = json.loads(capsys.readouterr().out)["emd"]
    assert np.isfinite(emd) and 0 <= emd < 1


@pytest.mark.parametrize("cell, value, message", [
    (9, "1e308", "line 9: column 'orig_bytes': too large (beyond 64-bit integers) value '1e308'"),
    (0, "9" * 25, "line 9: column 'ts': timestamp out of range (after 2262) '" + "9" * 25 + "'"),
    (0, "2999-01-01", "line 9: column 'ts': unparsable timestamp '2999-01-01' (other lines give epoch seconds)"),
])
def test_convert_names_the_line_of_a_log_value_that_cannot_be_represented(cell, value, message, tmp_path, capsys):
    from tests.test_fuzz_inputs import ZEEK_TSV, mutate

    log = tmp_path / "conn.log"
    log.write_bytes(mutate(ZEEK_TSV.encode(), [("cell", 8, cell, value)], b"\t"))
    code = main(["datasets", "convert", str(log), "--format", "zeek", "-o", str(tmp_path / "out.csv")])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert err.strip() == f"secgen-bench: error: {log}: {message}"


# ---- one catalogue of data files: the dataset classes ------------------------------------------
def _dataset_classes():
    return {name: registry.datasets.peek(name) for name in builtins.DATASETS}


def test_datasets_list_reads_the_files_the_classes_declare(capsys):
    from secgen_bench.datasets import command, download

    assert not hasattr(command, "CATALOGUE")
    rows = {r["name"]: r for r in command.dataset_rows()}
    for name, cls in _dataset_classes().items():
        if cls.download_source is not None:
            download.source(cls.download_source)                 # a known source, else DownloadError
        sample = cls.sample_path()
        if sample is not None:
            assert rows[name]["source"] == f"sample {cls.sample_file[-1]} (SECGEN_BENCH_DATA)"
    assert _dataset_classes()["cidds001-bi"].download_source == "cidds001-week3"


@pytest.mark.parametrize("name", ["ctu", "zeek", "ugr16", "cidds001"])
def test_load_without_a_path_reads_the_declared_sample(name, shared_data):
    cls = _dataset_classes()[name]
    sample = cls.sample_path()
    if sample is None:
        pytest.skip(f"{name}: sample absent from the shared data")
    assert sample == shared_data.joinpath(*cls.sample_file)
    assert cls().load().meta["source"] == str(sample)


@pytest.mark.parametrize("name, hint", [("ctu", "a .binetflow file"), ("zeek", "a conn.log"),
                                        ("pcap", "a capture file"), ("cesnet-miner22", "the PPI CSV")])
def test_a_format_without_its_sample_asks_for_a_path(name, hint, tmp_path, monkeypatch):
    monkeypatch.setenv("SECGEN_BENCH_DATA", str(tmp_path / "absent"))
    with pytest.raises(ValueError, match=f"^{name}: give {hint}.* with --data PATH"):
        _dataset_classes()[name]().load()


def test_builtin_dataset_classes_are_named_after_their_datasets():
    names = {target.split(":")[1] for target in builtins.DATASETS.values()}
    assert not any(n.endswith("Dataset") for n in names)
    assert {"UGR16", "CTU", "Zeek", "Pcap", "HDFS", "CesnetMiner22", "SimNet"} <= names

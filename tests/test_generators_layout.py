"""The generators/ convention: metrics import no generator, plugins sit beside their building blocks in common/."""
import subprocess
import sys
from pathlib import Path

import secgen_bench.generators as generators_pkg
from secgen_bench.builtins import GENERATORS


PACKET_METRICS_RUN = """
import sys
import pandas as pd
from secgen_bench.metrics.packet_embeddings import SeqCoverage
from secgen_bench.metrics.packets import SeqDKC, SeqJSDSymbols
from secgen_bench.schema import Column, FlowSchema, Role

schema = FlowSchema("p", (Column("flow_id", Role.SEQUENCE_ID), Column("direction", Role.CATEGORICAL),
                          Column("flags", Role.FLAGS), Column("size", Role.BYTES), Column("iat", Role.DURATION)))
rows = [(f"f{k}", d, f, s, 0.0 if i == 0 else 0.01)
        for k in range(12) for i, (d, f, s) in enumerate([("out", "S", 0), ("in", "SA", 0), ("out", "PA", 10 * k)])]
table = schema.validate(pd.DataFrame(rows, columns=schema.names))
for metric in (SeqJSDSymbols(), SeqDKC(), SeqCoverage()):
    metric(table, table, schema)
print(sorted(m for m in sys.modules if m.startswith("secgen_bench.generators")))
"""


def test_packet_metrics_run_without_importing_a_generator():
    out = subprocess.run([sys.executable, "-c", PACKET_METRICS_RUN], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_every_top_level_module_of_generators_is_a_plugin_or_the_contract():
    root = Path(generators_pkg.__file__).parent
    modules = {p.stem for p in root.glob("*.py")} | {p.name for p in root.iterdir() if (p / "__init__.py").exists()}
    plugins = {target.split(":")[0].split(".")[2] for target in GENERATORS.values()}
    assert modules - plugins == {"__init__", "base", "common"}
    assert not any(p.name.startswith("_") and p.name != "__init__.py" for p in root.rglob("*.py"))


def test_plugin_classes_carry_no_generator_suffix_and_packages_export_from_generator_py():
    from secgen_bench.registry import generators

    for name, target in GENERATORS.items():
        cls = generators.peek(name)
        assert not cls.__name__.endswith("Generator"), target
        if (Path(generators_pkg.__file__).parent / target.split(":")[0].split(".")[2] / "__init__.py").exists():
            assert cls.__module__.endswith(".generator"), target

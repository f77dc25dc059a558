"""``run --portable-float`` pins torch's CPU code path for the job processes and says so in the records."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from secgen_bench.cli import main
from secgen_bench.runner import float_path

needs_avx2_x86 = pytest.mark.skipif(not float_path.is_x86_64() or float_path.cpu_isa() is None,
                                    reason="the switches are x86-64's; this processor's flags are unknown")


@pytest.fixture
def unpinned(monkeypatch):
    """No switch set before the test, and none left after it (pin() writes os.environ)."""
    for name in float_path.PORTABLE:
        monkeypatch.setenv(name, "x")
        monkeypatch.delenv(name)


@pytest.mark.parametrize("flags, isa", [("fpu sse2 avx avx2 fma", "avx2"), ("avx2 avx512f avx512bw", "avx512f"),
                                        ("avx2 avx512f amx_tile amx_int8", "amx_tile"), ("fpu sse2 sse4_2", None)])
def test_cpu_isa_is_the_widest_extension_in_the_flags(tmp_path, flags, isa):
    info = tmp_path / "cpuinfo"
    info.write_text(f"processor\t: 0\nmodel name\t: test\nflags\t\t: {flags}\n\nprocessor\t: 1\nflags\t: avx2\n")
    assert float_path.cpu_isa(info) == isa
    assert float_path.cpu_isa(tmp_path / "absent") is None


def test_pin_sets_the_switches_and_describe_reports_them(unpinned):
    assert float_path.pinned_env() == {}
    assert {k: v for k, v in float_path.describe().items() if k != "cpu_isa"} == dict.fromkeys(float_path.PORTABLE)
    set_now = float_path.pin()
    if not float_path.is_x86_64():
        assert set_now == {} and float_path.pinned_env() == {}
        return
    assert set_now == float_path.PORTABLE == float_path.pinned_env()
    assert all(os.environ[k] == v for k, v in float_path.PORTABLE.items())


@needs_avx2_x86
def test_a_process_started_with_the_switches_runs_torchs_avx2_kernels():
    pytest.importorskip("torch")
    probe = "import torch; print(torch.backends.cpu.get_cpu_capability())"
    pinned = subprocess.run([sys.executable, "-c", probe], env={**os.environ, **float_path.PORTABLE},
                            capture_output=True, text=True, check=True)
    assert pinned.stdout.strip() == "AVX2"


def test_a_pinned_job_has_its_own_cache_key(unpinned, monkeypatch):
    from secgen_bench.runner.plan import DatasetRef, GeneratorRef, Job

    job = Job(GeneratorRef("tvae", "m:tvae", "1", {}, "abc"), DatasetRef("simnet", "k", 10, 5), 0, 100, "quick")
    before = job.key
    for k, v in float_path.PORTABLE.items():
        monkeypatch.setenv(k, v)
    assert job.key != before and job.key.startswith("tvae--simnet--s0--")
    for k in float_path.PORTABLE:
        monkeypatch.delenv(k)
    assert job.key == before


@needs_avx2_x86
def test_run_with_portable_float_records_the_path_it_ran_on(unpinned, tmp_path):
    out = tmp_path / "r"
    assert main(["run", "-g", "marginals", "--quick", "--portable-float", "--seeds", "0", "--repeats", "1",
                 "--out", str(out), "--no-progress", "--no-cache"]) == 0
    run = json.loads((out / "run.json").read_text())
    assert run["config"]["portable-float"] is True
    recorded = run["environment"]["float_path"]
    assert {k: recorded[k] for k in float_path.PORTABLE} == float_path.PORTABLE
    assert recorded["cpu_isa"] == float_path.cpu_isa()


@needs_avx2_x86
def test_generate_with_portable_float_writes_what_the_pinned_environment_writes(unpinned, tmp_path):
    pytest.importorskip("torch")

    def generate(out, *flag, env=None):
        cmd = [sys.executable, "-m", "secgen_bench", "generate", "-g", "tvae", "-d", "simnet", "--quick",
               "-n", "300", "--seed", "3", "-o", str(out), *flag]
        subprocess.run(cmd, env={**os.environ, **(env or {})}, check=True, capture_output=True, timeout=600)
        return out.read_bytes()

    by_flag = generate(tmp_path / "flag.csv", "--portable-float")
    by_env = generate(tmp_path / "env.csv", env=float_path.PORTABLE)
    assert by_flag == by_env and by_flag.count(b"\n") == 301


def _board(gen_path: dict | None, value: float):
    from secgen_bench.leaderboard import Board, Cell

    cell = Cell(mean=value, std=0.0, rep_std=0.0, n_ok=1, n_total=1, status="ok")
    info = {"tvae": {"float_path": gen_path} if gen_path else {}}
    return [Board("simnet", ["jsd"], {"jsd": "lower"}, {"tvae": {"jsd": cell}}, {"tvae": 1.0}, info)]


def test_compare_names_the_float_paths_of_a_regressed_generator():
    from secgen_bench.compare import compare, float_path_notes

    here = {"cpu_isa": "amx_tile", **float_path.PORTABLE}
    there = {"cpu_isa": "avx2", **dict.fromkeys(float_path.PORTABLE)}
    for old_path, new_path, worse, expected in ((there, here, True, 1), (None, here, True, 1),
                                                (here, here, True, 0), (there, here, False, 0)):
        old, new = _board(old_path, 0.10), _board(new_path, 0.20 if worse else 0.10)
        notes = float_path_notes(old, new, compare(old, new))
        assert len(notes) == expected
        if expected:
            assert "tvae on simnet" in notes[0] and "amx_tile" in notes[0] and "MKL_CBWR=AVX2,STRICT" in notes[0]
            assert ("unrecorded" if old_path is None else "avx2 (chosen by the libraries)") in notes[0]

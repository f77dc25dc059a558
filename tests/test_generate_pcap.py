"""``secgen-bench generate ... --pcap``: flows, packets conditioned on them, a capture that reads back."""
import numpy as np
import pytest

from secgen_bench.cli import main
from secgen_bench.generators.base import Generator
from tests.conftest import shared_data_dir

CAPTURE = (shared_data_dir() / "pcaps" / "test-cc-capture-1.pcap") if shared_data_dir() else None


class NoConditioning(Generator):
    """A packets-track generator without sample_for_flows."""

    name = "no-conditioning"
    version = "1.0"
    description = "test: packets track, no sample_for_flows"
    track = "packets"
    unit = "sequences"


EXTRA_GENERATORS = {"no-conditioning": "tests.test_generate_pcap:NoConditioning"}


def _run(capsys, *args):
    code = main(["generate", "-g", "independent-bn", "-d", "simnet", "-n", "40", "--quick", *args])
    return code, capsys.readouterr()


@pytest.mark.parametrize("args, message", [
    (["-o", "{tmp}/f.csv", "--pcap", "{tmp}/f.pcap"], "--pcap needs --packets"),
    (["-o", "{tmp}/f.csv", "--packets", "packet-transformer"], "--packets needs --pcap"),
    (["-o", "{tmp}/f.csv", "--pcap", "{tmp}/f.pcap", "--packets", "independent-bn"], "packets-track"),
    (["-o", "{tmp}/f.csv", "--pcap", "{tmp}/f.pcap", "--packets", "no-conditioning"], "no sample_for_flows"),
    (["-o", "{tmp}/f.csv", "--pcap", "{tmp}/no/such/f.pcap", "--packets", "packet-transformer"], "no such directory"),
    (["-o", "{tmp}/f.csv", "--pcap", "{tmp}", "--packets", "packet-transformer"], "is a directory"),
    (["-o", "{tmp}/f.csv", "--pcap", "{tmp}/f.pcap", "--packets", "packet-transformer"], "--packets-data is needed"),
    (["-o", "{tmp}/f.csv", "--pcap", "{tmp}/f.pcap", "--packets", "packet-transformer", "--packets-data", "nope"],
     "nope"),
])
def test_bad_options_are_one_line_errors(capsys, tmp_path, plugins, args, message):
    code, out = _run(capsys, *[a.format(tmp=tmp_path) for a in args])
    assert code == 2
    lines = out.err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], out.err
    assert not (tmp_path / "f.pcap").exists()


@pytest.mark.skipif(CAPTURE is None or not CAPTURE.exists(), reason="real capture absent")
def test_generated_capture_reads_back_as_the_generated_flows(capsys, tmp_path):
    pytest.importorskip("torch")
    from secgen_bench.datasets.pcap import flows_table, read_capture
    from secgen_bench.datasets.schemas import SIMNET
    from secgen_bench.pcap_writer import expected_flows, flow_endpoints
    import pandas as pd

    code, out = _run(capsys, "-o", str(tmp_path / "f.csv"), "--pcap", str(tmp_path / "f.pcap"),
                     "--packets", "packet-transformer", "--packets-data", str(CAPTURE),
                     "--set", "packet-transformer.train_steps=40")
    assert code == 0, out.err
    flows = pd.read_csv(tmp_path / "f.csv", parse_dates=["Date first seen"], keep_default_na=False)
    flows = SIMNET.validate(flows, "f.csv")
    endpoints, _ = flow_endpoints(flows, SIMNET)
    flows_back, _ = read_capture(tmp_path / "f.pcap", max_packets=0)
    back = flows_table(flows_back, "f.pcap")
    assert int(back[["out_packets", "in_packets"]].sum().sum()) == \
        int(endpoints[["out_packets", "in_packets"]].sum().sum())
    want = expected_flows(endpoints)
    key = ["ts", "proto", "src_ip", "src_port", "dst_ip", "dst_port"]
    both = want.merge(back, on=key, suffixes=("", "_back"))
    exact = np.ones(len(both), bool)
    for col in ("out_packets", "in_packets", "out_bytes", "in_bytes"):
        exact &= both[col].to_numpy() == both[f"{col}_back"].to_numpy()
    exact &= np.abs(both["duration"] - both["duration_back"]).to_numpy() <= 1e-3
    # all but the flows the capture cannot keep whole (a gap over the assembler's 120 s idle timeout)
    assert exact.sum() >= len(want) - 3, both[~exact].head()
    assert len(back) <= len(want) + 3

"""Joint decoding of binned continuous cells (bin_decoding.py) and its use by FlowChronicle and the BN baselines."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from secgen_bench.datasets.schemas import CIDDS_BI
from secgen_bench.generators.common.bin_decoding import JointBinTable
from secgen_bench.generators.flowchronicle import FlowChronicle
from secgen_bench.generators.flowchronicle.bn import DiscreteBN
from secgen_bench.generators.independent_bn import IndependentBN
from tests.test_flowchronicle_generator import planted_table

CONT = ["In Byte", "Out Byte", "In Packet", "Out Packet", "Duration"]


def test_joint_table_copies_a_training_row_with_the_same_bins_and_keeps_the_rest():
    codes = np.array([[1, 2], [1, 2], [3, 0]])
    values = np.array([[10.0, 200.0], [11.0, 210.0], [30.0, 0.0]])
    table = JointBinTable(codes, values)
    asked = np.array([[1, 2], [3, 0], [2, 2]])
    own = np.array([[-1.0, -1.0], [-2.0, -2.0], [-3.0, -3.0]])
    got = table.fill(asked, own, np.random.default_rng(0))
    assert tuple(got[0]) in {(10.0, 200.0), (11.0, 210.0)}       # whole row copied, never mixed
    assert tuple(got[1]) == (30.0, 0.0)
    assert tuple(got[2]) == (-3.0, -3.0)                          # no training row with bins (2, 2)
    draws = {tuple(table.fill(asked[:1], own[:1], np.random.default_rng(s))[0]) for s in range(40)}
    assert draws == {(10.0, 200.0), (11.0, 210.0)}
    with pytest.raises(ValueError, match="shape"):
        JointBinTable(codes, values[:, :1])


def test_bn_sampling_pseudocount_hand_computed():
    data = np.array([[0], [0], [0], [1]])
    rng = np.random.default_rng(0)
    ml = DiscreteBN.learn(["x"], data).fit_params(data, 0.0).sample(40_000, rng)
    k2 = DiscreteBN.learn(["x"], data).fit_params(data, 1.0).sample(40_000, rng)
    assert abs((ml[:, 0] == 0).mean() - 3 / 4) < 0.01              # (3 + 0) / (4 + 0)
    assert abs((k2[:, 0] == 0).mean() - 4 / 6) < 0.01              # (3 + 1) / (4 + 2), the artefact's K2
    with pytest.raises(ValueError, match="pseudocount"):
        DiscreteBN.learn(["x"], data).fit_params(data, -1.0)


def _share_of_training_tuples(sample: pd.DataFrame, real: pd.DataFrame) -> float:
    seen = set(map(tuple, real[CONT].to_numpy()))
    return float(np.mean([tuple(r) in seen for r in sample[CONT].to_numpy()]))


@pytest.fixture(scope="module")
def planted():
    """The planted DNS/HTTPS table, its continuous cells drawn from eight flow profiles (per service)."""
    table = planted_table()
    rng = np.random.default_rng(3)
    profiles = np.array([[40, 60, 1, 1, 0.002], [41, 90, 1, 1, 0.004], [500, 3_000, 6, 5, 0.4],
                         [700, 9_000, 8, 9, 1.3], [1_200, 800, 4, 4, 2.2], [90, 0, 2, 0, 0.0],
                         [3_000, 150_000, 30, 110, 7.5], [220, 180, 3, 2, 0.05]])
    kind = (table["Dst Pt"].to_numpy() % 4) * 2 + rng.integers(0, 2, len(table))
    for i, c in enumerate(CONT):
        table[c] = profiles[kind, i].astype(table[c].dtype)
    return CIDDS_BI.validate(table)


def test_flowchronicle_joint_decoding_keeps_bytes_packets_duration_together(planted):
    joint = FlowChronicle(profile="quick").fit(planted, CIDDS_BI, seed=0).sample(400, seed=1)
    uniform = FlowChronicle(profile="quick", decode="uniform").fit(planted, CIDDS_BI, seed=0).sample(400, seed=1)
    assert _share_of_training_tuples(joint, planted) > 0.9
    assert _share_of_training_tuples(uniform, planted) < 0.1
    # the artefact's K2 prior spreads mass over every observed value; ML keeps each pattern's frequencies
    assert FlowChronicle(profile="paper").config.sampling_pseudocount == 1.0
    assert FlowChronicle(profile="paper").config.decode == "uniform"


def test_independent_bn_joint_decoding(planted):
    jittered = planted.copy()                      # many distinct values per bin: per-cell decoding cannot hit them
    rng = np.random.default_rng(4)
    for c in CONT:
        x = jittered[c].to_numpy(float) * rng.uniform(1.0, 1.05, len(jittered))
        jittered[c] = np.round(x).astype(jittered[c].dtype) if jittered[c].dtype.kind == "i" else x
    joint = IndependentBN(profile="quick").fit(jittered, CIDDS_BI, seed=0).sample(400, seed=1)
    per_cell = IndependentBN(profile="quick", decode="bin").fit(jittered, CIDDS_BI, seed=0).sample(400, seed=1)
    assert _share_of_training_tuples(joint, jittered) > _share_of_training_tuples(per_cell, jittered) + 0.3
    assert IndependentBN(profile="paper").config.decode == "bin"


@pytest.mark.parametrize("cls,bad", [(FlowChronicle, {"decode": "nearest"}),
                                     (FlowChronicle, {"sampling_pseudocount": -0.5}),
                                     (IndependentBN, {"decode": "uniform"})])
def test_bad_decoding_options(cls, bad):
    from secgen_bench.config import ConfigError

    with pytest.raises(ConfigError, match=next(iter(bad))):
        cls(**bad)

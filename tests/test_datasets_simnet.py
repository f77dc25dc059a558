"""simnet: deterministic, schema-valid, DKC-clean, and its planted patterns are really in the rows."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from secgen_bench import registry
from secgen_bench.datasets.schemas import CIDDS_BI, SIMNET
from secgen_bench.datasets.simnet import SimNet


@pytest.fixture(scope="module")
def quick():
    return SimNet().load(profile="quick", seed=3)


def test_registered_and_sizes():
    cls = registry.datasets.get("simnet")
    assert cls is SimNet
    for profile, n in (("quick", 1500), ("default", 4000)):
        assert len(cls().load(profile=profile).table) == n


def test_schema_matches_cidds_bi(quick):
    t = quick.table
    assert quick.schema is SIMNET
    assert [(c.name, c.role, c.direction) for c in SIMNET.columns] == [(c.name, c.role, c.direction) for c in CIDDS_BI.columns]
    CIDDS_BI.validate(t)
    assert t["Date first seen"].is_monotonic_increasing
    assert len(quick.meta["pattern_id"]) == len(t) == len(quick.meta["pattern_instance"])


def test_deterministic_by_seed():
    a, b, c = (SimNet().load(profile="quick", seed=s) for s in (7, 7, 8))
    pd.testing.assert_frame_equal(a.table, b.table)
    assert np.array_equal(a.meta["pattern_id"], b.meta["pattern_id"])
    assert not a.table.equals(c.table)


def test_respects_cidds_domain_rules(quick):
    t = quick.table
    tcp, udp = t["Proto"] == "TCP", t["Proto"] == "UDP"
    port = t["Dst Pt"]
    assert not (tcp & port.isin([53, 137, 138, 5353, 1900, 67, 0, 3544, 8612, 3702, 123])).any()
    assert not (udp & port.isin([443, 80, 8000, 25, 993, 587, 445, 0, 84, 8088, 8080])).any()
    bcast = port.isin([137, 138, 1900])
    assert (t.loc[bcast, "In Byte"] == 0).all() and t.loc[bcast, "Dst IP Addr"].str.endswith(".255").all()
    assert not (port.isin([8000, 25, 443]) & t["Dst IP Addr"].str.startswith("192.168")).any()
    assert t.loc[port.isin([993, 67]), "Dst IP Addr"].str.startswith("192.168").all()
    assert (t.loc[port == 53, "Dst IP Addr"] == "DNS").all()
    assert (t.loc[~tcp, "Flags"] == "......").all()
    for d in ("In", "Out"):
        b, p = t[f"{d} Byte"], t[f"{d} Packet"]
        assert not (p * 42 > b).any() and not (b > 65535 * p).any()
    total = t["In Packet"] + t["Out Packet"]
    assert not ((t["Duration"] == 0) & (total > 1)).any()
    assert not ((t["Duration"] > 0) & (total == 1)).any()


def test_planted_patterns_are_in_the_rows(quick):
    t, pid, inst = quick.table, quick.meta["pattern_id"], quick.meta["pattern_instance"]
    patterns = quick.meta["patterns"]
    names = [p["name"] for p in patterns]
    assert {"dns-then-https", "imap-then-submission", "netbios-broadcast-pair", "periodic-ntp"} <= set(names)
    assert 0.3 < (pid >= 0).mean() < 0.8
    for p in patterns:
        rows = t[pid == p["id"]].assign(inst=inst[pid == p["id"]])
        assert rows["inst"].nunique() == p["occurrences"] > 0
        if len(p["flows"]) != 2:
            continue
        for _, occ in rows.groupby("inst"):
            assert len(occ) == 2
            first, second = occ.iloc[0], occ.iloc[1]
            assert first["Src IP Addr"] == second["Src IP Addr"]          # IP reuse across the two flows
            gap = (second["Date first seen"] - first["Date first seen"]).total_seconds()
            assert 0 <= gap <= p["window_s"] + 1e-3
            for flow, row in zip(p["flows"], (first, second)):
                assert row["Dst Pt"] == flow["Dst Pt"] and row["Proto"] == flow["Proto"]
    https = t[(pid == names.index("dns-then-https")) & (t["Dst Pt"] == 443)]
    assert not https["Dst IP Addr"].str.startswith("192.168").any()
    ntp = t[pid == names.index("periodic-ntp")].assign(src=lambda x: x["Src IP Addr"])
    for _, g in ntp.groupby("src"):
        period = g["Date first seen"].diff().dt.total_seconds().dropna()
        assert period.between(1018, 1030).all()


def test_diurnal_activity(quick):
    hours = quick.table["Date first seen"].dt.hour
    assert (hours.between(9, 16)).mean() > 2 * (hours.between(0, 5)).mean() * (8 / 6)


def test_rejects_a_path():
    with pytest.raises(ValueError, match="simnet"):
        SimNet().load("x.csv")

"""DKC: each artefact rule fires on a hand-made flow, the quirks are kept, the fixed and physical sets behave."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from secgen_bench.datasets.schemas import CIDDS_BI, KNOWN_SCHEMAS
from secgen_bench.metrics.dkc import DKC, DKCFixed
from secgen_bench.metrics.dkc_rules import RULE_SETS, SlotView, rule_set_for

BASE = {"Date first seen": "2017-04-05 10:00:00", "Proto": "TCP", "Src IP Addr": "192.168.100.5",
        "Dst IP Addr": "10001_1", "Dst Pt": 443, "In Byte": 100, "Out Byte": 200, "In Packet": 2,
        "Out Packet": 3, "Duration": 0.5, "Flags": ".AP.SF"}
U = {"Proto": "UDP", "Flags": "......"}
ICMP = {"Proto": "ICMP", "Flags": "......"}

# (changes to BASE, rules the artefact set flags, rules the fixed set flags)
CASES = [
    ({}, set(), set()),
    ({"Dst Pt": 123}, {"tcp-to-udp-port"}, {"tcp-to-udp-port"}),
    ({**U, "Dst Pt": 8080}, {"udp-to-tcp-port"}, {"udp-to-tcp-port"}),
    ({**ICMP, "Dst Pt": 0, "Out Byte": 0, "Out Packet": 0}, {"port-zero"}, set()),
    ({"Dst Pt": 0, "Proto": "GRE", "Flags": "......"}, {"port-zero"}, {"port-zero"}),
    ({**ICMP, "Out Byte": 84, "Out Packet": 0}, {"icmp-out-bytes", "out-packet-too-big"},
     {"icmp-out-bytes", "out-packet-too-big"}),
    ({**ICMP, "Out Byte": 0, "Out Packet": 1}, {"icmp-out-packets", "out-packet-too-small"},
     {"icmp-out-packets", "out-packet-too-small"}),
    ({"Proto": "IGMP", "Flags": "......", "Out Byte": 0, "Out Packet": 0}, {"igmp-bytes"}, {"igmp-bytes"}),
    ({**U, "Dst Pt": 137, "Dst IP Addr": "192.168.100.255"}, {"broadcast-port-in-bytes", "broadcast-port-in-packets"},
     {"broadcast-port-in-bytes", "broadcast-port-in-packets"}),
    ({**U, "Dst Pt": 1900, "Dst IP Addr": "192.168.100.7", "In Byte": 0, "In Packet": 0},
     {"broadcast-port-unicast"}, {"broadcast-port-unicast"}),
    ({"Dst IP Addr": "192.168.100.7"}, {"external-service-internal-dst"}, {"external-service-internal-dst"}),
    ({"Dst IP Addr": "192.168.100.7", "Dst Pt": 80}, set(), {"external-service-internal-dst"}),    # dead '80'
    ({"Dst IP Addr": "192.168.100.7", "Dst Pt": 587}, set(), {"external-service-internal-dst"}),   # dead '587'
    ({"Dst Pt": 993}, {"internal-service-external-dst"}, {"internal-service-external-dst"}),
    ({**U, "Dst Pt": 53}, {"dns-not-dns-server"}, {"dns-not-dns-server"}),
    ({**U, "Dst Pt": 53, "Dst IP Addr": "DNS"}, set(), set()),
    ({**U, "Dst Pt": 5353}, {"mdns-not-multicast"}, {"mdns-not-multicast"}),
    ({**U, "Dst Pt": 5353, "Dst IP Addr": "10008_251"}, set(), set()),
    ({"Proto": "UDP", "Dst Pt": 3000, "Flags": ".A...."}, {"flags-non-tcp"}, {"flags-non-tcp"}),
    ({"In Byte": 41, "In Packet": 1}, {"in-packet-too-small"}, {"in-packet-too-small"}),
    ({"Out Byte": 41, "Out Packet": 1}, {"out-packet-too-small"}, {"out-packet-too-small"}),
    ({"In Byte": 70000, "In Packet": 1}, {"in-packet-too-big"}, {"in-packet-too-big"}),
    ({"Out Byte": 70000, "Out Packet": 1}, {"out-packet-too-big"}, {"out-packet-too-big"}),
    ({"Duration": -1.0}, {"negative-duration"}, {"negative-duration"}),
    ({"Duration": 1e-05}, {"negative-duration"}, set()),    # artefact: str(1e-05) contains '-'
    ({"Duration": 0.0}, {"zero-duration-many-packets"}, {"zero-duration-many-packets"}),
    ({"In Byte": 0, "In Packet": 0, "Out Packet": 1}, {"single-packet-with-duration"}, {"single-packet-with-duration"}),
]


def _flows(rows):
    return CIDDS_BI.validate(pd.DataFrame(rows), "hand-made", ranges=False)


def _fired(rule_set, row):
    table = _flows([row])
    view = SlotView(table, CIDDS_BI, rule_set.wire_role)
    return {r.id for r in rule_set.rules if r.condition.mask(view)[0]}


@pytest.mark.parametrize("changes,artefact,fixed", CASES)
def test_each_rule_fires_on_its_flow(changes, artefact, fixed):
    row = {**BASE, **changes}
    assert _fired(RULE_SETS["cidds001-artefact"], row) == artefact
    assert _fired(RULE_SETS["cidds001-fixed"], row) == fixed


def test_every_artefact_rule_is_exercised_and_score_is_sum_over_20():
    rules = RULE_SETS["cidds001-artefact"].rules
    assert len(rules) == 21
    assert {r.id for r in rules} == set().union(*(a for _, a, _ in CASES))
    rows = [{**BASE, **c} for c, _, _ in CASES]
    res = DKC()(None, _flows(rows), CIDDS_BI)
    n = len(rows)
    counts = {r.id: sum(r.id in a for _, a, _ in CASES) for r in rules}
    assert res.breakdown == pytest.approx({k: v / n for k, v in counts.items()})
    assert res.value == pytest.approx(sum(counts.values()) / n / 20)
    fixed = DKCFixed()(None, _flows(rows), CIDDS_BI)
    fixed_counts = {r.id: sum(r.id in f for _, _, f in CASES) for r in rules}
    assert fixed.value == pytest.approx(sum(fixed_counts.values()) / n / 21)


def test_rule_set_selection_and_override():
    assert rule_set_for(CIDDS_BI).name == "cidds001-artefact"
    for name, expected in (("simnet", "physical"), ("ugr16", "physical"), ("ctu", "ctu"), ("zeek", "zeek")):
        if name in KNOWN_SCHEMAS:
            assert rule_set_for(KNOWN_SCHEMAS[name]).name == expected
    table = _flows([BASE])
    assert DKC(rule_set="physical")(None, table, CIDDS_BI).value == 0.0
    with pytest.raises(ValueError, match="unknown rule set"):
        DKC(rule_set="nope")


def test_physical_rules_apply_only_where_roles_exist():
    from secgen_bench.schema import Column, FlowSchema, Role

    uni = FlowSchema("uni", (Column("ts", Role.TIMESTAMP), Column("sp", Role.PORT), Column("dstport", Role.PORT),
                             Column("proto", Role.PROTOCOL), Column("pkt", Role.PACKETS, "out"),
                             Column("byt", Role.BYTES, "out"), Column("td", Role.DURATION)))
    applied, skipped = RULE_SETS["physical"].applicable(uni)
    ids = {r.id for r in applied}
    assert {"packet-too-small-out", "packet-too-big-out", "single-packet-with-duration",
            "tcp-to-udp-only-port", "udp-to-tcp-only-port", "tcp-udp-port-zero", "negative-duration"} == ids
    assert {r.id for r in skipped} >= {"flags-non-tcp", "packet-too-small-in"}
    table = uni.validate(pd.DataFrame({
        "ts": ["2016-03-18 00:00:00"] * 5, "sp": [1000] * 5, "dstport": [123, 22, 0, 443, 443],
        "proto": ["tcp", "udp", "TCP", "17", "6"], "pkt": [1, 2, 3, 1, 0], "byt": [60, 100, 200, 30, 10],
        "td": [0.0, 0.1, 0.2, 0.0, 0.0]}), ranges=False)
    res = DKC(rule_set="physical")(None, table, uni)
    assert res.breakdown["tcp-to-udp-only-port"] == 0.2      # row 0: TCP to 123 (NTP)
    assert res.breakdown["udp-to-tcp-only-port"] == 0.2      # row 1: UDP to 22
    assert res.breakdown["tcp-udp-port-zero"] == 0.2         # row 2
    assert res.breakdown["packet-too-small-out"] == 0.2      # row 3: 30 bytes in one packet
    assert res.breakdown["packet-too-big-out"] == 0.2        # row 4: bytes without packets
    assert res.value == pytest.approx(np.mean(list(res.breakdown.values())))


def test_zeek_set_bounds_ip_level_bytes():
    if "zeek" not in KNOWN_SCHEMAS:
        pytest.skip("zeek schema not registered")
    zeek = KNOWN_SCHEMAS["zeek"]
    rules = RULE_SETS["zeek"]
    view = SlotView(pd.DataFrame(columns=zeek.names), zeek, rules.wire_role)
    assert view.column_of("wire_out") == "orig_ip_bytes" and view.column_of("dst_port") == "id.resp_p"
    assert "flags-non-tcp" not in {r.id for r in rules.applicable(zeek)[0]}


def test_missing_column_is_a_clear_error():
    table = _flows([BASE]).drop(columns=["Flags"])
    with pytest.raises(Exception, match="Flags"):
        DKC()(None, table, CIDDS_BI)

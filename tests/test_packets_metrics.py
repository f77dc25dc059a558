"""Packet-sequence metrics on hand tables."""
import math

import pandas as pd
import pytest

from secgen_bench.metrics.packets import (SeqDKC, SeqEMDIat, SeqEMDSize, SeqJSDNgrams, SeqJSDSymbols, SeqLengthJSD,
                                          rule_violations)
from secgen_bench.schema import Column, FlowSchema, Role

PACKETS = FlowSchema("packets", (Column("flow_id", Role.SEQUENCE_ID), Column("service", Role.CATEGORICAL),
                                 Column("direction", Role.CATEGORICAL), Column("flags", Role.FLAGS),
                                 Column("size", Role.BYTES), Column("iat", Role.DURATION)))
DISJOINT = math.sqrt(math.log(2))          # JS distance (natural log) of two disjoint distributions


def table(flows):
    """flows: {flow_id: (service, [(direction, flags, size, iat), ...])}"""
    rows = [(fid, svc, d, f, s, t) for fid, (svc, pkts) in flows.items() for d, f, s, t in pkts]
    return PACKETS.validate(pd.DataFrame(rows, columns=PACKETS.names))


HANDSHAKE = [("out", "S", 0, 0.0), ("in", "SA", 0, 0.1), ("out", "A", 0, 0.1)]


def test_symbol_jsd():
    a = table({"f1": ("TCP/80", [("out", "S", 0, 0.0), ("in", "SA", 0, 0.1)])})
    b = table({"g1": ("TCP/80", [("out", "PA", 10, 0.0), ("in", "PA", 20, 0.1)])})
    assert SeqJSDSymbols()(a, a, PACKETS).value == 0.0
    assert SeqJSDSymbols()(a, b, PACKETS).value == pytest.approx(DISJOINT)


def test_ngram_jsd_sees_order_not_only_symbols():
    a = table({"f1": ("TCP/80", [("out", "S", 0, 0.0), ("in", "SA", 0, 0.1), ("out", "A", 0, 0.1)])})
    b = table({"g1": ("TCP/80", [("out", "A", 0, 0.0), ("in", "SA", 0, 0.1), ("out", "S", 0, 0.1)])})
    assert SeqJSDSymbols()(a, b, PACKETS).value == 0.0
    res = SeqJSDNgrams()(a, b, PACKETS)
    assert res.breakdown["n=2"] == pytest.approx(DISJOINT) and res.breakdown["n=3"] == pytest.approx(DISJOINT)
    assert res.value == pytest.approx(DISJOINT)


def test_length_jsd_and_emds():
    a = table({"f1": ("UDP/53", [("out", "-", 0, 0.0), ("in", "-", 100, 0.5)]),
               "f2": ("UDP/53", [("out", "-", 0, 0.0), ("in", "-", 100, 1.5)])})
    b = table({"g1": ("UDP/53", [("out", "-", 100, 0.0), ("in", "-", 100, 1.0), ("in", "-", 100, 1.0)])})
    assert SeqLengthJSD()(a, a, PACKETS).value == 0.0
    assert SeqLengthJSD()(a, b, PACKETS).value == pytest.approx(DISJOINT)
    # sizes: real {0, 0, 100, 100} vs synthetic {100, 100, 100} on [0, 1] after scaling: W1 = 0.5
    assert SeqEMDSize()(a, b, PACKETS).value == pytest.approx(0.5)
    # IATs of non-first packets: real {0.5, 1.5}, synthetic {1, 1}: scaled by 1.0 -> W1 = 0.5
    assert SeqEMDIat()(a, b, PACKETS).value == pytest.approx(0.5)


def test_protocol_rules_per_flow():
    flows = {
        "good": ("TCP/443", HANDSHAKE + [("out", "PA", 50, 0.1), ("in", "PA", 900, 0.1), ("out", "FA", 0, 0.1),
                                         ("in", "FA", 0, 0.1), ("out", "A", 0, 0.1)]),
        "no-handshake": ("TCP/443", [("out", "PA", 50, 0.0), ("in", "PA", 900, 0.1)]),
        "rst-then-data": ("TCP/443", HANDSHAKE + [("out", "R", 0, 0.1), ("in", "PA", 10, 0.1)]),
        "data-after-own-fin": ("TCP/443", HANDSHAKE + [("out", "FA", 0, 0.1), ("in", "PA", 5, 0.1),
                                                      ("out", "PA", 10, 0.1)]),
        "dns": ("UDP/53", [("out", "-", 40, 0.0), ("in", "-", 120, 0.1)]),
    }
    t = table(flows)
    v = rule_violations(t, PACKETS)
    assert list(v.index) == ["good", "no-handshake", "rst-then-data", "data-after-own-fin"]     # UDP left out
    assert v.loc["good"].sum() == 0
    assert v.loc["no-handshake"].tolist() == [True, False, False]
    assert v.loc["rst-then-data"].tolist() == [False, True, False]
    assert v.loc["data-after-own-fin"].tolist() == [False, False, True]
    res = SeqDKC()(t, t, PACKETS)
    assert res.value == pytest.approx(0.75) and res.breakdown["handshake"] == pytest.approx(0.25)
    assert res.breakdown["tcp_flows"] == 4


def test_answer_data_after_initiator_fin_is_allowed():
    t = table({"half-close": ("TCP/80", HANDSHAKE + [("out", "FA", 0, 0.1), ("in", "PA", 700, 0.1),
                                                    ("in", "FA", 0, 0.1)])})
    assert not rule_violations(t, PACKETS).any(axis=None)


def test_metrics_are_registered_for_the_packets_track():
    from secgen_bench.builtins import METRICS

    for cls in (SeqJSDSymbols, SeqJSDNgrams, SeqEMDSize, SeqEMDIat, SeqLengthJSD, SeqDKC):
        assert METRICS[cls.name].endswith(cls.__name__) and cls.track == "packets"


def test_seq_dkc_skips_rules_the_real_capture_itself_breaks():
    """Payload-only captures (no handshake packets) must not score the real data itself 1.0."""
    import pandas as pd

    from secgen_bench.datasets.schemas import KNOWN_SCHEMAS
    from secgen_bench.metrics.packets import SeqDKC

    schema = KNOWN_SCHEMAS["packets"]
    rows = []
    for i in range(4):  # data only, no SYN: breaks "handshake", keeps the other rules
        rows += [(f"f{i}", "TCP/443", "out", "PA", 100, 0.0), (f"f{i}", "TCP/443", "in", "PA", 900, 0.01)]
    real = schema.validate(pd.DataFrame(rows, columns=schema.names))
    # the initiator sends data after its own FIN: breaks "fin-ordering"
    bad = schema.validate(pd.DataFrame(
        [(f"g{i}", "TCP/443", "out", "FA", 10, 0.0) for i in range(2)] +
        [(f"g{i}", "TCP/443", "out", "PA", 10, 0.1) for i in range(2)], columns=schema.names))
    res = SeqDKC()(real, real, schema)
    assert res.value == 0.0 and res.breakdown["skipped"] == ["handshake"]
    res_bad = SeqDKC()(real, bad, schema)
    assert res_bad.breakdown["fin-ordering"] == 1.0 and res_bad.value == 1.0

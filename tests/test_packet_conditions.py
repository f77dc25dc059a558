"""The flow -> packets contract (secgen_bench.packet_conditions): what counts as packets agreeing with a flow."""
import numpy as np
import pandas as pd
import pytest

from secgen_bench.packet_conditions import ConditionMismatch, check_conditioned, check_conditions, split_total

CONDITIONS = pd.DataFrame({"flow_id": ["f0", "f1"], "service": ["TCP/80", "UDP/53"], "out_packets": [3, 1],
                           "in_packets": [2, 1], "out_payload": [100, 40], "in_payload": [500, 80],
                           "duration": [0.5, 0.01]})


def packets_for(conditions):
    rows = []
    for _, c in conditions.iterrows():
        for side in ("out", "in"):
            sizes = split_total(int(c[f"{side}_payload"]), int(c[f"{side}_packets"]))
            rows += [(c["flow_id"], c["service"], side, "A" if c["service"].startswith("TCP") else "-", int(s), 0.001)
                     for s in sizes]
    table = pd.DataFrame(rows, columns=["flow_id", "service", "direction", "flags", "size", "iat"])
    table.loc[table.groupby("flow_id").head(1).index, "iat"] = 0.0
    return table


def test_matching_packets_pass():
    check_conditioned(packets_for(CONDITIONS), CONDITIONS)


@pytest.mark.parametrize("change, message", [
    (lambda p: p.drop(index=0), "out packets"),
    (lambda p: p.assign(size=p["size"] + (p.index == 0)), "payload bytes"),
    (lambda p: p.assign(iat=p["iat"] * 1000), "spans"),
    (lambda p: p.assign(service="TCP/443"), "service"),
    (lambda p: pd.concat([p, p.iloc[[0]].assign(flow_id="f9")]), "not asked for"),
])
def test_each_broken_promise_is_named(change, message):
    with pytest.raises(ConditionMismatch, match=message):
        check_conditioned(change(packets_for(CONDITIONS)), CONDITIONS)


def test_bad_conditions_are_rejected():
    with pytest.raises(ConditionMismatch, match="payload but no in packets"):
        check_conditions(CONDITIONS.assign(in_packets=[0, 1]))
    with pytest.raises(ConditionMismatch, match="lack column 'duration'"):
        check_conditions(CONDITIONS.drop(columns="duration"))


def test_split_total_is_exact_and_proportional():
    parts = split_total(1001, 4, np.array([1, 1, 2, 0]))
    assert parts.sum() == 1001 and parts[3] == 0 and parts[2] >= parts[0]
    assert split_total(0, 3).tolist() == [0, 0, 0]

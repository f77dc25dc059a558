"""Training budgets: the plateau rule, the compact text, and the ``budget_`` every iterative generator sets."""
from __future__ import annotations

import numpy as np
import pytest

from secgen_bench.budget import Budget, compact, loss_plateaued, paper_setting, post_hoc
from tests.tiny_tables import TINY_SCHEMA, tiny_flows


def test_plateau_rule_needs_a_flat_end_and_enough_points():
    falling = list(np.linspace(10, 1, 100))
    flat_end = list(np.linspace(10, 1, 50)) + [1.0] * 50
    assert not loss_plateaued(falling)
    assert loss_plateaued(flat_end)
    assert not loss_plateaued([1.0] * 5), "too few values to judge"
    assert not loss_plateaued(list(np.linspace(-1, -10, 100))), "a negative, still falling curve is not flat"


def test_post_hoc_budget_says_it_stopped_on_the_cap_and_renders_compactly():
    b = post_hoc("epochs", 25, 300, 25, np.linspace(10, 1, 25))
    d = b.to_dict()
    assert d["stopped"] == "cap" and d["converged"] is False and "plateau" in d["criterion"]
    assert compact(d) == "25/300 ep ✗"
    assert compact(Budget("rounds", 7, None, None, True, "ended on its own", "converged").to_dict()) == "7 rd ✓"
    assert compact(None) == "-"
    assert b.with_wall(1.5).wall_s == 1.5 and b.with_wall(1.5).with_wall(9.0).wall_s == 1.5


def test_paper_setting_reads_the_paper_profile():
    from secgen_bench.generators.sdv_synthesizers import CTGAN

    assert paper_setting(CTGAN, "epochs") == 300
    assert paper_setting(CTGAN, "no_such_option") is None


def _fit(cls, **overrides):
    return cls(profile="quick", **overrides).fit(tiny_flows(200), TINY_SCHEMA, seed=0)


@pytest.mark.parametrize("name, overrides, units, paper", [
    ("ctgan", {"epochs": 2, "batch_size": 100}, "epochs", 300),
    ("tvae", {"epochs": 2, "batch_size": 100}, "epochs", 300),
    ("ewgan-gp", {"ip2vec_epochs": 1, "hidden": 32, "layers": 2, "iterations": 12, "batch_size": 16}, "steps", 50000),
    ("flowchronicle", {"max_rounds": 2}, "rounds", None),
])
def test_iterative_flow_generators_record_their_budget(name, overrides, units, paper):
    from secgen_bench import registry

    gen = _fit(registry.generators.get(name), **overrides)
    b = gen.budget_.to_dict()
    assert b["units"] == units and b["paper"] == paper and b["done"] >= 1 and b["criterion"]
    assert b["stopped"] in ("converged", "cap", "time")
    assert b["converged"] == (b["stopped"] == "converged") or b["stopped"] == "cap"
    if name == "flowchronicle":
        assert b["details"]["patterns"] >= 0 and "mdl_gain_bits" in b["details"]
        assert b["converged"] is (gen.search_stats_["stopped"] == "converged")
    else:
        assert b["done"] == next(v for k, v in overrides.items() if k in ("epochs", "iterations"))
        assert b["stopped"] == "cap"
        if name == "ewgan-gp":   # 12 steps: the verdict is the plateau rule on its recorded loss curve
            assert b["converged"] is loss_plateaued(gen.loss_history_)
        else:
            assert b["converged"] is False, "two epochs cannot show a plateau"


@pytest.mark.parametrize("name, overrides, units", [
    ("transformer", {"n_layer": 1, "d_model": 32, "n_head": 2, "train_steps": 30, "context_flows": 3, "batch_size": 8},
     "steps"),
    ("netshare", {"ip2vec_epochs": 1, "meta_hidden": 16, "rnn_hidden": 16, "d_hidden": 32, "epochs": 3,
                  "batch_size": 16, "max_len": 4}, "epochs"),
])
def test_torch_flow_generators_record_a_post_hoc_budget(name, overrides, units):
    from secgen_bench import registry

    cls = registry.generators.get(name)
    table, schema = tiny_flows(200), TINY_SCHEMA
    b = cls(profile="quick", **overrides).fit(table, schema, seed=0).budget_.to_dict()
    assert b["units"] == units and b["paper"] == paper_setting(cls, "epochs" if units == "epochs" else "train_steps")
    assert b["done"] == overrides["epochs" if units == "epochs" else "train_steps"] and b["stopped"] == "cap"
    assert isinstance(b["converged"], bool) and "plateau" in b["criterion"]


def test_packet_generators_record_their_budget():
    from secgen_bench.generators.packet_transformer import PacketTransformer
    from secgen_bench.generators.tadam.generator import TADAM
    from tests.test_packets_generators import PACKETS, toy_packets

    real = toy_packets()
    pt = PacketTransformer(profile="quick", train_steps=20).fit(real, PACKETS, seed=0).budget_
    assert (pt.units, pt.done, pt.paper, pt.stopped) == ("steps", 20, 6000, "cap")
    tadam = TADAM(profile="quick").fit(real, PACKETS, seed=0)
    b = tadam.budget_
    services = b.details["services"]
    assert b.units == "iterations" and b.cap == 8 and services
    assert b.converged is all(s["stopped"] == "converged" for s in services.values())
    assert b.done == max(s["iterations"] for s in services.values())
    for s in services.values():   # a search that converged stopped before its cap, with no improving operation left
        assert s["stopped"] != "converged" or s["iterations"] <= 8


def test_early_stopping_stops_on_a_flat_validation_loss_and_not_before():
    torch = pytest.importorskip("torch")
    from secgen_bench.generators.common.torch_training import train

    torch.manual_seed(0)
    model = torch.nn.Linear(2, 1)
    x = torch.randn(32, 2)

    def batch_loss():
        return (model(x) ** 2).mean()

    flat = train(torch, model, batch_loss, steps=100, lr=1e-2, weight_decay=0.0, validation_loss=lambda: 1.0,
                 eval_every=5, patience=3)
    assert flat.converged and flat.steps_done == 20 and flat.val_losses == [1.0] * 4   # best, then 3 without gain
    falling = iter(range(100, 0, -1))
    capped = train(torch, model, batch_loss, steps=30, lr=1e-2, weight_decay=0.0,
                   validation_loss=lambda: float(next(falling)), eval_every=5, patience=3)
    assert not capped.converged and capped.steps_done == 30, "still improving: trains to the cap"


def test_transformer_default_profile_stops_early_and_says_so():
    from secgen_bench.generators.transformer import Transformer

    gen = Transformer(n_layer=1, d_model=32, n_head=2, context_flows=3, batch_size=8, train_steps=400,
                      eval_every=10, patience=2).fit(tiny_flows(300), TINY_SCHEMA, seed=0)
    b = gen.budget_
    assert "early stopping" in b.criterion and b.cap == 400 and len(gen.val_history_) >= 1
    assert b.converged == (b.stopped == "converged") == (b.done < 400)
    assert b.done == len(gen.loss_history_)
    quick = Transformer(profile="quick", n_layer=1, d_model=32, n_head=2, train_steps=30, context_flows=3,
                        batch_size=8).fit(tiny_flows(300), TINY_SCHEMA, seed=0).budget_
    assert quick.done == 30 and quick.stopped == "cap" and "plateau" in quick.criterion, "quick trains its fixed steps"


def test_packet_transformer_default_profile_holds_out_flows_and_stops_early():
    from secgen_bench.generators.packet_transformer import PacketTransformer
    from tests.test_packets_generators import PACKETS, toy_packets

    gen = PacketTransformer(n_layer=1, d_model=32, n_head=2, train_steps=300, eval_every=10,
                            patience=2).fit(toy_packets(), PACKETS, seed=0)
    b = gen.budget_
    assert "early stopping" in b.criterion and len(gen.val_history_) >= 1 and b.done == len(gen.loss_history_)
    assert b.converged == (b.stopped == "converged") == (b.done < 300)

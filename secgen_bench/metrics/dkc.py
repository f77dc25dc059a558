"""DKC: domain-knowledge check violations of the synthetic flows (lower is better).

The rules are data (:mod:`secgen_bench.metrics.dkc_rules`): each is an id, a
description and a condition over column roles. ``dkc`` is the paper-faithful
metric: on the CIDDS-001 bidirectional schema it applies the artefact's 21
checks and returns their summed violation rates / 20, quirks included; on any
other schema it applies the role-based rule set of that schema (``physical``,
``ctu``, ``zeek``) and returns the mean violation rate of the rules whose roles
exist. ``dkc-fixed`` is the corrected CIDDS variant (dead rules live, see the
rule-set docstring); on other schemas it is the same as ``dkc``. Either takes
``rule_set=NAME`` to force a set. The breakdown holds each applied rule's
violation rate (fraction of synthetic flows) under the rule id.
"""
from __future__ import annotations

from typing import ClassVar

from secgen_bench.metrics.base import Direction, Metric, MetricResult
from secgen_bench.metrics.dkc_rules import RULE_SETS, SlotView, rule_set_for


class DKC(Metric):
    """Domain-knowledge violations: artefact rules on CIDDS-001, role-based physical rules elsewhere."""

    name = "dkc"
    version = "1.0"
    description = "Domain-knowledge check violation rate (artefact's 21 CIDDS rules / 20; physical rules elsewhere)"
    direction = Direction.LOWER
    bounds = (0.0, 21.0 / 20.0)
    inputs = frozenset({"synthetic"})
    cidds_set: ClassVar[str | None] = None  # None: the schema's default set

    def __init__(self, rule_set: str | None = None):
        if rule_set is not None and rule_set not in RULE_SETS:
            raise ValueError(f"{self.name}: unknown rule set {rule_set!r}; known: {', '.join(sorted(RULE_SETS))}")
        self.rule_set = rule_set

    def rules_for(self, schema):
        if self.rule_set:
            return rule_set_for(schema, self.rule_set)
        if self.cidds_set and schema.name == "cidds001-bi":
            return rule_set_for(schema, self.cidds_set)
        return rule_set_for(schema)

    def compute(self, real, synthetic, schema, *, holdout=None, seed=0):
        rules = self.rules_for(schema)
        applied, _ = rules.applicable(schema)
        view = SlotView(synthetic.iloc[:0], schema, rules.wire_role)
        needed = sorted({c for r in applied for s in r.slots() for c in _as_list(view.column_of(s))})
        from secgen_bench.metrics._columns import require

        require([("synthetic", synthetic)], needed, self.name)
        score, rates, _skipped = rules.evaluate(synthetic, schema)
        return MetricResult(score, rates)


def _as_list(col):
    return [] if col is None else (col if isinstance(col, list) else [col])


class DKCFixed(DKC):
    """DKC with the artefact's dead CIDDS rules made live (ports 80/587, port-0 exemption, duration < 0)."""
    in_average_rank = False

    name = "dkc-fixed"
    description = "Domain-knowledge violations, CIDDS artefact rules corrected (mean of rule rates)"
    bounds = (0.0, 1.0)
    cidds_set = "cidds001-fixed"

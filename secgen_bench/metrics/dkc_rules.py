"""Domain-knowledge rules as data: conditions over column *roles*, grouped in named rule sets.

A :class:`Rule` is an id, a description and a condition built from the small
predicates below. A condition names *slots* (``protocol``, ``dst_port``,
``dst_ip``, ``flags``, ``duration``, ``bytes_in``, ``packets_out``,
``packets_total``...), which :class:`SlotView` resolves from the schema roles
(``schema.by_role``, ``schema.by_role_and_direction``); a rule whose slots a
schema lacks is not applied. A flow *violates* a rule when its condition is
true.

Rule sets:

- ``cidds001-artefact``: the FlowChronicle artefact's 21 CIDDS-001 checks,
  quirks included (ports compared as the strings ``'53.0'``..., so the listed
  ``'80'`` and ``'587'`` never match; the port-0 test ``not ICMP or not IGMP``
  is always true; a duration "is negative" when its text contains ``-``, so
  ``-0.0`` and ``1e-05`` count). Score = sum of the 21 rates / 20.
- ``cidds001-fixed``: the same checks with the dead rules made live (ports 80
  and 587 compared as numbers; port 0 counted only for non-ICMP, non-IGMP
  flows; negative duration as ``< 0``). Score = mean of the rates.
- ``physical``: role-based checks valid for any flow schema: per direction
  (in, out, or direction-less totals) packets below ``MIN_BYTES_PER_PACKET``
  bytes on average, or above 65,535 bytes; negative duration; duration > 0 for
  a single-packet flow; TCP to a UDP-only service port and UDP to a TCP-only
  one; TCP/UDP to port 0; TCP flags on a non-TCP flow. Score = mean of the
  rates of the applicable rules.
- ``ctu``: ``physical`` without the flags rule (Argus ``State`` is a state
  string such as ``CON`` or ``INT``, present on UDP flows too).
- ``zeek``: ``physical`` with the size bounds on the IP-level byte counters
  (``orig_ip_bytes``/``resp_ip_bytes``, role COUNT) rather than the payload
  bytes, and without the flags rule (``history`` is not TCP flags).

Selection (:func:`rule_set_for`): schema ``cidds001-bi`` -> ``cidds001-artefact``;
``ctu`` -> ``ctu``; ``zeek`` -> ``zeek``; any other schema -> ``physical``.
"""
from __future__ import annotations

import operator
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from secgen_bench.schema import FlowSchema, Role

MIN_BYTES_PER_PACKET = 42  # 14 Ethernet + 20 IP + 8 UDP: the artefact's (and the brief's) lower bound
MAX_BYTES_PER_PACKET = 65535


# ---------------------------------------------------------------- slot resolution
_DST_HINTS = ("dst", "dest", "resp", "dport", "daddr")


def _pick_destination(names: list[str]) -> str | None:
    """The destination column among several of one role (name hints, else the last one)."""
    if not names:
        return None
    if len(names) == 1:
        return names[0]
    for n in names:
        low = n.lower().replace(" ", "").replace("_", "").replace(".", "")
        if any(h in low for h in _DST_HINTS) or low in ("da", "dp"):
            return n
    return names[-1]


class SlotView:
    """Values of a table by slot name, resolved through the schema roles.

    ``wire_role`` is the role of the byte counters the size bounds apply to
    (BYTES by default; Zeek's IP-level counters are COUNT).
    """

    def __init__(self, table: pd.DataFrame, schema: FlowSchema, wire_role: Role = Role.BYTES):
        self.table = table
        self.schema = schema
        self.wire_role = wire_role
        self._cache: dict[str, np.ndarray] = {}

    def column_of(self, slot: str) -> str | list[str] | None:
        s = self.schema
        one = lambda names: names[0] if len(names) == 1 else (names[0] if names else None)  # noqa: E731
        if slot == "protocol":
            return one(s.by_role(Role.PROTOCOL))
        if slot == "flags":
            return one(s.by_role(Role.FLAGS))
        if slot == "duration":
            return one(s.by_role(Role.DURATION))
        if slot == "dst_port":
            return _pick_destination(s.by_role(Role.PORT))
        if slot == "dst_ip":
            return _pick_destination(s.by_role(Role.IP))
        for prefix, role in (("bytes", Role.BYTES), ("wire", self.wire_role), ("packets", Role.PACKETS)):
            for suffix, direction in (("_in", "in"), ("_out", "out"), ("_total", None)):
                if slot == prefix + suffix:
                    return one(s.by_role_and_direction(role, direction))
        if slot == "packets_sum":  # all packets of the flow: the total column, else in + out
            total = s.by_role_and_direction(Role.PACKETS, None)
            if total:
                return total[0]
            both = s.by_role_and_direction(Role.PACKETS, "in") + s.by_role_and_direction(Role.PACKETS, "out")
            if len(both) == 2:
                return both
            every = s.by_role(Role.PACKETS)  # a unidirectional record: its one packet counter
            return every[0] if len(every) == 1 else None
        raise KeyError(f"unknown DKC slot {slot!r}")

    def has(self, slot: str) -> bool:
        return self.column_of(slot) is not None

    def __getitem__(self, slot: str) -> np.ndarray:
        if slot not in self._cache:
            col = self.column_of(slot)
            if col is None:
                raise KeyError(f"schema {self.schema.name!r} has no column for slot {slot!r}")
            if isinstance(col, list):
                self._cache[slot] = sum(self._number(c) for c in col)
            else:
                self._cache[slot] = self._values(col)
        return self._cache[slot]

    def _number(self, col: str) -> np.ndarray:
        return pd.to_numeric(self.table[col], errors="coerce").to_numpy(dtype="float64")

    def _values(self, col: str) -> np.ndarray:
        series = self.table[col]
        if pd.api.types.is_numeric_dtype(series):
            return series.to_numpy(dtype="float64")
        return series.astype(str).to_numpy(dtype=object)


# ---------------------------------------------------------------- predicates
class Cond:
    """A condition over slots; ``mask(view)`` is the boolean violation mask."""

    def slots(self) -> set[str]:
        raise NotImplementedError

    def mask(self, view: SlotView) -> np.ndarray:
        raise NotImplementedError


@dataclass(frozen=True)
class All(Cond):
    parts: tuple[Cond, ...]

    def slots(self):
        return set().union(*(p.slots() for p in self.parts))

    def mask(self, view):
        out = self.parts[0].mask(view)
        for p in self.parts[1:]:
            out = out & p.mask(view)
        return out


@dataclass(frozen=True)
class Any_(Cond):
    parts: tuple[Cond, ...]

    def slots(self):
        return set().union(*(p.slots() for p in self.parts))

    def mask(self, view):
        out = self.parts[0].mask(view)
        for p in self.parts[1:]:
            out = out | p.mask(view)
        return out


@dataclass(frozen=True)
class Not(Cond):
    part: Cond

    def slots(self):
        return self.part.slots()

    def mask(self, view):
        return ~self.part.mask(view)


def _text(values: np.ndarray) -> pd.Series:
    return pd.Series(values, dtype=object).astype(str)


@dataclass(frozen=True)
class TextContains(Cond):
    """The slot's text contains ``token`` (the artefact's ``str.contains``)."""
    slot: str
    token: str

    def slots(self):
        return {self.slot}

    def mask(self, view):
        return _text(view[self.slot]).str.contains(self.token, regex=False).to_numpy()


@dataclass(frozen=True)
class TextIs(Cond):
    slot: str
    values: tuple[str, ...]

    def slots(self):
        return {self.slot}

    def mask(self, view):
        return _text(view[self.slot]).isin(self.values).to_numpy()


@dataclass(frozen=True)
class TextStartsWith(Cond):
    slot: str
    prefix: str

    def slots(self):
        return {self.slot}

    def mask(self, view):
        return _text(view[self.slot]).str.startswith(self.prefix).to_numpy()


@dataclass(frozen=True)
class TextEndsWith(Cond):
    slot: str
    suffix: str

    def slots(self):
        return {self.slot}

    def mask(self, view):
        return _text(view[self.slot]).str.endswith(self.suffix).to_numpy()


@dataclass(frozen=True)
class FloatTextIn(Cond):
    """The artefact's port test: ``str(float(value))`` is one of ``texts`` (so ``'80'`` never matches)."""
    slot: str
    texts: tuple[str, ...]

    def slots(self):
        return {self.slot}

    def mask(self, view):
        vals = pd.to_numeric(pd.Series(view[self.slot]), errors="coerce").to_numpy(dtype="float64")
        return pd.Series(vals).astype(str).isin(self.texts).to_numpy()


@dataclass(frozen=True)
class NumberIn(Cond):
    slot: str
    values: tuple[float, ...]

    def slots(self):
        return {self.slot}

    def mask(self, view):
        vals = pd.to_numeric(pd.Series(view[self.slot]), errors="coerce").to_numpy(dtype="float64")
        return np.isin(vals, np.asarray(self.values, dtype="float64"))


_OPS: dict[str, Callable] = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
                             "==": operator.eq, "!=": operator.ne}


@dataclass(frozen=True)
class Compare(Cond):
    """``a * slot_a  OP  b * slot_b`` (``slot_b`` None: compare with the constant ``b``)."""
    slot_a: str
    op: str
    b: float = 0.0
    slot_b: str | None = None
    a: float = 1.0

    def slots(self):
        return {self.slot_a} | ({self.slot_b} if self.slot_b else set())

    def mask(self, view):
        left = self.a * np.asarray(view[self.slot_a], dtype="float64")
        right = self.b * np.asarray(view[self.slot_b], dtype="float64") if self.slot_b else self.b
        return _OPS[self.op](left, right)


@dataclass(frozen=True)
class TextOfNumberContains(Cond):
    """The artefact's negative-duration test: the number's text contains ``token`` ('-0.0', '1e-05' count)."""
    slot: str
    token: str

    def slots(self):
        return {self.slot}

    def mask(self, view):
        vals = np.asarray(view[self.slot], dtype="float64")
        return pd.Series(vals).astype(str).str.contains(self.token, regex=False).to_numpy()


_TCP = ("TCP", "6")
_UDP = ("UDP", "17")
_ICMP = ("ICMP", "1", "ICMP6", "IPV6-ICMP", "IPV6_ICMP", "58")
_IGMP = ("IGMP", "2")


@dataclass(frozen=True)
class ProtocolIs(Cond):
    """Protocol by name or number, case and padding ignored (``tcp``, ``TCP  ``, ``6``)."""
    names: tuple[str, ...]

    def slots(self):
        return {"protocol"}

    def mask(self, view):
        return _text(view["protocol"]).str.strip().str.upper().isin(self.names).to_numpy()


@dataclass(frozen=True)
class FlagsSet(Cond):
    """Some flag is set: a character other than the 'no flag' fillers ``. - _ 0`` and spaces."""

    def slots(self):
        return {"flags"}

    def mask(self, view):
        return _text(view["flags"]).str.strip().str.replace(r"[.\-_0\s]", "", regex=True).str.len().to_numpy() > 0


# ---------------------------------------------------------------- rules and rule sets
@dataclass(frozen=True)
class Rule:
    id: str
    description: str
    condition: Cond

    def slots(self) -> set[str]:
        return self.condition.slots()


@dataclass(frozen=True)
class RuleSet:
    name: str
    description: str
    rules: tuple[Rule, ...]
    divisor: float | None = None        # None: mean over applied rules; else sum of rates / divisor
    wire_role: Role = Role.BYTES
    options: dict = field(default_factory=dict, compare=False)

    def applicable(self, schema: FlowSchema) -> tuple[list[Rule], list[Rule]]:
        view = SlotView(pd.DataFrame(columns=schema.names), schema, self.wire_role)
        ok, skipped = [], []
        for rule in self.rules:
            (ok if all(view.has(s) for s in rule.slots()) else skipped).append(rule)
        return ok, skipped

    def evaluate(self, table: pd.DataFrame, schema: FlowSchema) -> tuple[float, dict[str, float], list[str]]:
        """(score, {rule id: violation rate}, ids of rules skipped for missing roles)."""
        rules, skipped = self.applicable(schema)
        if not rules:
            raise ValueError(f"DKC rule set {self.name!r}: no rule applies to schema {schema.name!r}")
        view = SlotView(table, schema, self.wire_role)
        rates = {r.id: float(np.count_nonzero(r.condition.mask(view))) / len(table) for r in rules}
        total = sum(rates.values())
        score = total / self.divisor if self.divisor else total / len(rates)
        return score, rates, [r.id for r in skipped]


def _artefact_rules(fixed: bool) -> tuple[Rule, ...]:
    port = "dst_port"
    f = lambda *ps: tuple(f"{float(p)}" for p in ps)  # noqa: E731  ports as the artefact's strings '53.0'
    udp_services = f(53, 137, 138, 5353, 1900, 67, 0, 3544, 8612, 3702, 123)
    tcp_services = f(443, 80, 8000, 25, 993, 587, 445, 0, 84, 8088, 8080)
    netbios = f(137, 138, 1900)
    # the artefact lists '80' and '587' (no '.0'): dead entries, live in the fixed set
    internal_only = f(8000, 25, 443) + (f(80, 587) if fixed else ("80", "587"))
    proto_icmp, proto_igmp = TextContains("protocol", "ICMP"), TextContains("protocol", "IGMP")
    port0_exempt = (All((Not(proto_icmp), Not(proto_igmp))) if fixed
                    else Any_((Not(proto_icmp), Not(proto_igmp))))  # artefact: always true
    negative = (Compare("duration", "<", 0.0) if fixed else TextOfNumberContains("duration", "-"))
    return (
        Rule("tcp-to-udp-port", "TCP flow to a UDP service port", All((FloatTextIn(port, udp_services), TextContains("protocol", "TCP")))),
        Rule("udp-to-tcp-port", "UDP flow to a TCP service port", All((FloatTextIn(port, tcp_services), TextContains("protocol", "UDP")))),
        Rule("port-zero", "destination port 0" + (" on a non-ICMP/IGMP flow" if fixed else " (artefact: any protocol)"),
             All((FloatTextIn(port, f(0)), port0_exempt))),
        Rule("icmp-out-bytes", "ICMP with Out bytes != 0", All((proto_icmp, Compare("bytes_out", "!=", 0.0)))),
        Rule("icmp-out-packets", "ICMP with Out packets != 0", All((proto_icmp, Compare("packets_out", "!=", 0.0)))),
        Rule("igmp-bytes", "IGMP with bytes in either direction",
             All((proto_igmp, Any_((Compare("bytes_out", "!=", 0.0), Compare("bytes_in", "!=", 0.0)))))),
        Rule("broadcast-port-in-bytes", "port 137/138/1900 with In bytes != 0", All((FloatTextIn(port, netbios), Compare("bytes_in", "!=", 0.0)))),
        Rule("broadcast-port-in-packets", "port 137/138/1900 with In packets != 0", All((FloatTextIn(port, netbios), Compare("packets_in", "!=", 0.0)))),
        Rule("broadcast-port-unicast", "port 137/138/1900 to a destination not ending in .255",
             All((FloatTextIn(port, netbios), Not(TextEndsWith("dst_ip", ".255"))))),
        Rule("external-service-internal-dst", "port 8000/25/443" + ("/80/587" if fixed else " (80, 587 dead)") + " to a 192.168 destination",
             All((FloatTextIn(port, internal_only), TextStartsWith("dst_ip", "192.168")))),
        Rule("internal-service-external-dst", "port 993/67 to a destination outside 192.168",
             All((FloatTextIn(port, f(993, 67)), Not(TextStartsWith("dst_ip", "192.168"))))),
        Rule("dns-not-dns-server", "port 53 to a destination other than the token DNS",
             All((FloatTextIn(port, f(53)), Not(TextIs("dst_ip", ("DNS",)))))),
        Rule("mdns-not-multicast", "port 5353 to a destination other than the token 10008_251",
             All((FloatTextIn(port, f(5353)), Not(TextIs("dst_ip", ("10008_251",)))))),
        Rule("flags-non-tcp", "flags other than '......' on a non-TCP flow",
             All((Not(TextIs("flags", ("......",))), Not(TextIs("protocol", ("TCP",)))))),
        Rule("in-packet-too-small", "In packets * 42 > In bytes", Compare("packets_in", ">", 1.0, "bytes_in", a=42.0)),
        Rule("out-packet-too-small", "Out packets * 42 > Out bytes", Compare("packets_out", ">", 1.0, "bytes_out", a=42.0)),
        Rule("in-packet-too-big", "In bytes > 65535 * In packets", Compare("bytes_in", ">", 65535.0, "packets_in")),
        Rule("out-packet-too-big", "Out bytes > 65535 * Out packets", Compare("bytes_out", ">", 65535.0, "packets_out")),
        Rule("negative-duration", "negative duration" + ("" if fixed else " (artefact: its text contains '-')"), negative),
        Rule("zero-duration-many-packets", "duration 0 with more than one packet",
             All((Compare("duration", "==", 0.0), Compare("packets_sum", ">", 1.0)))),
        Rule("single-packet-with-duration", "duration > 0 with exactly one packet",
             All((Compare("duration", ">", 0.0), Compare("packets_sum", "==", 1.0)))),
    )


_UDP_ONLY_PORTS = (67, 68, 69, 123, 137, 138, 161, 162, 500, 514, 1900, 4500, 5353)
_TCP_ONLY_PORTS = (20, 21, 22, 23, 25, 110, 143, 445, 993, 995, 3389)


def _physical_rules(flags: bool) -> tuple[Rule, ...]:
    rules = []
    for suffix, label in (("_in", "In"), ("_out", "Out"), ("_total", "total")):
        rules.append(Rule(f"packet-too-small{suffix.replace('_', '-')}",
                          f"{label}: fewer than {MIN_BYTES_PER_PACKET} bytes per packet",
                          Compare("packets" + suffix, ">", 1.0, "wire" + suffix, a=float(MIN_BYTES_PER_PACKET))))
        rules.append(Rule(f"packet-too-big{suffix.replace('_', '-')}",
                          f"{label}: more than {MAX_BYTES_PER_PACKET} bytes per packet",
                          Compare("wire" + suffix, ">", float(MAX_BYTES_PER_PACKET), "packets" + suffix)))
    rules += [
        Rule("negative-duration", "negative duration", Compare("duration", "<", 0.0)),
        Rule("single-packet-with-duration", "duration > 0 with exactly one packet",
             All((Compare("duration", ">", 0.0), Compare("packets_sum", "==", 1.0)))),
        Rule("tcp-to-udp-only-port", "TCP flow to a UDP-only service port",
             All((ProtocolIs(_TCP), NumberIn("dst_port", _UDP_ONLY_PORTS)))),
        Rule("udp-to-tcp-only-port", "UDP flow to a TCP-only service port",
             All((ProtocolIs(_UDP), NumberIn("dst_port", _TCP_ONLY_PORTS)))),
        Rule("tcp-udp-port-zero", "TCP or UDP flow to port 0",
             All((Any_((ProtocolIs(_TCP), ProtocolIs(_UDP))), NumberIn("dst_port", (0,))))),
    ]
    if flags:
        rules.append(Rule("flags-non-tcp", "TCP flags set on a non-TCP flow", All((Not(ProtocolIs(_TCP)), FlagsSet()))))
    return tuple(rules)


RULE_SETS: dict[str, RuleSet] = {
    rs.name: rs for rs in (
        RuleSet("cidds001-artefact", "FlowChronicle artefact's 21 CIDDS-001 checks, quirks kept (sum / 20)",
                _artefact_rules(fixed=False), divisor=20.0),
        RuleSet("cidds001-fixed", "the artefact's 21 CIDDS-001 checks with the dead rules made live (mean)",
                _artefact_rules(fixed=True)),
        RuleSet("physical", "role-based physical and protocol checks for any flow schema (mean)",
                _physical_rules(flags=True)),
        RuleSet("ctu", "physical checks for Argus flows (State is not TCP flags)", _physical_rules(flags=False)),
        RuleSet("zeek", "physical checks for Zeek conn.log (size bounds on IP-level bytes; history is not flags)",
                _physical_rules(flags=False), wire_role=Role.COUNT),
    )
}

SCHEMA_RULE_SETS = {"cidds001-bi": "cidds001-artefact", "ctu": "ctu", "zeek": "zeek"}


def rule_set_for(schema: FlowSchema, override: str | None = None) -> RuleSet:
    name = override or SCHEMA_RULE_SETS.get(schema.name, "physical")
    if name not in RULE_SETS:
        raise ValueError(f"unknown DKC rule set {name!r}; known: {', '.join(sorted(RULE_SETS))}")
    return RULE_SETS[name]

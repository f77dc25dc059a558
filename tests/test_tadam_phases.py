"""TADAM's TCP phases: with 20 flows MDL merges the teardown's last ACK with the handshake's, unless phases keep them apart."""
import pytest

from secgen_bench.generators.tadam import TADAM
from secgen_bench.generators.tadam.automaton import SINK, TimedAutomaton
from secgen_bench.generators.tadam.phases import TCPPhases, word_phases
from secgen_bench.metrics.packets import rule_violations
from tests.tiny_tables import PACKETS, toy_packets


@pytest.fixture(scope="module")
def few_flows():
    return toy_packets(n_tcp=20, n_udp=5)


def _violations(gen):
    return rule_violations(gen.sample(400, seed=1), PACKETS).any(axis=1).mean()


def test_without_phases_sampled_flows_send_data_after_fin(few_flows):
    # the failure the phases fix: it exists on this data (otherwise the next test proves nothing)
    gen = TADAM(profile="quick", tcp_phases=False).fit(few_flows, PACKETS, seed=0)
    assert _violations(gen) > 0.1


def test_with_phases_every_edge_follows_the_phase_machine_and_no_rule_breaks(few_flows):
    gen = TADAM(profile="quick").fit(few_flows, PACKETS, seed=0)
    assert _violations(gen) == 0.0
    aut = gen.models_["TCP/443"].automaton_
    machine = TCPPhases()
    assert aut.phases is not None and aut.phases[0] == machine.start
    for e in aut.edges:
        if e.dst != SINK:
            assert aut.phases[e.dst] == machine.step(aut.phases[e.src], aut.symbols[e.sym])
    assert TimedAutomaton.from_dict(aut.to_dict()).phases == aut.phases


def test_phase_machine_reads_handshake_fin_and_rst():
    m = TCPPhases()
    ok = word_phases(m, ["S>.", "SA<.", "A>.", "FA>.", "R<."])
    assert [m.describe(p) for p in ok] == ["syn-sent", "handshake", "handshake", "handshake+fin>",
                                           "handshake+fin>+rst"]
    assert m.describe(word_phases(m, ["PA>d", "S>."])[-1]) == "other"
    assert m.describe(word_phases(m, ["S>.", "S>."])[-1]) == "other"

"""Protocol phases a learnt automaton must keep apart: TCP's connection state as a tiny known machine.

Why: with the few dozen flows a service has, MDL pays for states more than for
ambiguity, so TADAM's merges joined the state after the teardown's last ACK with
the one after the handshake's ACK (both read ``A>.``), and a RST's state with an
established one: sampled flows then sent data after their FIN or RST. The
packet-level learner therefore labels every state with the connection phase that
all paths into it share and never merges states of different phases (the start
automaton is the Markov chain over (phase, last symbol)). A walk then makes only
(phase, symbol) steps seen in training: a capture without data after FIN yields
none, and one caught mid-stream (nDPI) keeps its share of flows without a handshake.

A phase machine has ``start`` and ``step(phase, symbol) -> phase`` (deterministic,
total: it never rejects, it only tracks).
"""
from __future__ import annotations

from secgen_bench.packets import parse_symbol

# opening component of a TCP phase
_NEW, _SYN_SENT, _HANDSHAKE, _OTHER = 0, 1, 2, 3
_FIN_OUT, _FIN_IN, _RST = 4, 8, 16


class TCPPhases:
    """Phase = opening (nothing yet / SYN sent / handshake done / other start) + FIN per side + RST seen.

    Opening: a pure SYN from the initiator first, then SYN-ACK from the answer is a handshake;
    any other start is "other" (flows caught mid-stream). FIN and RST bits stay set once seen.
    """

    start = _NEW

    def __init__(self, payload_class: bool = True):
        self.payload_class = payload_class
        self._cache: dict[tuple[int, str], int] = {}

    def step(self, phase: int, symbol: str) -> int:
        key = (phase, symbol)
        got = self._cache.get(key)
        if got is None:
            got = self._cache[key] = self._step(phase, symbol)
        return got

    def _step(self, phase: int, symbol: str) -> int:
        flags, direction = parse_symbol(symbol, self.payload_class)
        flags = flags.upper()
        syn, ack = "S" in flags, "A" in flags
        opening, rest = phase & 3, phase & ~3
        if opening == _NEW:
            opening = _SYN_SENT if (syn and not ack and direction == "out") else _OTHER
        elif opening == _SYN_SENT:
            opening = _HANDSHAKE if (syn and ack and direction == "in") else _OTHER
        if "F" in flags:
            rest |= _FIN_OUT if direction == "out" else _FIN_IN
        if "R" in flags:
            rest |= _RST
        return opening | rest

    def describe(self, phase: int) -> str:
        opening = ("new", "syn-sent", "handshake", "other")[phase & 3]
        marks = [m for bit, m in ((_FIN_OUT, "fin>"), (_FIN_IN, "fin<"), (_RST, "rst")) if phase & bit]
        return "+".join([opening] + marks)


def word_phases(machine, symbols: list[str]) -> list[int]:
    """The phase after each symbol of one word."""
    out, phase = [], machine.start
    for s in symbols:
        phase = machine.step(phase, s)
        out.append(phase)
    return out

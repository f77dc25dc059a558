"""Fit sampled packet words to flow records: exact counts and bytes per direction, the flow's duration.

Why: the pipeline flows -> packets -> pcap needs each flow's packets to agree with its
record (:mod:`secgen_bench.packet_conditions`), and every per-service sequence model
(markov-chain, hmm, tadam) can only draw free walks. So, per flow:

1. From a pool of the service model's own walks, take the one that needs the least editing:
   a TCP walk that opens with a pure SYN from the initiator and closes (FIN or RST), whose
   opening and closing fit in the record's per-direction counts, with the per-direction
   packet counts of its middle nearest to what the record leaves for the middle (ties at random).
2. Split it in head (the leading SYN packets; for other protocols the first packet),
   middle, and tail (from the first FIN or RST on). Only the middle is edited: packets of a
   direction with too many are dropped at random, missing ones are copies of the walk's own
   middle packets of that direction (else of the pool's), put at random places in the middle.
   The middle has no SYN, FIN or RST, so the walk still opens and closes as it did.
3. Payload per direction: :func:`split_total` of the record's bytes over the direction's
   packets, in proportion to the walk's sizes of its data packets (middle first: head and
   tail get bytes only when the middle has no packet of that direction).
4. Inter-arrival times: the walk's, scaled so that they sum to the duration (rounded down to
   microseconds), uniform when the walk's are all zero.

When no walk can keep its head and tail within the counts (a 2-packet TCP flow), the tail is
dropped, then the head is cut to fit: such a flow cannot both open and close.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from secgen_bench.packet_conditions import split_total
from secgen_bench.packets import parse_symbol

_OUT, _IN = 0, 1


@dataclass
class Packet:
    flags: str
    side: int            # _OUT (initiator) or _IN
    data: bool           # the walk's payload class (its size when payload classes are off)
    size: float
    iat: float           # in the model's iat units


@dataclass
class Walk:
    head: list[Packet]
    middle: list[Packet]
    tail: list[Packet]

    def counts(self, part: str) -> np.ndarray:
        return np.bincount([p.side for p in getattr(self, part)], minlength=2)


def to_walk(word, payload_class: bool, tcp: bool) -> Walk:
    """A model's word (list of (symbol, [iat, size])) split into head, middle and tail."""
    packets = []
    for sym, val in word:
        flags, direction = parse_symbol(sym, payload_class)
        flags = "" if flags == "-" else flags
        size = max(float(val[1]), 0.0)
        data = sym.endswith("d") if payload_class else size > 0
        packets.append(Packet(flags, _OUT if direction == "out" else _IN, data, size, max(float(val[0]), 0.0)))
    if tcp:
        h = 0
        while h < len(packets) and "S" in packets[h].flags.upper():
            h += 1
        t = next((i for i in range(h, len(packets)) if set(packets[i].flags.upper()) & {"F", "R"}), len(packets))
    else:
        h = 1 if packets and packets[0].side == _OUT else 0
        t = len(packets)
    return Walk(packets[:h], packets[h:t], packets[t:])


def _opens(walk: Walk) -> bool:
    first = walk.head[0] if walk.head else None
    return first is not None and first.side == _OUT and "S" in first.flags.upper() and "A" not in first.flags.upper()


class WalkPool:
    """The walks of one service model, with the features the choice of step 1 needs."""

    def __init__(self, words, payload_class: bool, tcp: bool):
        self.tcp = tcp
        self.walks = [to_walk(w, payload_class, tcp) for w in words if len(w)]
        n = len(self.walks)
        self.frame = np.array([w.counts("head") + w.counts("tail") for w in self.walks]).reshape(n, 2)
        self.head = np.array([w.counts("head") for w in self.walks]).reshape(n, 2)
        self.middle = np.array([w.counts("middle") for w in self.walks]).reshape(n, 2)
        self.opens = np.array([_opens(w) for w in self.walks], dtype=bool)
        self.closes = np.array([bool(w.tail) for w in self.walks], dtype=bool)
        self.spare = [[p for w in self.walks for p in w.middle if p.side == s] for s in (_OUT, _IN)]

    def choose(self, want: np.ndarray, rng: np.random.Generator) -> Walk | None:
        if not self.walks:
            return None
        fits = (self.frame <= want).all(1)
        head_fits = (self.head <= want).all(1)
        edit = np.abs(np.where(fits[:, None], self.frame + self.middle, self.head + self.middle) - want).sum(1)
        score = edit + 1e6 * ~head_fits + 1e5 * ~fits
        if self.tcp:
            score = score + 1e4 * ~self.opens + 1e3 * ~self.closes
        best = np.flatnonzero(score == score.min())
        k = int(best[rng.integers(len(best))])
        walk = self.walks[k]
        if not fits[k]:
            walk = Walk(walk.head, walk.middle, [])
        return walk


def fit_walk(walk: Walk | None, pool: WalkPool | None, want: np.ndarray, rng: np.random.Generator,
             tcp: bool) -> list[Packet]:
    """Packets of one flow with exactly ``want`` = (out, in) packets: the walk's head and tail, an edited middle."""
    head = list(walk.head) if walk else []
    middle = list(walk.middle) if walk else []
    tail = list(walk.tail) if walk else []
    if (np.bincount([p.side for p in head], minlength=2) > want).any():       # cut the head to fit
        kept, have = [], np.zeros(2, int)
        for p in head:
            if have[p.side] < want[p.side]:
                kept.append(p)
                have[p.side] += 1
        head = kept
    frame = np.bincount([p.side for p in head + tail], minlength=2)
    for side in (_OUT, _IN):
        need = int(want[side] - frame[side])
        mine = [i for i, p in enumerate(middle) if p.side == side]
        if len(mine) > need:
            drop = set(rng.choice(mine, size=len(mine) - need, replace=False).tolist())
            middle = [p for i, p in enumerate(middle) if i not in drop]
        elif len(mine) < need:
            source = [middle[i] for i in mine] or (pool.spare[side] if pool else [])
            for _ in range(need - len(mine)):
                if source:
                    p = source[int(rng.integers(len(source)))]
                    p = Packet(p.flags, p.side, p.data, p.size, p.iat)
                else:
                    p = Packet("A" if tcp else "", side, True, 1.0, 0.0)
                middle.insert(int(rng.integers(len(middle) + 1)), p)
    packets = head + middle + tail
    if packets and packets[0].side != _OUT and want[_OUT]:
        first = next(i for i, p in enumerate(packets) if p.side == _OUT)   # the initiator speaks first
        packets.insert(0, packets.pop(first))
    return packets


def payload_sizes(packets: list[Packet], n_head: int, n_tail: int, side: int, total: int) -> np.ndarray:
    """Bytes of the ``side`` packets (in order), summing to ``total``: middle first, by the walk's data sizes."""
    idx = [i for i, p in enumerate(packets) if p.side == side]
    if not idx:
        return np.zeros(0, dtype=np.int64)
    middle = np.array([n_head <= i < len(packets) - n_tail for i in idx])
    weights = np.array([packets[i].size if packets[i].data else 0.0 for i in idx])
    for mask in (middle, np.ones(len(idx), bool)):
        w = np.where(mask, weights, 0.0)
        if w.sum() > 0:
            return split_total(total, len(idx), w)
        if mask.any() and total:
            return split_total(total, len(idx), mask.astype(float))
    return split_total(total, len(idx))


def scaled_iats(packets: list[Packet], duration: float) -> np.ndarray:
    """Inter-arrival times (first 0) summing to at most ``duration`` seconds, in the walk's proportions."""
    n = len(packets)
    raw = np.array([p.iat for p in packets[1:]], dtype=float)
    if n < 2 or duration <= 0:
        return np.zeros(n)
    if raw.sum() <= 0:
        raw = np.ones(n - 1)
    out = np.floor(raw * (duration / raw.sum()) * 1e6) / 1e6
    return np.r_[0.0, out]

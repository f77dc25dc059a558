"""Repaired words count in the learnt probabilities and guards, through the path their alignment takes.

The paper explains a noisy word as a path of the automaton plus noise operations, so the path's
edges are what the word used. Before, only exactly read words moved the counts: a corpus where
most words that open with ``s`` carry noise then gave ``s`` far too small a start probability.
"""
import numpy as np
import pytest

from secgen_bench.generators.tadam.automaton import END, SINK, Edge, TimedAutomaton
from secgen_bench.generators.tadam.corpus import Corpus
from secgen_bench.generators.tadam.evaluation import NoiseSettings, evaluate
from secgen_bench.generators.tadam.noise import AlignmentModel

SYMBOLS = ["$", "a", "b", "s"]
A, B, S = 1, 2, 3


def automaton() -> TimedAutomaton:
    """0 -s-> 1 -a-> 2 -b-> 3 -$->, and 0 -a-> 2: words "s a b" and "a b"."""
    def e(src, dst, sym, mean):
        return Edge(src, dst, sym, 1.0, np.array([mean]), np.array([1.0]))
    edges = [e(0, 1, S, 5.0), e(1, 2, A, 50.0), e(0, 2, A, 50.0), e(2, 3, B, 100.0),
             Edge(3, SINK, END, 1.0, np.zeros(1), np.zeros(1))]
    return TimedAutomaton(list(SYMBOLS), 1, 4, edges)


def corpus(n_clean_s=10, n_dup=30, n_del=20, n_plain=20, seed=0) -> Corpus:
    """Clean "s a b" and "a b" words, "s a b b" (b re-emitted) and "s b" (a deleted)."""
    rng = np.random.default_rng(seed)
    words = []

    def word(syms):
        base = {S: 5.0, A: 50.0, B: 100.0}
        vals = np.array([[base[x] + rng.integers(-1, 2)] for x in syms], dtype=float)
        words.append((np.array(syms, dtype=np.int64), vals))
    for _ in range(n_clean_s):
        word([S, A, B])
    for _ in range(n_dup):
        word([S, A, B, B])
    for _ in range(n_del):
        word([S, B])
    for _ in range(n_plain):
        word([A, B])
    return Corpus.build([w[0] for w in words], [w[1] for w in words])


def start_probability(aut: TimedAutomaton, sym: int) -> float:
    probs = 2.0 ** aut.log2_probs()
    return float(sum(p for e, p in zip(aut.edges, probs) if e.src == 0 and e.sym == sym))


def test_start_probability_is_the_share_of_words_that_take_the_edge():
    aut = automaton()
    data = corpus()
    ev = evaluate(aut, data, NoiseSettings())
    assert ev.status_counts == {"matched": 30.0, "repaired": 50.0, "explicit": 0.0}
    # 60 of the 80 words start with s (10 clean, 30 with a re-emission, 20 with a deletion); read exactly: 10 of 30
    assert start_probability(aut, S) == pytest.approx(60 / 80)
    ends = [e for e in aut.edges if e.sym == END]
    assert ends[0].count == pytest.approx(80.0)          # every word ends, the repaired ones too


def test_search_statistics_hold_the_repaired_paths():
    aut = automaton()
    ev = evaluate(aut, corpus(), NoiseSettings())
    s_edge = next(i for i, e in enumerate(aut.edges) if e.sym == S)
    assert ev.cnt[s_edge] == pytest.approx(60.0)
    assert ev.cnt.sum() == pytest.approx(len(ev.path_edge) and float(ev.path_w.sum()))


def test_deleted_symbol_counts_for_its_edge_without_moving_its_guard():
    aut = automaton()
    data = corpus(n_clean_s=10, n_dup=0, n_del=20, n_plain=0)
    observed = np.concatenate([v[s == A, 0] for s, v, w in zip(data.syms, data.vals, data.weights)
                               for _ in range(int(w))])
    evaluate(aut, data, NoiseSettings())
    a_edge = next(e for e in aut.edges if e.src == 1 and e.sym == A)
    assert a_edge.count == pytest.approx(30.0)           # 10 read it, 20 passed it with the a deleted
    assert a_edge.mean[0] == pytest.approx(observed.mean())


def test_alignment_path_of_each_repair():
    aut = automaton()
    model = AlignmentModel.build(aut, {"deletion": 0.05, "reemission": 0.05, "transposition": 0.05})
    edge_of = {(e.src, e.sym): i for i, e in enumerate(aut.edges)}
    sab = [edge_of[(0, S)], edge_of[(1, A)], edge_of[(2, B)], edge_of[(3, END)]]

    def path(syms):
        syms = np.array(syms, dtype=np.int64)
        vals = np.array([[{S: 5.0, A: 50.0, B: 100.0}[x]] for x in syms.tolist()])
        _, _, (edges, at) = model.align(syms, vals, want_path=True)
        return edges.tolist(), at.tolist()
    assert path([S, B]) == (sab, [0, -1, 1, -1])               # a deleted: its edge, no value
    assert path([S, A, B, B]) == (sab, [0, 1, 2, -1])          # the re-emitted b uses no edge
    assert path([S, B, A]) == (sab, [0, 2, 1, -1])             # transposed: each edge reads its own value

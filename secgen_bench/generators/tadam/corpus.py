"""Training words in the learner's form: symbol ids, value matrices, multiplicities.

The public API takes sequences as lists of ``(symbol, value)`` events, value a
number, a vector or None (untimed). Identical words are stored once with a
weight: HDFS sessions repeat a lot, and every cost is linear in the weights.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

END_SYMBOL = "$"


def _value_vector(value, dim: int | None, where: str) -> np.ndarray:
    if value is None:
        vec = np.zeros(0)
    else:
        vec = np.atleast_1d(np.asarray(value, dtype=float)).ravel()
    if dim is not None and vec.size != dim:
        raise ValueError(f"{where}: value has {vec.size} dimensions, earlier values had {dim}")
    if vec.size and not np.isfinite(vec).all():
        raise ValueError(f"{where}: non-finite value {value!r}")
    return vec


def split_events(sequences: Iterable[Sequence], dim: int | None = None) -> tuple[list[list[str]], list[np.ndarray], int]:
    """Symbols (as str) and (n, d) value arrays of each sequence; checks one value dimension throughout."""
    all_syms, all_vals = [], []
    for k, seq in enumerate(sequences):
        syms, vals = [], []
        for i, event in enumerate(seq):
            if isinstance(event, (tuple, list)) and len(event) in (1, 2):
                sym, value = event[0], (event[1] if len(event) == 2 else None)
            else:
                sym, value = event, None
            sym = str(sym)
            if sym == END_SYMBOL:
                raise ValueError(f"sequence {k} event {i}: symbol {END_SYMBOL!r} is reserved for the end of a word")
            vec = _value_vector(value, dim, f"sequence {k} event {i}")
            dim = vec.size if dim is None else dim
            syms.append(sym)
            vals.append(vec)
        all_syms.append(syms)
        all_vals.append(np.array(vals, dtype=float).reshape(len(vals), dim or 0))
    return all_syms, all_vals, dim or 0


@dataclass
class Corpus:
    """Unique words (symbol ids, values) with their multiplicities."""

    syms: list[np.ndarray]
    vals: list[np.ndarray]
    weights: np.ndarray

    def flat(self, dim: int):
        """Cached flattened (symbols, values, offsets) for vectorised parsing."""
        if getattr(self, "_flat", None) is None:
            from secgen_bench.generators.tadam.automaton import flatten_words

            self._flat = flatten_words(self.syms, self.vals, dim)
        return self._flat

    @property
    def n_events(self) -> float:
        return float(sum(w * len(s) for s, w in zip(self.syms, self.weights)))

    @classmethod
    def build(cls, words_syms: list[np.ndarray], words_vals: list[np.ndarray]) -> "Corpus":
        index: dict[tuple, int] = {}
        syms, vals, weights = [], [], []
        for s, v in zip(words_syms, words_vals):
            key = (s.tobytes(), v.tobytes())
            k = index.get(key)
            if k is None:
                index[key] = len(syms)
                syms.append(s)
                vals.append(v)
                weights.append(1.0)
            else:
                weights[k] += 1.0
        return cls(syms, vals, np.asarray(weights))

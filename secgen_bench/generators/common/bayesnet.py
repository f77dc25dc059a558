"""The project's one adapter to pgmpy: learn a discrete Bayesian network, sample it fast.

Every model that needs a Bayesian network (IndependentBN, SequenceBN,
FlowChronicle's per-pattern networks) goes through this module, so the pgmpy
API (which changed names in 1.0 and moves structure learning to
``pgmpy.causal_discovery`` in 1.3) is touched in one place only.
Supported: ``pgmpy>=1.0,<1.3`` (tested with 1.1.2).

Stable API
----------
``learn_bayesnet(codes, *, max_indegree=3, seed=0, scoring="bic-d",
equivalent_sample_size=5.0, max_iter=..., cardinalities=None, edges=None)``
    ``codes`` is a DataFrame of small non-negative integer codes (one column
    per variable). Structure: pgmpy hill climbing with the given score
    (``"bic-d"`` = BIC for discrete data, as the artefact), unless ``edges``
    fixes it. For ``bic-d``/``aic-d`` pgmpy's score object gets its counts
    from numpy (:func:`numpy_scorer`, same formula, a test checks equality). Parameters: BDeu posterior means (Bayesian estimation with an
    equivalent sample size), computed here with numpy; they equal pgmpy's
    ``BayesianEstimator(prior_type="BDeu")`` (a test checks this) but cover
    every code ``0..cardinality-1`` even when unseen in the data.
``FittedBN``
    ``.columns``, ``.cardinalities``, ``.parents``, ``.edges``, ``.order``
    (topological), ``.cpts[var]`` (array ``(parent configurations, card)``,
    rows sum to 1, parent configuration index = mixed radix over
    ``parents[var]`` in order, first parent most significant),
    ``.sample(n, seed=...)`` (vectorised ancestral sampling with numpy, seeded;
    returns int64 codes in ``columns`` order), ``.log_prob(codes)`` (natural
    log per row), ``.log_likelihood(codes)`` (sum), ``.n_parameters`` and
    ``.bic(codes)`` (log-likelihood minus ``n_parameters/2 * ln N``).

Hill climbing with pgmpy is deterministic given the data, also across
processes (variables are handed to pgmpy under integer names, see
``learn_bayesnet``); the seed is kept for the API and does not change the
structure. Its cost grows with the
square of the number of variables: callers cap ``max_iter`` for wide tables.
"""
from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

SCORINGS = ("bic-d", "k2", "bdeu", "bds", "aic-d")
MAX_CPT_CELLS = 20_000_000


def _pgmpy():
    """Import pgmpy's pieces with its import-time FutureWarnings silenced (here only)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        from pgmpy.estimators import AIC, BIC, HillClimbSearch
    return HillClimbSearch, {"bic-d": BIC, "aic-d": AIC}


def numpy_scorer(frame: pd.DataFrame, scoring: str):
    """pgmpy's BIC/AIC score object with its count step done by numpy instead of pandas groupby.

    pgmpy computes each local score's contingency table with a pandas groupby
    (~10 ms); hill climbing over the ~56 variables of a SequenceBN window needs
    thousands of them. Same formula, same observed-state cardinalities, ~100x
    faster; ``frame`` must hold pandas Categoricals of the observed states.
    Other scorings return the plain pgmpy name.
    """
    _, fast = _pgmpy()
    if scoring not in fast:
        return scoring
    dense = {c: frame[c].cat.codes.to_numpy().astype(np.int64) for c in frame.columns}
    cards = {c: len(frame[c].cat.categories) for c in frame.columns}
    n = len(frame)

    class _NumpyCounts(fast[scoring]):
        def _log_likelihood(self, variable, parents):
            parents = list(parents)
            idx = np.zeros(n, dtype=np.int64)
            for p in parents:
                idx = idx * cards[p] + dense[p]
            _, joint = np.unique(idx * cards[variable] + dense[variable], return_counts=True)
            _, margin = np.unique(idx, return_counts=True)
            ll = float(np.sum(joint * np.log(joint)) - np.sum(margin * np.log(margin)))
            return ll, int(np.prod([cards[p] for p in parents])), cards[variable]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _NumpyCounts(frame)


@dataclass
class FittedBN:
    """A discrete Bayesian network with numpy CPTs; see the module docstring."""

    columns: tuple[str, ...]
    cardinalities: dict[str, int]
    parents: dict[str, tuple[str, ...]]
    cpts: dict[str, np.ndarray]
    order: tuple[str, ...]
    fit_seconds: float = 0.0
    structure_iterations: int | None = field(default=None)

    @property
    def edges(self) -> list[tuple[str, str]]:
        return [(p, v) for v in self.columns for p in self.parents[v]]

    @property
    def n_parameters(self) -> int:
        """Free parameters: per variable (card - 1) x number of parent configurations."""
        return int(sum((self.cardinalities[v] - 1) * self.cpts[v].shape[0] for v in self.columns))

    def _parent_index(self, var: str, values: dict[str, np.ndarray], n: int) -> np.ndarray:
        idx = np.zeros(n, dtype=np.int64)
        for p in self.parents[var]:
            idx = idx * self.cardinalities[p] + values[p]
        return idx

    def sample(self, n: int, seed: int | np.random.Generator = 0) -> pd.DataFrame:
        """``n`` rows of int64 codes by forward (ancestral) sampling, vectorised over rows."""
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        n = int(n)
        values: dict[str, np.ndarray] = {}
        for var in self.order:
            cum = np.cumsum(self.cpts[var], axis=1)
            rows = cum[self._parent_index(var, values, n)] if self.parents[var] else np.broadcast_to(cum[0], (n, cum.shape[1]))
            u = rng.random(n) * rows[:, -1]
            values[var] = np.minimum((rows <= u[:, None]).sum(axis=1), self.cardinalities[var] - 1).astype(np.int64)
        return pd.DataFrame({c: values[c] for c in self.columns})

    def _check_codes(self, codes: pd.DataFrame) -> dict[str, np.ndarray]:
        missing = [c for c in self.columns if c not in codes.columns]
        if missing:
            raise ValueError(f"bayesnet: codes lack column {missing[0]!r}")
        out = {}
        for c in self.columns:
            v = np.asarray(codes[c], dtype=np.int64)
            if len(v) and (v.min() < 0 or v.max() >= self.cardinalities[c]):
                raise ValueError(f"bayesnet: column {c!r} has codes outside 0..{self.cardinalities[c] - 1}")
            out[c] = v
        return out

    def log_prob(self, codes: pd.DataFrame) -> np.ndarray:
        """Natural-log probability of each row under the network."""
        values = self._check_codes(codes)
        n = len(codes)
        total = np.zeros(n)
        for var in self.columns:
            total += np.log(self.cpts[var][self._parent_index(var, values, n), values[var]])
        return total

    def log_likelihood(self, codes: pd.DataFrame) -> float:
        return float(self.log_prob(codes).sum())

    def bic(self, codes: pd.DataFrame) -> float:
        return self.log_likelihood(codes) - 0.5 * np.log(max(len(codes), 1)) * self.n_parameters


def _as_codes(codes: pd.DataFrame, cardinalities: dict[str, int] | None) -> tuple[pd.DataFrame, dict[str, int]]:
    if not isinstance(codes, pd.DataFrame) or codes.shape[1] == 0:
        raise ValueError("bayesnet: codes must be a DataFrame with at least one column")
    if len(codes) == 0:
        raise ValueError("bayesnet: codes table is empty")
    out, cards = {}, {}
    for c in codes.columns:
        col = codes[c]
        if not pd.api.types.is_integer_dtype(col):
            raise ValueError(f"bayesnet: column {c!r} must hold integer codes, got dtype {col.dtype}")
        v = col.to_numpy(dtype=np.int64)
        if v.min() < 0:
            raise ValueError(f"bayesnet: column {c!r} has a negative code {int(v.min())}")
        card = int(v.max()) + 1
        if cardinalities and c in cardinalities:
            if cardinalities[c] < card:
                raise ValueError(f"bayesnet: column {c!r} has code {card - 1} >= cardinality {cardinalities[c]}")
            card = int(cardinalities[c])
        out[c], cards[c] = v, card
    return pd.DataFrame(out), cards


def _topological(columns: Sequence[str], parents: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    order, done, remaining = [], set(), list(columns)
    while remaining:
        ready = [v for v in remaining if all(p in done for p in parents[v])]
        if not ready:
            raise ValueError(f"bayesnet: the given edges contain a cycle among {remaining}")
        for v in ready:
            order.append(v)
            done.add(v)
        remaining = [v for v in remaining if v not in done]
    return tuple(order)


def bdeu_cpt(child: np.ndarray, parent_cols: Sequence[np.ndarray], parent_cards: Sequence[int], card: int,
             equivalent_sample_size: float) -> np.ndarray:
    """BDeu posterior mean P(child | parents): (count + ess/(q r)) / (row count + ess/q)."""
    q = int(np.prod(parent_cards, dtype=np.float64)) if len(parent_cards) else 1
    if q * card > MAX_CPT_CELLS:
        raise ValueError(f"bayesnet: a CPT of {q} parent configurations x {card} states exceeds {MAX_CPT_CELLS} cells")
    idx = np.zeros(len(child), dtype=np.int64)
    for col, k in zip(parent_cols, parent_cards):
        idx = idx * k + col
    counts = np.bincount(idx * card + child, minlength=q * card).reshape(q, card).astype(float)
    alpha = equivalent_sample_size / (q * card)
    counts += alpha
    return counts / counts.sum(axis=1, keepdims=True)


def learn_bayesnet(codes: pd.DataFrame, *, max_indegree: int = 3, seed: int = 0, scoring: str = "bic-d",
                   equivalent_sample_size: float = 5.0, max_iter: int = 1_000_000,
                   cardinalities: dict[str, int] | None = None,
                   edges: Iterable[tuple[str, str]] | None = None) -> FittedBN:
    """Learn structure (pgmpy hill climbing, unless ``edges`` is given) and BDeu parameters."""
    if scoring not in SCORINGS:
        raise ValueError(f"bayesnet: unknown scoring {scoring!r}; choose one of {', '.join(SCORINGS)}")
    if max_indegree < 0:
        raise ValueError(f"bayesnet: max_indegree must be >= 0, got {max_indegree}")
    if equivalent_sample_size <= 0:
        raise ValueError(f"bayesnet: equivalent_sample_size must be > 0, got {equivalent_sample_size}")
    if max_iter < 0:
        raise ValueError(f"bayesnet: max_iter must be >= 0, got {max_iter}")
    data, cards = _as_codes(codes, cardinalities)
    columns = tuple(data.columns)
    start = time.perf_counter()
    parents: dict[str, list[str]] = {c: [] for c in columns}
    if edges is not None:
        for p, v in edges:
            if p not in parents or v not in parents:
                raise ValueError(f"bayesnet: edge ({p!r}, {v!r}) names an unknown column")
            parents[v].append(p)
    else:
        # Variables with one observed value cannot gain from edges; pgmpy scores them fine
        # but skipping them keeps the search smaller.
        varying = [c for c in columns if data[c].nunique() > 1]
        if len(varying) > 1 and max_indegree > 0 and max_iter > 0:
            HillClimbSearch, _ = _pgmpy()
            # Integer variable names: pgmpy iterates candidate edges from a Python set, whose order
            # for string names changes with PYTHONHASHSEED; with ints it is fixed, so ties in the
            # score (e.g. a->b vs b->a under BIC) break the same way in every process.
            frame = pd.DataFrame({i: pd.Categorical(data[c]) for i, c in enumerate(varying)})
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)
                warnings.simplefilter("ignore", UserWarning)
                dag = HillClimbSearch(frame).estimate(scoring_method=numpy_scorer(frame, scoring),
                                                      max_indegree=max_indegree,
                                                      max_iter=max_iter, show_progress=False)
            position = {c: i for i, c in enumerate(columns)}
            found = [(varying[p], varying[v]) for p, v in dag.edges()]
            for p, v in sorted(found, key=lambda e: (position[e[1]], position[e[0]])):
                parents[v].append(p)
    parent_t = {c: tuple(parents[c]) for c in columns}
    order = _topological(columns, parent_t)
    cpts = {}
    for c in columns:
        ps = parent_t[c]
        cpts[c] = bdeu_cpt(data[c].to_numpy(), [data[p].to_numpy() for p in ps], [cards[p] for p in ps],
                           cards[c], equivalent_sample_size)
    return FittedBN(columns, cards, parent_t, cpts, order, fit_seconds=time.perf_counter() - start)

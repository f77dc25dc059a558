"""IP2Vec: embeddings of IP addresses, ports and protocols learnt from their co-occurrence in flows.

A reimplementation after Ring et al., "IP2Vec: Learning Similarities between
IP Addresses" (ICDM Workshops 2017): every value of an IP, port or protocol
column is a word (prefixed by its role, so port 53 and a host named "53" stay
apart), a flow is a context, and a skip-gram model with negative sampling
learns one vector per word, so that hosts talking to the same services on the
same ports end up close. Departures: the paper chooses particular word pairs
(source IP with destination IP, port and protocol, and back); we train on
every ordered pair of embedded fields of a flow, which covers those pairs and
works for any schema; the optimiser is Adam on mini-batches rather than SGD.

Decoding maps a vector back to the nearest (Euclidean) embedding among the
values seen in that column during training. torch is imported only in ``fit``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from secgen_bench.schema import FlowSchema, Role

EMBEDDED_ROLES = (Role.IP, Role.PORT, Role.PROTOCOL)


class IP2Vec:
    """Skip-gram embeddings of the IP/port/protocol values of a flow table."""

    def __init__(self, dim: int = 10, epochs: int = 10, negatives: int = 5, batch_size: int = 1024,
                 lr: float = 0.01, max_pairs: int = 2_000_000):
        for option, value in (("dim", dim), ("epochs", epochs), ("negatives", negatives), ("batch_size", batch_size),
                              ("max_pairs", max_pairs)):
            if value < 1:
                raise ValueError(f"ip2vec option {option!r} must be >= 1, got {value}")
        if lr <= 0:
            raise ValueError(f"ip2vec option 'lr' must be > 0, got {lr}")
        self.dim, self.epochs, self.negatives = dim, epochs, negatives
        self.batch_size, self.lr, self.max_pairs = batch_size, lr, max_pairs

    def fit(self, table: pd.DataFrame, schema: FlowSchema, *, seed: int = 0, device: str = "cpu",
            columns: list[str] | None = None, threads: int = 1) -> "IP2Vec":
        self.columns_ = list(columns) if columns is not None else schema.by_role(*EMBEDDED_ROLES)
        if not self.columns_:
            raise ValueError(f"schema {schema.name!r} has no IP, port or protocol column to embed")
        words = {}
        word_ids = np.empty((len(table), len(self.columns_)), dtype="int64")
        self.column_values_, self.column_words_ = {}, {}
        for j, col in enumerate(self.columns_):
            role = schema.column(col).role.value
            uniques, inverse = np.unique(table[col].to_numpy(), return_inverse=True)
            ids = np.array([words.setdefault(f"{role}:{v}", len(words)) for v in uniques], dtype="int64")
            word_ids[:, j] = ids[inverse]
            self.column_values_[col] = uniques
            self.column_words_[col] = ids
        self.vocab_size_ = len(words)
        self.vectors_ = self._train(word_ids, seed=seed, device=device, threads=threads)
        self.column_vectors_ = {c: self.vectors_[self.column_words_[c]] for c in self.columns_}
        return self

    def _train(self, word_ids: np.ndarray, *, seed: int, device: str, threads: int) -> np.ndarray:
        from secgen_bench.generators.common.torch_support import seeded, torch_generator

        rng = np.random.default_rng(seed)
        k = word_ids.shape[1]
        pairs = [(a, b) for a in range(k) for b in range(k) if a != b]
        if not pairs:  # a single embedded column: nothing co-occurs, vectors stay random but distinct
            pairs = [(0, 0)]
        centre = np.concatenate([word_ids[:, a] for a, _ in pairs])
        context = np.concatenate([word_ids[:, b] for _, b in pairs])
        if len(centre) > self.max_pairs:
            keep = rng.choice(len(centre), size=self.max_pairs, replace=False)
            centre, context = centre[keep], context[keep]
        counts = np.bincount(word_ids.ravel(), minlength=self.vocab_size_).astype("float64")
        noise = counts ** 0.75
        noise /= noise.sum()
        with seeded(seed, device, threads) as torch:
            gen = torch_generator(seed, device)
            emb_in = torch.nn.Embedding(self.vocab_size_, self.dim).to(device)
            emb_out = torch.nn.Embedding(self.vocab_size_, self.dim).to(device)
            torch.nn.init.uniform_(emb_in.weight, -0.5 / self.dim, 0.5 / self.dim)
            torch.nn.init.zeros_(emb_out.weight)
            opt = torch.optim.Adam([emb_in.weight, emb_out.weight], lr=self.lr)
            centre_t = torch.as_tensor(centre, device=device)
            context_t = torch.as_tensor(context, device=device)
            noise_t = torch.as_tensor(noise, dtype=torch.float32, device=device)
            logsig = torch.nn.functional.logsigmoid
            for _ in range(self.epochs):
                order = torch.randperm(len(centre_t), generator=gen, device=device)
                for start in range(0, len(order), self.batch_size):
                    idx = order[start:start + self.batch_size]
                    u = emb_in(centre_t[idx])
                    v = emb_out(context_t[idx])
                    neg = torch.multinomial(noise_t, len(idx) * self.negatives, replacement=True, generator=gen)
                    vn = emb_out(neg.view(len(idx), self.negatives))
                    loss = -(logsig((u * v).sum(-1)) + logsig(-(vn @ u.unsqueeze(-1)).squeeze(-1)).sum(-1)).mean()
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
            return emb_in.weight.detach().cpu().numpy().astype("float64")

    # -- coding -----------------------------------------------------------
    def encode(self, column: str, values) -> np.ndarray:
        """(n, dim) vectors of ``values`` of ``column`` (values must have been seen in that column)."""
        uniques = self.column_values_[column]
        values = np.asarray(values)
        pos = np.searchsorted(uniques, values)
        pos = np.clip(pos, 0, len(uniques) - 1)
        if not (uniques[pos] == values).all():
            bad = values[uniques[pos] != values][0]
            raise ValueError(f"column {column!r}: value {bad!r} was not seen when IP2Vec was fitted")
        return self.column_vectors_[column][pos]

    def decode(self, column: str, vectors: np.ndarray, chunk: int = 4096) -> np.ndarray:
        """The training value of ``column`` whose embedding is nearest to each row of ``vectors``."""
        candidates = self.column_vectors_[column]
        sq = (candidates ** 2).sum(1)
        best = np.empty(len(vectors), dtype="int64")
        for start in range(0, len(vectors), chunk):
            block = vectors[start:start + chunk]
            dist = sq[None, :] - 2.0 * block @ candidates.T
            best[start:start + chunk] = dist.argmin(1)
        return self.column_values_[column][best]

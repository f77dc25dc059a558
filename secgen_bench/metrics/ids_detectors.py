"""The three unsupervised intrusion detectors of ``ids-utility``, each fit on benign flows, higher score = more anomalous.

All take the metric's seed and read the flow encoding (``flow_encoding``):
IsolationForest its ordinal view, the other two its dense view.

- ``isolation-forest``: scikit-learn IsolationForest, 100 trees,
  ``random_state=seed``; score = -score_samples.
- ``knn``: mean Euclidean distance to the ``KNN_K`` = 5 nearest training flows
  (exact float64, torch; no randomness).
- ``autoencoder``: PyTorch MLP d -> 32 -> 8 -> d (ReLU), Adam (lr 1e-2),
  ``AE_EPOCHS`` = 20 epochs of mini-batches of 128 in a seeded order, weights
  initialised from ``torch.manual_seed(seed)`` inside a forked RNG state (the
  caller's global RNG is untouched), deterministic algorithms on, one thread;
  score = mean squared reconstruction error.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from secgen_bench.metrics._single_thread import single_thread

KNN_K = 5
AE_EPOCHS = 20
AE_BATCH = 128


def isolation_forest(train: np.ndarray, seed: int) -> Callable[[np.ndarray], np.ndarray]:
    from sklearn.ensemble import IsolationForest

    model = IsolationForest(n_estimators=100, random_state=seed).fit(train)
    return lambda x: -model.score_samples(x)


def knn_distance(train: np.ndarray, seed: int) -> Callable[[np.ndarray], np.ndarray]:
    import torch

    ref = torch.as_tensor(train, dtype=torch.float64)
    k = min(KNN_K, len(train))

    def score(x: np.ndarray) -> np.ndarray:
        q = torch.as_tensor(x, dtype=torch.float64)
        out = []
        with torch.no_grad():
            for a in range(0, len(q), 1024):
                d = torch.cdist(q[a:a + 1024], ref, compute_mode="donot_use_mm_for_euclid_dist")
                out.append(torch.topk(d, k, dim=1, largest=False).values.mean(dim=1))
        return torch.cat(out).numpy()

    return score


def autoencoder(train: np.ndarray, seed: int) -> Callable[[np.ndarray], np.ndarray]:
    import torch
    from torch import nn

    d = train.shape[1]
    with single_thread(torch_too=True), torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = nn.Sequential(nn.Linear(d, 32), nn.ReLU(), nn.Linear(32, 8), nn.ReLU(), nn.Linear(8, d)).double()
        opt = torch.optim.Adam(model.parameters(), lr=1e-2)
        x = torch.as_tensor(train, dtype=torch.float64)
        order = torch.Generator().manual_seed(seed)
        for _ in range(AE_EPOCHS):
            for idx in torch.randperm(len(x), generator=order).split(AE_BATCH):
                opt.zero_grad()
                loss = ((model(x[idx]) - x[idx]) ** 2).mean()
                loss.backward()
                opt.step()
    model.eval()

    def score(q: np.ndarray) -> np.ndarray:
        with single_thread(torch_too=True), torch.no_grad():
            t = torch.as_tensor(q, dtype=torch.float64)
            return ((model(t) - t) ** 2).mean(dim=1).numpy()

    return score


# name -> (fit on training rows with a seed, returning a scorer; the encoding view it reads)
DETECTORS: dict[str, tuple[Callable[[np.ndarray, int], Callable[[np.ndarray], np.ndarray]], str]] = {
    "isolation-forest": (isolation_forest, "ordinal"),
    "knn": (knn_distance, "dense"),
    "autoencoder": (autoencoder, "dense"),
}

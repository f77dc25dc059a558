"""``lstm-next-flow``: the FlowChronicle paper's section 7.4 categorical temporal-dependency metric (Fig. 5).

A port of the artefact's ``LSTM_discrete_dataset`` (``../shared/specs/temporal_dependency.md``,
Metric 2). For each categorical column (Proto, Src IP Addr, Dst IP Addr, Dst Pt, Flags, found by
role) and each (hidden size H, window L) of the grid, a fresh network predicts a column's next
value from the L values before it, all flows of a table in time order in one sequence:

1. values as text (Proto stripped); one vocabulary, sorted, over the training, eval and synthetic values;
2. windows ids[i:i+L] -> ids[i+L] (a sequence of N values gives N - L; N <= L is an error);
3. Embedding(V, H) -> 2-layer LSTM(H, H) -> Linear(H, V) on the last step; cross-entropy,
   Adam (lr 1e-3), batch 4000 (``paper``), shuffled;
4. train on the real training windows for ``epochs``, acc_r = top-1 accuracy on the eval windows;
   go on training the *same* network and optimiser on the synthetic windows for ``epochs`` more
   (the artefact's sequential fine-tuning), acc_g = accuracy on the eval windows again;
5. score = |acc_r - acc_g|, averaged over the grid; the metric value is the mean over the columns.

The eval set is the real held-out table. Grid and epochs follow the profile:

- ``paper``: H in {500, 400, 300} x L in {256, 128, 64} (9 networks per column), 7 epochs;
- ``default`` and ``quick``: H = 32, L = 16, 2 epochs, batch 256: about 20 s per generator on
  the CIDDS sample on one loaded CPU core (H = 64, L = 32 took 160 s; the cost grows as H^2 * L).
  With the paper's batch of 4000, an epoch over the sample's ~5,700 training windows is two Adam
  steps: networks that barely move from their initial weights gave the real held-out row a
  Proto gap of 0.65, so these profiles take batches of 256 (22 steps per epoch, same compute).

Named deviations from the artefact: every network is seeded (initial weights and shuffling from
``seed``, the column and (H, L)), and flows at the same instant are ordered by their value, so the
same inputs give the same number on CPU (the artefact is unseeded and its sort is not stable);
torch runs on ``threads`` CPU threads (default 1) during the metric; batch 256 outside ``paper``.
When the synthetic table *is* the holdout (the Reference row), the holdout's earlier half in time
plays the generator and its later half the eval set, so that no network is scored on flows it
was just trained on (the artefact had a third real week for this).
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd

from secgen_bench.metrics._columns import require
from secgen_bench.metrics.base import Direction, Metric, MetricResult
from secgen_bench.schema import FlowSchema, Role, SchemaError


@dataclass(frozen=True)
class Grid:
    hidden_sizes: tuple[int, ...]
    windows: tuple[int, ...]
    epochs: int
    batch_size: int = 4000


GRIDS = {
    "paper": Grid((500, 400, 300), (256, 128, 64), 7, 4000),
    "default": Grid((32,), (16,), 2, 256),
    "quick": Grid((32,), (16,), 2, 256),
}
LEARNING_RATE = 1e-3


def paper_categorical_columns(schema: FlowSchema, metric: str = "lstm-next-flow") -> dict[str, str]:
    """Paper label -> our column: the protocol, the first two IPs (source, destination), the last port, flags."""
    ips, ports = schema.by_role(Role.IP), schema.by_role(Role.PORT)
    found = {"Proto": schema.by_role(Role.PROTOCOL)[:1], "Src IP Addr": ips[:1], "Dst IP Addr": ips[1:2],
             "Dst Pt": ports[-1:], "Flags": schema.by_role(Role.FLAGS)[:1]}
    out = {label: names[0] for label, names in found.items() if names}
    if not out:
        raise SchemaError(f"{metric}: schema {schema.name!r} has no protocol, IP, port or flags column")
    return out


def time_ordered_text(table: pd.DataFrame, ts: str, column: str, strip: bool) -> np.ndarray:
    """The column's values as text, in time order; flows at the same instant ordered by their value."""
    values = table[column].astype(str)
    if strip:
        values = values.str.strip()
    frame = pd.DataFrame({"t": table[ts].astype("datetime64[ns]").to_numpy(), "v": values.to_numpy()})
    return frame.sort_values(["t", "v"], kind="mergesort")["v"].to_numpy(dtype=object)


def windows(ids: np.ndarray, length: int, which: str, metric: str):
    """(ids[i:i+L] for i < N-L, ids[i+L]) as torch tensors."""
    import torch

    if len(ids) <= length:
        raise ValueError(f"{metric}: the {which} table needs more than {length} flows for windows of {length}, "
                         f"got {len(ids)}")
    x = np.lib.stride_tricks.sliding_window_view(ids, length)[:-1]
    return torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(ids[length:].copy())


def build_network(vocabulary: int, hidden: int):
    import torch
    from torch import nn

    class NextValue(nn.Module):
        """Embedding -> 2-layer LSTM (zero initial state) -> Linear on the last step."""

        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(vocabulary, hidden)
            self.lstm = nn.LSTM(hidden, hidden, num_layers=2, batch_first=True)
            self.out = nn.Linear(hidden, vocabulary)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            h, _ = self.lstm(self.embed(x))
            return self.out(h[:, -1])

    return NextValue()


class LSTMLearner:
    """One seeded network and its Adam optimiser; each ``fit`` goes on training them (never re-initialised)."""

    def __init__(self, vocabulary: int, hidden: int, epochs: int, seed: int, device: str, batch_size: int = 4000):
        import torch

        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.model = build_network(vocabulary, hidden).to(device)
        self.optimiser = torch.optim.Adam(self.model.parameters(), lr=LEARNING_RATE)
        self.shuffle = torch.Generator().manual_seed(seed)
        self.epochs, self.device, self.batch = epochs, device, batch_size

    def fit(self, x, y) -> None:
        import torch
        import torch.nn.functional as F

        self.model.train()
        for _ in range(self.epochs):
            order = torch.randperm(len(x), generator=self.shuffle)
            for start in range(0, len(x), self.batch):
                idx = order[start:start + self.batch]
                self.optimiser.zero_grad()
                loss = F.cross_entropy(self.model(x[idx].to(self.device)), y[idx].to(self.device))
                loss.backward()
                self.optimiser.step()

    def predict(self, x):
        import torch

        self.model.eval()
        with torch.no_grad():
            return torch.cat([self.model(x[s:s + 4000].to(self.device)).argmax(dim=1).cpu()
                              for s in range(0, len(x), 4000)])


def accuracy_gap(train_seq, synthetic_seq, eval_seq, length: int, make_learner,
                 metric: str = "lstm-next-flow") -> tuple[float, float]:
    """(acc_r, acc_g): top-1 accuracy on the eval windows after fitting the real windows, then the synthetic ones.

    ``make_learner(vocabulary_size)`` gives the model; its second ``fit`` continues the first.
    """
    vocab = np.unique(np.concatenate([train_seq, eval_seq, synthetic_seq]).astype(str))
    encode = (lambda seq: np.searchsorted(vocab, seq.astype(str)).astype(np.int64))
    xr, yr = windows(encode(train_seq), length, "real", metric)
    xs, ys = windows(encode(synthetic_seq), length, "synthetic", metric)
    xe, ye = windows(encode(eval_seq), length, "holdout", metric)
    learner = make_learner(len(vocab))
    learner.fit(xr, yr)
    acc_r = float((learner.predict(xe) == ye).double().mean())
    learner.fit(xs, ys)
    return acc_r, float((learner.predict(xe) == ye).double().mean())


@contextmanager
def cpu_threads(n: int):
    """torch's intra-op threads set to ``n`` for the block, then restored.

    These networks are small: on a loaded machine two or more threads made one fit 25 times slower
    than one thread, and a fixed thread count keeps CPU results the same on every machine.
    """
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def resolve_device(device: str) -> str:
    if device == "auto":
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


class LSTMNextFlow(Metric):
    """Mean |accuracy gap| of next-value LSTMs trained on real flows, then fine-tuned on synthetic ones."""
    in_average_rank = False
    default = False  # opt-in: it trains networks, so a run scores it only when named

    name = "lstm-next-flow"
    version = "1.0"
    description = "FlowChronicle sec. 7.4 next-flow prediction accuracy gap (LSTM) on categorical columns"
    direction = Direction.LOWER
    bounds = (0.0, 1.0)
    protocol = "full"
    requires = ("torch",)
    extra = "torch"
    inputs = frozenset({"real", "synthetic", "holdout"})

    def __init__(self, profile: str = "default", device: str = "cpu", grid: Grid | None = None, threads: int = 1):
        if profile not in GRIDS:
            raise ValueError(f"{self.name}: unknown profile {profile!r}; choose {', '.join(GRIDS)}")
        self.grid = grid or GRIDS[profile]
        if not self.grid.hidden_sizes or not self.grid.windows or self.grid.epochs < 1:
            raise ValueError(f"{self.name}: the grid needs a hidden size, a window and at least 1 epoch")
        self.device = resolve_device(device)
        if int(threads) < 1:
            raise ValueError(f"{self.name}: threads must be >= 1, got {threads}")
        self.threads = int(threads)

    def compute(self, real, synthetic, schema, *, holdout=None, seed=0):
        ts = schema.timestamp
        if ts is None:
            raise ValueError(f"{self.name}: schema {schema.name!r} has no timestamp column (temporal metric)")
        columns = paper_categorical_columns(schema, self.name)
        needed = [ts, *columns.values()]
        require([("real", real), ("synthetic", synthetic), ("holdout", holdout)], needed, self.name)
        eval_table = holdout
        if synthetic is holdout or (synthetic.shape == holdout.shape and synthetic.equals(holdout)):
            synthetic, eval_table = halves_in_time(holdout, ts)
        with cpu_threads(self.threads):
            return self._score(real, synthetic, eval_table, ts, columns, seed)

    def _score(self, real, synthetic, eval_table, ts, columns, seed) -> MetricResult:
        breakdown: dict[str, float] = {"configurations": float(len(self.grid.hidden_sizes) * len(self.grid.windows))}
        scores = []
        for c_index, (label, col) in enumerate(columns.items()):
            strip = label == "Proto"
            seqs = [time_ordered_text(t, ts, col, strip) for t in (real, synthetic, eval_table)]
            gaps, acc_r, acc_g = [], [], []
            for hidden in self.grid.hidden_sizes:
                for length in self.grid.windows:
                    net_seed = int(np.random.SeedSequence([int(seed), c_index, hidden, length]).generate_state(1)[0])
                    learner = (lambda v, h=hidden, s=net_seed: LSTMLearner(v, h, self.grid.epochs, s, self.device,
                                                                           self.grid.batch_size))
                    r, g = accuracy_gap(*seqs, length, learner, self.name)
                    gaps.append(abs(r - g))
                    acc_r.append(r)
                    acc_g.append(g)
            scores.append(float(np.mean(gaps)))
            breakdown[label] = scores[-1]
            breakdown[f"{label}/acc_real"] = float(np.mean(acc_r))
            breakdown[f"{label}/acc_synthetic"] = float(np.mean(acc_g))
        return MetricResult(float(np.mean(scores)), breakdown)


def halves_in_time(table: pd.DataFrame, ts: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(earlier half, later half) of a table's flows in time order (the Reference row's generator and eval set)."""
    order = np.argsort(table[ts].astype("datetime64[ns]").astype("int64").to_numpy(), kind="stable")
    cut = len(order) // 2
    return table.iloc[order[:cut]].reset_index(drop=True), table.iloc[order[cut:]].reset_index(drop=True)

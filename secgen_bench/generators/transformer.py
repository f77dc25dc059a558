"""Transformer baseline: a GPT-2-style decoder trained from scratch on flows written as tokens.

A reimplementation of the FlowChronicle artefact's Transformer baseline as
``generators.md`` describes it (no code copied). Flows, in time order, become
one token per field (:mod:`common.flow_tokens`: a vocabulary per discrete column,
0-bin + quantile bins per continuous column); the model reads a context of
``context_flows`` consecutive flows (6 x 10 fields on CIDDS, as the artefact)
after a begin token and learns next-token prediction. Sampling walks the model
with temperature (default 1.0) and optional top-k, never greedily, each token
restricted to the vocabulary of its field; parallel streams keep a sliding
window of the last flows as context. Timestamps are not modelled by the
network: they are drawn from a kernel density of the training times and
sorted, then given to the flows in generation order.

Departures from the artefact: the artefact trained a 12-layer x 768 GPT-2
(the ``paper`` profile keeps that shape); the ``quick``/``default`` profiles
are far smaller so that they train on a CPU in seconds to a couple of
minutes. The loss is computed only over the tokens of the field being
predicted (a mask on the output layer), and sampling uses the same mask,
which removes invalid field values by construction; the artefact's exact
tokenisation and training schedule are not published, so these are ours.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from secgen_bench.budget import Budget, paper_setting, post_hoc
from secgen_bench.generators.base import Generator
from secgen_bench.generators.common.flow_tokens import FlowTokenizer, TimeDensity
from secgen_bench.generators.common.torch_support import check_gpt_options, seeded, torch_generator
from secgen_bench.generators.common.torch_training import patience_criterion, train


@dataclass(frozen=True)
class TransformerConfig:
    n_layer: int = 3
    n_head: int = 4
    d_model: int = 64
    dropout: float = 0.1
    context_flows: int = 6
    train_steps: int = 600
    batch_size: int = 32
    lr: float = 1e-3
    weight_decay: float = 0.01
    n_bins: int = 40
    temperature: float = 1.0
    top_k: int = 0          # 0 = no top-k truncation
    sample_streams: int = 256
    cpu_threads: int = 1    # torch intra-op threads on CPU; 0 = torch default
    patience: int = 4       # early stopping: evaluations without a better validation loss; 0 = train all train_steps
    eval_every: int = 50    # steps between validation evaluations
    val_fraction: float = 0.1   # the last share of the (time-ordered) training flows, held out for validation

    def __post_init__(self) -> None:
        check_gpt_options(self, ("n_layer", "n_head", "d_model", "context_flows", "train_steps", "batch_size",
                                 "n_bins", "sample_streams", "eval_every"))
        if self.patience < 0:
            raise ValueError(f"option 'patience' must be >= 0 (0 = off), got {self.patience}")
        if not 0 < self.val_fraction < 1:
            raise ValueError(f"option 'val_fraction' must be in (0, 1), got {self.val_fraction}")
        if self.top_k < 0:
            raise ValueError(f"option 'top_k' must be >= 0 (0 = off), got {self.top_k}")


class Transformer(Generator):
    """GPT-2-style decoder over flow tokens, trained from scratch (reimplementation of the artefact's baseline)."""

    name = "transformer"
    version = "1.0"
    description = "GPT-2-style decoder over per-field flow tokens; timestamps from a density of training times."
    Config = TransformerConfig
    PROFILES = {
        "quick": {"n_layer": 2, "n_head": 4, "d_model": 64, "train_steps": 200, "batch_size": 32, "dropout": 0.0,
                  "patience": 0},
        "paper": {"n_layer": 12, "n_head": 12, "d_model": 768, "train_steps": 20000, "batch_size": 32,
                  "lr": 2.5e-4, "dropout": 0.1, "patience": 0},
    }
    requires = ("torch",)
    uses_gpu = True

    # -- fitting ----------------------------------------------------------
    def _fit(self, table: pd.DataFrame, schema, *, seed: int) -> None:
        from secgen_bench.generators.common.gpt import GPT

        cfg = self.config
        ts = schema.timestamp
        if ts is not None:
            table = table.sort_values(ts, kind="stable").reset_index(drop=True)
            self.times_ = TimeDensity().fit(table[ts])
        self.tokenizer_ = FlowTokenizer(cfg.n_bins).fit(table, schema)
        if self.tokenizer_.n_fields == 0:
            raise ValueError(f"{self.name}: the table has no column besides the timestamp to model")
        codes = self.tokenizer_.encode(table)
        self.context_flows_ = min(cfg.context_flows, len(table))
        n_fields = self.tokenizer_.n_fields
        with seeded(seed, self.device, self.config.cpu_threads) as torch:
            gen = torch_generator(seed, self.device)
            self.model_ = GPT(1 + self.tokenizer_.vocab_size, self.context_flows_ * n_fields, cfg.n_layer,
                              cfg.n_head, cfg.d_model, cfg.dropout).to(self.device)
            stream = torch.as_tensor(1 + self.tokenizer_.to_global(codes).ravel(), device=self.device)
            mask = self._window_mask(torch)
            offsets = torch.arange(self.context_flows_ * n_fields, device=self.device)
            n_starts = len(table) - self.context_flows_ + 1
            n_val = self._validation_rows(len(table))
            if n_val:   # training windows end before the held-out tail; validation windows start inside it
                n_starts = len(table) - n_val - self.context_flows_ + 1
                val_starts = torch.arange(len(table) - n_val, len(table) - self.context_flows_ + 1, device=self.device)
                val_starts = val_starts[torch.linspace(0, len(val_starts) - 1, min(256, len(val_starts)),
                                                       device=self.device).long()]
                val_windows = stream[val_starts[:, None] * n_fields + offsets[None, :]]

            def batch_loss():
                starts = torch.randint(0, n_starts, (cfg.batch_size,), generator=gen, device=self.device)
                return self._loss(torch, stream[starts[:, None] * n_fields + offsets[None, :]], mask)

            run = train(torch, self.model_, batch_loss, steps=cfg.train_steps, lr=cfg.lr,
                        weight_decay=cfg.weight_decay, eval_every=cfg.eval_every, patience=cfg.patience if n_val else 0,
                        validation_loss=(lambda: self._loss(torch, val_windows, mask)) if n_val else None)
            self.loss_history_, self.val_history_ = run.history, run.val_losses
        self.budget_ = self._budget(run, bool(n_val))

    def _validation_rows(self, n: int) -> int:
        """Rows held out for early stopping: 0 when it is off or either side would be too short for a window."""
        cfg = self.config
        n_val = int(n * cfg.val_fraction) if cfg.patience else 0
        return n_val if n_val >= self.context_flows_ and n - n_val >= self.context_flows_ else 0

    def _budget(self, run, early: bool) -> Budget:
        cfg = self.config
        paper = paper_setting(type(self), "train_steps")
        if not early:
            return post_hoc("steps", run.steps_done, paper, cfg.train_steps, run.history,
                            per="the mini-batch training loss per step")
        return Budget("steps", run.steps_done, paper, cfg.train_steps, run.converged,
                      patience_criterion(cfg.patience, cfg.eval_every,
                                         f"next-token loss on the last {cfg.val_fraction:.0%} of the training flows"),
                      "converged" if run.converged else "cap")

    def _field_mask(self, torch):
        """(fields, vocab) additive mask: 0 on a field's own tokens, -inf elsewhere (token 0 = begin)."""
        tok = self.tokenizer_
        mask = torch.full((tok.n_fields, 1 + tok.vocab_size), float("-inf"), device=self.device)
        for j in range(tok.n_fields):
            start = 1 + int(tok.offsets_[j])
            mask[j, start:start + int(tok.sizes_[j])] = 0.0
        return mask

    def _window_mask(self, torch):
        return self._field_mask(torch).repeat(self.context_flows_, 1)

    def _loss(self, torch, target, mask):
        begin = torch.zeros((target.shape[0], 1), dtype=target.dtype, device=target.device)
        logits = self.model_(torch.cat([begin, target[:, :-1]], dim=1)) + mask[: target.shape[1]]
        return torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1))

    def evaluate_loss(self, table: pd.DataFrame) -> dict[str, float]:
        """Mean per-token cross-entropy (nats) of the model on ``table``'s flows, beside the per-field
        unigram entropy of the same tokens (what a model without context would score)."""
        import torch

        table = self.schema_.validate(table, source=f"{self.name} evaluation table")
        ts = self.schema_.timestamp
        if ts is not None:
            table = table.sort_values(ts, kind="stable").reset_index(drop=True)
        codes = self.tokenizer_.encode(table)
        n_fields = self.tokenizer_.n_fields
        windows = len(table) // self.context_flows_
        if windows == 0:
            raise ValueError(f"{self.name}: evaluation needs at least {self.context_flows_} flows, got {len(table)}")
        tokens = 1 + self.tokenizer_.to_global(codes[: windows * self.context_flows_])
        target = torch.as_tensor(tokens.reshape(windows, -1), device=self.device)
        self.model_.eval()
        with torch.no_grad():
            loss = float(self._loss(torch, target, self._window_mask(torch)))
        return {"model": loss, "unigram": self.tokenizer_.column_entropy(codes), "fields": n_fields}

    # -- sampling ---------------------------------------------------------
    def _sample(self, n: int, *, seed: int) -> pd.DataFrame:
        cfg = self.config
        rng = np.random.default_rng(seed)
        if n == 0:
            return pd.DataFrame({c: pd.Series([], dtype=t) for c, t in self.dtypes_.items()})
        tok = self.tokenizer_
        n_fields = tok.n_fields
        streams = min(cfg.sample_streams, n)
        per_stream = -(-n // streams)
        with seeded(seed, self.device, self.config.cpu_threads) as torch:
            gen = torch_generator(seed, self.device)
            mask = self._field_mask(torch)
            self.model_.eval()
            flows = []
            with torch.no_grad():
                context = torch.zeros((streams, 1), dtype=torch.long, device=self.device)
                in_context = 0
                for _ in range(per_stream):
                    if in_context == self.context_flows_:  # slide: keep the begin token and the last flows
                        context = torch.cat([context[:, :1], context[:, 1 + n_fields:]], dim=1)
                        in_context -= 1
                    for j in range(n_fields):
                        logits = self.model_(context, last_only=True)[:, -1, :] / cfg.temperature + mask[j]
                        if cfg.top_k:
                            kth = torch.topk(logits, min(cfg.top_k, logits.shape[-1]), dim=-1).values[:, -1:]
                            logits = logits.masked_fill(logits < kth, float("-inf"))
                        nxt = torch.multinomial(torch.softmax(logits, dim=-1), 1, generator=gen)
                        context = torch.cat([context, nxt], dim=1)
                    in_context += 1
                    flows.append(context[:, -n_fields:].cpu().numpy())
        tokens = np.stack(flows, axis=1).reshape(streams * per_stream, n_fields)[:n]
        frame = tok.decode(tok.to_local(tokens - 1), rng)
        ts = self.schema_.timestamp
        if ts is not None:
            frame[ts] = self.times_.sample(n, rng)
        return frame[self.columns_].astype(self.dtypes_)

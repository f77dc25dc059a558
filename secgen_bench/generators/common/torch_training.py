"""The training loop the GPT-style generators share (flow and packet Transformers; torch passed in, not imported).

AdamW, a linear warm-up over the first 5% of the steps then cosine decay to 0,
gradient norms clipped at 1.0, one mini-batch loss per step. The caller's
``batch_loss`` draws its own batch (from its seeded generator), so the order
of random draws, and so every number, is the caller's.

Early stopping (``patience`` > 0): every ``eval_every`` steps the caller's
``validation_loss`` (a held-out split, no random draws) is measured; training
stops, converged, when it has not improved on its best by ``MIN_IMPROVEMENT``
(relative) for ``patience`` evaluations in a row (:class:`early_stopping.Patience`,
the rule the GANs use too). Otherwise it runs to ``steps`` (the profile's cap) and is
not called converged.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

from secgen_bench.generators.common.early_stopping import MIN_IMPROVEMENT, Patience


@dataclass
class TrainRun:
    history: list[float]                      # the training loss of every step done
    steps_done: int
    converged: bool                           # the patience rule stopped it before the cap
    val_losses: list[float] = field(default_factory=list)   # one per evaluation


def patience_criterion(patience: int, eval_every: int, split: str) -> str:
    return (f"early stopping: the validation loss ({split}) did not improve on its best by {MIN_IMPROVEMENT:.1%} "
            f"for {patience} evaluations {eval_every} steps apart")


def train(torch: Any, model: Any, batch_loss: Callable[[], Any], *, steps: int, lr: float, weight_decay: float,
          validation_loss: Callable[[], float] | None = None, eval_every: int = 50, patience: int = 0) -> TrainRun:
    """Train ``model`` for at most ``steps`` optimiser steps on ``batch_loss()``; leaves it in eval mode."""
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    warmup = max(1, steps // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(s, steps) / steps)))
    early = validation_loss is not None and patience > 0
    model.train()
    run = TrainRun([], 0, False)
    stopper = Patience(patience) if early else None
    for step in range(steps):
        loss = batch_loss()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        run.history.append(float(loss.detach()))
        run.steps_done = step + 1
        if early and run.steps_done % eval_every == 0 and run.steps_done < steps:
            model.eval()
            with torch.no_grad():
                value = float(validation_loss())
            model.train()
            run.val_losses.append(value)
            if stopper.update(value):
                run.converged = True
                break
    model.eval()
    return run


def train_steps(torch: Any, model: Any, batch_loss: Callable[[], Any], *, steps: int, lr: float,
                weight_decay: float) -> list[float]:
    """Train ``model`` for ``steps`` optimiser steps on ``batch_loss()``; leaves it in eval mode.

    Returns the loss of every step (the ``loss_history_`` the generators keep).
    """
    return train(torch, model, batch_loss, steps=steps, lr=lr, weight_decay=weight_decay).history

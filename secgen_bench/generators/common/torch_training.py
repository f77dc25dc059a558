"""The training loop the GPT-style generators share (flow and packet Transformers; torch passed in, not imported).

AdamW, a linear warm-up over the first 5% of the steps then cosine decay to 0,
gradient norms clipped at 1.0, one mini-batch loss per step. The caller's
``batch_loss`` draws its own batch (from its seeded generator), so the order
of random draws, and so every number, is the caller's.
"""
from __future__ import annotations

import math
from typing import Any, Callable


def train_steps(torch: Any, model: Any, batch_loss: Callable[[], Any], *, steps: int, lr: float,
                weight_decay: float) -> list[float]:
    """Train ``model`` for ``steps`` optimiser steps on ``batch_loss()``; leaves it in eval mode.

    Returns the loss of every step (the ``loss_history_`` the generators keep).
    """
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    warmup = max(1, steps // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(s, steps) / steps)))
    model.train()
    history = []
    for _ in range(steps):
        loss = batch_loss()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        history.append(float(loss.detach()))
    model.eval()
    return history

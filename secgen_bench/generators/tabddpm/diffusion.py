"""TabDDPM's model: Gaussian diffusion on numeric columns, multinomial diffusion on categorical ones, one MLP
denoiser with a timestep embedding (imports torch: load it from inside fit).

One encoded row is ``[numeric cells (d_num) | one block of K_i codes per categorical column]``. Both processes
share the cosine noise schedule (Nichol & Dhariwal 2021). Numeric cells: ``x_t = sqrt(ab_t) x_0 + sqrt(1 - ab_t)
eps``, the denoiser predicts ``eps`` (MSE loss). Categorical cells (Hoogeboom et al. 2021): ``q(x_t | x_0) =
Cat(ab_t x_0 + (1 - ab_t) / K)``, the denoiser predicts the logits of ``x_0`` and the loss is the KL divergence
between the true and the predicted posterior ``q(x_{t-1} | x_t, x_0)`` (the negative log-likelihood of ``x_0``
at t = 0), divided by the number of categorical columns, as in TabDDPM. All categorical arithmetic is in log
space. Random draws come from the torch.Generator passed in, so results are the caller's seed's.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import torch
from torch import nn

LOG_ZERO = -69.0   # log of a probability that is 0 (exp underflows to 0 in float32)


class Denoiser(nn.Module):
    """TabDDPM's MLP: input projected to ``dim_t`` plus the embedded timestep, then ReLU layers, then one output
    per input cell (noise for numeric cells, x_0 logits for categorical ones)."""

    def __init__(self, d_in: int, hidden: Sequence[int], dim_t: int = 128, dropout: float = 0.0):
        super().__init__()
        self.dim_t = int(dim_t)
        self.time_mlp = nn.Sequential(nn.Linear(dim_t, dim_t), nn.SiLU(), nn.Linear(dim_t, dim_t))
        self.proj = nn.Linear(d_in, dim_t)
        layers: list[nn.Module] = []
        width = dim_t
        for h in hidden:
            layers += [nn.Linear(width, h), nn.ReLU(), nn.Dropout(dropout)]
            width = h
        layers.append(nn.Linear(width, d_in))
        self.mlp = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return self.mlp(self.proj(x) + self.time_mlp(timestep_embedding(t, self.dim_t)))


def timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal embedding of integer timesteps (the Transformer's positional encoding)."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
    args = t.float()[:, None] * freqs[None]
    emb = torch.cat([torch.cos(args), torch.sin(args)], dim=1)
    return torch.cat([emb, torch.zeros_like(emb[:, :1])], dim=1) if dim % 2 else emb


@dataclass
class Schedule:
    """The cosine schedule's per-step constants, as float32 tensors on one device (index t = 0 .. T-1)."""

    alpha: torch.Tensor
    ab: torch.Tensor          # cumulative product of alpha
    ab_prev: torch.Tensor     # ab at t - 1 (1 at t = 0)

    @classmethod
    def cosine(cls, steps: int, device: str, s: float = 0.008) -> "Schedule":
        grid = torch.arange(steps + 1, dtype=torch.float64) / steps
        f = torch.cos((grid + s) / (1 + s) * math.pi / 2) ** 2
        ab = f / f[0]
        beta = (1 - ab[1:] / ab[:-1]).clamp(max=0.999)
        alpha = 1 - beta
        ab = torch.cumprod(alpha, 0)
        ab_prev = torch.cat([torch.ones(1, dtype=torch.float64), ab[:-1]])
        to = lambda x: x.to(device=device, dtype=torch.float32)  # noqa: E731
        return cls(to(alpha), to(ab), to(ab_prev))


class Layout:
    """Where each part of an encoded row lives: ``d_num`` numeric cells, then categorical blocks of ``sizes``."""

    def __init__(self, d_num: int, sizes: Sequence[int], device: str):
        self.d_num = int(d_num)
        self.sizes = [int(k) for k in sizes]
        self.starts = [self.d_num + sum(self.sizes[:i]) for i in range(len(self.sizes))]
        self.width = self.d_num + sum(self.sizes)
        self.log_k = torch.cat([torch.full((k,), math.log(k)) for k in self.sizes]).to(device) if self.sizes \
            else torch.zeros(0, device=device)

    def blocks(self):
        return [(s, s + k) for s, k in zip(self.starts, self.sizes)]

    def log_onehot(self, codes: torch.Tensor) -> torch.Tensor:
        """Integer codes (n, columns) -> log one-hot (n, sum K)."""
        parts = [torch.nn.functional.one_hot(codes[:, j], k).float() for j, k in enumerate(self.sizes)]
        return torch.log(torch.cat(parts, dim=1).clamp(min=math.exp(LOG_ZERO)))

    def normalize(self, logp: torch.Tensor) -> torch.Tensor:
        """Make each block a log distribution."""
        return torch.cat([logp[:, a - self.d_num:b - self.d_num] - torch.logsumexp(
            logp[:, a - self.d_num:b - self.d_num], dim=1, keepdim=True) for a, b in self.blocks()], dim=1)

    def draw(self, logp: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        """One category per block from log probabilities (Gumbel-max) -> log one-hot of the draws."""
        u = torch.rand(logp.shape, generator=gen, device=logp.device).clamp(1e-20, 1 - 1e-7)
        noisy = logp - torch.log(-torch.log(u))
        codes = torch.stack([noisy[:, a - self.d_num:b - self.d_num].argmax(1) for a, b in self.blocks()], dim=1)
        return self.log_onehot(codes), codes


def _mix(log_x: torch.Tensor, keep: torch.Tensor, log_k: torch.Tensor) -> torch.Tensor:
    """log(keep * x + (1 - keep) / K) per cell, ``keep`` one value per row."""
    keep = keep.clamp(1e-12, 1.0)[:, None]
    return torch.logaddexp(log_x + torch.log(keep), torch.log1p(-keep.clamp(max=1 - 1e-7)) - log_k[None])


def posterior(layout: Layout, sched: Schedule, log_x0: torch.Tensor, log_xt: torch.Tensor,
              t: torch.Tensor) -> torch.Tensor:
    """log q(x_{t-1} | x_t, x_0) per block; at t = 0 it is x_0 itself."""
    from_x0 = _mix(log_x0, sched.ab_prev[t], layout.log_k)
    one_step = _mix(log_xt, sched.alpha[t], layout.log_k)   # q(x_t | x_{t-1}) read as a function of x_{t-1}
    post = layout.normalize(from_x0 + one_step)
    return torch.where((t == 0)[:, None], log_x0, post)


def predicted_log_x0(layout: Layout, logits: torch.Tensor) -> torch.Tensor:
    return torch.cat([torch.log_softmax(logits[:, a - layout.d_num:b - layout.d_num], dim=1)
                      for a, b in layout.blocks()], dim=1)


def loss(model: Denoiser, layout: Layout, sched: Schedule, x_num: torch.Tensor, codes: torch.Tensor,
         gen: torch.Generator) -> torch.Tensor:
    """TabDDPM's training loss on one batch: MSE on the noise + the categorical KL / number of categoricals."""
    n, device = len(codes) if layout.sizes else len(x_num), x_num.device
    t = torch.randint(0, len(sched.ab), (n,), generator=gen, device=device)
    parts = []
    if layout.d_num:
        noise = torch.randn(x_num.shape, generator=gen, device=device)
        x_num_t = sched.ab[t].sqrt()[:, None] * x_num + (1 - sched.ab[t]).sqrt()[:, None] * noise
        parts.append(x_num_t)
    if layout.sizes:
        log_x0 = layout.log_onehot(codes)
        log_xt, _ = layout.draw(_mix(log_x0, sched.ab[t], layout.log_k), gen)
        parts.append(log_xt.exp())
    out = model(torch.cat(parts, dim=1), t)
    total = torch.zeros((), device=device)
    if layout.d_num:
        total = total + ((out[:, :layout.d_num] - noise) ** 2).mean()
    if layout.sizes:
        log_model = posterior(layout, sched, predicted_log_x0(layout, out[:, layout.d_num:]), log_xt, t)
        log_true = posterior(layout, sched, log_x0, log_xt, t)
        kl = (log_true.exp() * (log_true - log_model)).sum(1)
        nll = -(log_x0.exp() * log_model).sum(1)
        total = total + torch.where(t == 0, nll, kl).mean() / len(layout.sizes)
    return total


@torch.no_grad()
def sample(model: Denoiser, layout: Layout, sched: Schedule, n: int, gen: torch.Generator,
           device: str) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` rows by the reverse process from pure noise: (numeric cells in the model's space, categorical codes)."""
    steps = len(sched.ab)
    x_num = torch.randn((n, layout.d_num), generator=gen, device=device)
    codes = torch.zeros((n, len(layout.sizes)), dtype=torch.long, device=device)
    log_xt = None
    if layout.sizes:
        uniform = torch.cat([torch.full((k,), -math.log(k)) for k in layout.sizes]).to(device)
        log_xt, codes = layout.draw(uniform.expand(n, -1).contiguous(), gen)
    for step in reversed(range(steps)):
        t = torch.full((n,), step, dtype=torch.long, device=device)
        parts = ([x_num] if layout.d_num else []) + ([log_xt.exp()] if layout.sizes else [])
        out = model(torch.cat(parts, dim=1), t)
        if layout.d_num:
            ab, ab_prev, alpha = sched.ab[step], sched.ab_prev[step], sched.alpha[step]
            x0 = (x_num - (1 - ab).sqrt() * out[:, :layout.d_num]) / ab.sqrt()
            mean = ((1 - alpha) * ab_prev.sqrt() * x0 + (1 - ab_prev) * alpha.sqrt() * x_num) / (1 - ab)
            x_num = mean
            if step > 0:
                var = (1 - alpha) * (1 - ab_prev) / (1 - ab)
                x_num = mean + var.sqrt() * torch.randn(x_num.shape, generator=gen, device=device)
        if layout.sizes:
            log_pred = posterior(layout, sched, predicted_log_x0(layout, out[:, layout.d_num:]), log_xt, t)
            log_xt, codes = layout.draw(log_pred, gen)
    return x_num, codes

"""WGAN-GP building blocks shared by E-WGAN-GP and NetShare (imports torch: load it from inside fit).

``OutputSpec`` lists the blocks of a generated vector (``linear`` for
embeddings, ``sigmoid`` for values scaled to [0, 1], ``softmax`` for one-hot
groups) so one head turns raw network output into data-shaped output.
``gradient_penalty`` is Gulrajani et al.'s two-sided penalty on random
interpolates between real and generated batches.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

Block = tuple[str, int]  # ("linear" | "sigmoid" | "softmax", width)


def mlp(sizes: Sequence[int], activation: type[nn.Module] = nn.ReLU, last_activation: bool = False) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2 or last_activation:
            layers.append(activation())
    return nn.Sequential(*layers)


def apply_blocks(raw: torch.Tensor, blocks: Sequence[Block]) -> torch.Tensor:
    """Activate each block of the last dimension of ``raw`` as ``blocks`` says."""
    parts, start = [], 0
    for kind, width in blocks:
        piece = raw[..., start:start + width]
        if kind == "sigmoid":
            piece = torch.sigmoid(piece)
        elif kind == "softmax":
            piece = torch.softmax(piece, dim=-1)
        elif kind != "linear":
            raise ValueError(f"unknown output block kind {kind!r}")
        parts.append(piece)
        start += width
    return torch.cat(parts, dim=-1)


def gradient_penalty(critic: nn.Module, real: torch.Tensor, fake: torch.Tensor,
                     generator: torch.Generator | None = None) -> torch.Tensor:
    """E[(||grad critic(x_hat)||_2 - 1)^2] over interpolates x_hat of real and fake rows."""
    shape = (real.shape[0],) + (1,) * (real.dim() - 1)
    eps = torch.rand(shape, generator=generator, device=real.device, dtype=real.dtype)
    mixed = (eps * real + (1 - eps) * fake).requires_grad_(True)
    score = critic(mixed)
    grad, = torch.autograd.grad(score.sum(), mixed, create_graph=True)
    return ((grad.reshape(grad.shape[0], -1).norm(2, dim=1) - 1) ** 2).mean()

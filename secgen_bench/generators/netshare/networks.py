"""DoppelGANger-style networks and their WGAN-GP training (imports torch: load it from inside fit).

Generator: an MLP turns noise into the metadata of a series (its flow key and
start time); an LSTM, fed the metadata and fresh noise at every step, emits
the measurements of each step plus a two-way "continue / end" flag. Steps
after the first "end" are multiplied away (soft during training, hard when
decoding), so series have variable length. Two critics: one over metadata and
the whole flattened series, an auxiliary one over the metadata alone
(DoppelGANger's fix for metadata mode collapse); both trained with the
Wasserstein loss and a gradient penalty.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import torch
from torch import nn

from secgen_bench.generators.common.wgan import Block, apply_blocks, gradient_penalty, mlp


class SeriesGenerator(nn.Module):
    def __init__(self, meta_blocks: Sequence[Block], step_blocks: Sequence[Block], max_len: int,
                 meta_noise: int, step_noise: int, meta_hidden: int, meta_layers: int, rnn_hidden: int):
        super().__init__()
        self.meta_blocks = list(meta_blocks)
        self.step_blocks = list(step_blocks) + [("softmax", 2)]  # last block: continue / end
        self.max_len, self.meta_noise, self.step_noise = max_len, meta_noise, step_noise
        meta_dim = sum(w for _, w in self.meta_blocks)
        step_dim = sum(w for _, w in self.step_blocks)
        self.meta_net = mlp([meta_noise, *[meta_hidden] * meta_layers, meta_dim])
        self.rnn = nn.LSTM(meta_dim + step_noise, rnn_hidden, batch_first=True)
        self.step_out = nn.Linear(rnn_hidden, step_dim)

    def forward(self, batch: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        device = self.step_out.weight.device
        z_meta = torch.randn((batch, self.meta_noise), generator=gen, device=device)
        z_steps = torch.randn((batch, self.max_len, self.step_noise), generator=gen, device=device)
        meta = apply_blocks(self.meta_net(z_meta), self.meta_blocks)
        hidden, _ = self.rnn(torch.cat([meta.unsqueeze(1).expand(-1, self.max_len, -1), z_steps], dim=2))
        steps = apply_blocks(self.step_out(hidden), self.step_blocks)
        keep_going = steps[..., -2]
        alive = torch.cat([torch.ones_like(keep_going[:, :1]), torch.cumprod(keep_going, dim=1)[:, :-1]], dim=1)
        return meta, steps * alive.unsqueeze(-1)


@dataclass
class TrainSettings:
    iterations: int
    batch_size: int
    d_hidden: int
    d_layers: int
    gp_lambda: float
    aux_weight: float
    lr: float
    d_rounds: int
    g_rounds: int


def train(generator: SeriesGenerator, meta: torch.Tensor, steps: torch.Tensor, s: TrainSettings,
          gen: torch.Generator, stop: Callable[[int], bool] | None = None) -> tuple[nn.Module, nn.Module, list[float]]:
    """Train ``generator`` against a series critic and an auxiliary metadata critic; return both critics
    and the per-iteration Wasserstein estimate of the series critic (one value per iteration done).

    ``stop(iterations_done)``, called after every iteration, ends training early when it returns True.
    """
    device = meta.device
    n, meta_dim = meta.shape
    flat_dim = meta_dim + steps.shape[1] * steps.shape[2]
    leaky = lambda: nn.LeakyReLU(0.2)  # noqa: E731
    critic = mlp([flat_dim, *[s.d_hidden] * s.d_layers, 1], activation=leaky).to(device)
    aux_critic = mlp([meta_dim, *[s.d_hidden] * s.d_layers, 1], activation=leaky).to(device)
    opt_g = torch.optim.Adam(generator.parameters(), lr=s.lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam([*critic.parameters(), *aux_critic.parameters()], lr=s.lr, betas=(0.5, 0.999))
    batch = min(s.batch_size, n)
    history = []
    for _ in range(s.iterations):
        for _ in range(s.d_rounds):
            idx = torch.randint(0, n, (batch,), generator=gen, device=device)
            real_meta, real_flat = meta[idx], torch.cat([meta[idx], steps[idx].flatten(1)], dim=1)
            with torch.no_grad():
                fake_meta, fake_steps = generator(batch, gen)
            fake_flat = torch.cat([fake_meta, fake_steps.flatten(1)], dim=1)
            distance = critic(real_flat).mean() - critic(fake_flat).mean()
            aux_distance = aux_critic(real_meta).mean() - aux_critic(fake_meta).mean()
            loss_d = (-distance + s.gp_lambda * gradient_penalty(critic, real_flat, fake_flat, gen)
                      + s.aux_weight * (-aux_distance + s.gp_lambda * gradient_penalty(aux_critic, real_meta, fake_meta, gen)))
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()
        for _ in range(s.g_rounds):
            fake_meta, fake_steps = generator(batch, gen)
            fake_flat = torch.cat([fake_meta, fake_steps.flatten(1)], dim=1)
            loss_g = -critic(fake_flat).mean() - s.aux_weight * aux_critic(fake_meta).mean()
            opt_g.zero_grad(set_to_none=True)
            loss_g.backward()
            opt_g.step()
        history.append(float(distance.detach()))
        if stop is not None and stop(len(history)):
            break
    return critic, aux_critic, history

"""E-WGAN-GP: a Wasserstein GAN with gradient penalty over flows whose IPs, ports and protocol are IP2Vec vectors.

A reimplementation in PyTorch from the description in Ring, Schlör, Landes and
Hotho, "Flow-based network traffic generation using generative adversarial
networks" (Computers & Security 2019); there is no public code. As in the
paper's embedding variant: IP addresses, ports and protocol are replaced by
IP2Vec embeddings learnt on the training flows (:mod:`common.ip2vec`), a fully
connected generator and critic are trained with the WGAN-GP loss (gradient
penalty weight 10, 5 critic steps per generator step, Adam), and generated
vectors are decoded to the value of that column with the nearest embedding.
The timestamp follows the paper's treatment of "date first seen": a weekday
(one-hot) and the time of day; a generated pair is turned back into a date by
drawing one of the training days with that weekday (weighted by its number of
flows; any training day if none has it), and the table is sorted by time.

Departures (ours): continuous attributes (bytes, packets, duration) are put on
a log scale, and they and the time of day are z-scored with linear generator
outputs (the paper scales attributes to [0, 1]; with [0, 1] sigmoid outputs our
short trainings collapsed byte counts to one middle mode and lost the daily
cycle). Other discrete columns such as TCP flags are one-hot with a softmax
output (the paper writes flags as six binary attributes; one-hot works for any
flag format). The paper trains with the two time-scale update rule (TTUR);
that is available through ``lr_critic`` / ``lr_generator`` with ``n_critic=1``,
while our profiles use the classic 5 critic steps. ``quick``/``default`` use
Adam with learning rate 1e-3 so that a few hundred to a few thousand generator steps get somewhere
(``paper`` keeps WGAN-GP's 1e-4). Network widths and iteration counts are ours:
the ``paper`` profile is an estimate, as the paper's training length does not
transfer to other data. The ``default`` profile stops early (ours, the paper
trains a fixed length): 10% of the training flows are held out (not trained
on) and training stops when the sliced Wasserstein distance of generated flows
to them stops improving (:mod:`common.early_stopping`), ``iterations`` being
the cap; ``quick`` and ``paper`` train all their iterations on every flow.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from secgen_bench.budget import Budget, paper_setting, post_hoc
from secgen_bench.config import check_option_bounds
from secgen_bench.generators.base import Generator
from secgen_bench.generators.common import early_stopping
from secgen_bench.generators.common.early_stopping import held_out_split
from secgen_bench.generators.common.ip2vec import IP2Vec
from secgen_bench.generators.common.torch_support import seeded, torch_generator

DAY_SECONDS = 86400.0


@dataclass(frozen=True)
class EWGANGPConfig:
    embed_dim: int = 10
    ip2vec_epochs: int = 10
    noise_dim: int = 64
    hidden: int = 128
    layers: int = 3
    iterations: int = 4000  # the cap: the default profile stops earlier when its distance stops improving
    batch_size: int = 128
    n_critic: int = 5
    gp_lambda: float = 10.0
    lr_generator: float = 1e-3
    lr_critic: float = 1e-3
    cpu_threads: int = 1    # torch intra-op threads on CPU; 0 = torch default
    patience: int = 4       # early stopping: evaluations without a better distance; 0 = train all iterations
    eval_every: int = 100   # generator steps between evaluations
    val_fraction: float = 0.1   # share of the training flows held out (not trained on) to measure samples against

    def __post_init__(self) -> None:
        check_option_bounds(self, at_least_one=("embed_dim", "ip2vec_epochs", "noise_dim", "hidden", "layers",
                                                "iterations", "batch_size", "n_critic", "eval_every"),
                            positive=("lr_generator", "lr_critic"),
                            non_negative=("gp_lambda", "cpu_threads", "patience"))
        if not 0 < self.val_fraction < 1:
            raise ValueError(f"option 'val_fraction' must be in (0, 1), got {self.val_fraction}")


class EWGANGP(Generator):
    """WGAN-GP over IP2Vec-embedded flows (reimplementation of Ring et al. 2019, embedding variant)."""

    name = "ewgan-gp"
    version = "1.0"
    description = "WGAN-GP over flows with IP2Vec embeddings of IPs/ports/protocol, nearest-embedding decoding."
    Config = EWGANGPConfig
    PROFILES = {
        "quick": {"ip2vec_epochs": 3, "hidden": 128, "layers": 2, "iterations": 300, "batch_size": 128,
                  "patience": 0},
        "paper": {"ip2vec_epochs": 20, "hidden": 512, "layers": 3, "iterations": 50000, "batch_size": 100,
                  "lr_generator": 1e-4, "lr_critic": 1e-4, "patience": 0},
    }
    requires = ("torch",)
    uses_gpu = True

    # -- encoding ---------------------------------------------------------
    def _prepare(self, table: pd.DataFrame, schema) -> None:
        ts = schema.timestamp
        embedded = schema.by_role("ip", "port", "protocol")
        continuous = [c for c in schema.continuous if c in table.columns]
        self.embedded_ = [c for c in table.columns if c in embedded]
        self.continuous_ = [c for c in table.columns if c in continuous]
        self.onehot_ = [c for c in table.columns if c != ts and c not in embedded and c not in continuous]
        self.vocab_ = {c: np.unique(table[c].to_numpy()) for c in self.onehot_}
        self.scale_ = {}
        for c in self.continuous_:
            t = _log_scale(table[c].to_numpy(dtype="float64"))
            self.scale_[c] = (float(t.mean()), float(t.std()) or 1.0, float(t.min()), float(t.max()))
        blocks = [("linear", self.config.embed_dim)] * len(self.embedded_)
        blocks += [("linear", 1)] * len(self.continuous_)
        blocks += [("softmax", len(self.vocab_[c])) for c in self.onehot_]
        if ts is not None:
            days = table[ts].dt.normalize()
            counts = days.value_counts().sort_index()
            self.days_ = counts.index.to_numpy(dtype="datetime64[ns]")
            self.day_weights_ = counts.to_numpy(dtype="float64")
            self.day_weekday_ = pd.DatetimeIndex(self.days_).weekday.to_numpy()
            daytime = (table[ts] - table[ts].dt.normalize()).dt.total_seconds().to_numpy() / DAY_SECONDS
            self.daytime_scale_ = (float(daytime.mean()), float(daytime.std()) or 1.0)
            blocks += [("softmax", 7), ("linear", 1)]
        self.blocks_ = blocks

    def _encode(self, table: pd.DataFrame) -> np.ndarray:
        parts = []
        for c in self.embedded_:
            parts.append((self.ip2vec_.encode(c, table[c].to_numpy()) - self.emb_mean_) / self.emb_std_)
        for c in self.continuous_:
            mean, std, _, _ = self.scale_[c]
            parts.append(((_log_scale(table[c].to_numpy(dtype="float64")) - mean) / std)[:, None])
        for c in self.onehot_:
            idx = np.searchsorted(self.vocab_[c], table[c].to_numpy())
            parts.append(np.eye(len(self.vocab_[c]))[idx])
        ts = self.schema_.timestamp
        if ts is not None:
            times = table[ts]
            parts.append(np.eye(7)[times.dt.weekday.to_numpy()])
            seconds = (times - times.dt.normalize()).dt.total_seconds().to_numpy()
            mean, std = self.daytime_scale_
            parts.append((seconds / DAY_SECONDS - mean)[:, None] / std)
        return np.concatenate(parts, axis=1).astype("float32")

    def _decode(self, x: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
        out, start = {}, 0
        dim = self.config.embed_dim
        for c in self.embedded_:
            vectors = x[:, start:start + dim].astype("float64") * self.emb_std_ + self.emb_mean_
            out[c] = self.ip2vec_.decode(c, vectors)
            start += dim
        for c in self.continuous_:
            mean, std, lo, hi = self.scale_[c]
            t = np.clip(mean + x[:, start] * std, lo, hi)
            values = np.sign(t) * np.expm1(np.abs(t))
            out[c] = np.round(values) if self.dtypes_[c].startswith("int") else values
            start += 1
        for c in self.onehot_:
            width = len(self.vocab_[c])
            out[c] = self.vocab_[c][x[:, start:start + width].argmax(1)]
            start += width
        ts = self.schema_.timestamp
        if ts is not None:
            weekday = x[:, start:start + 7].argmax(1)
            mean, std = self.daytime_scale_
            daytime = np.clip(mean + x[:, start + 7] * std, 0.0, 1.0 - 1e-9)
            day = np.empty(len(x), dtype="datetime64[ns]")
            for w in np.unique(weekday):
                rows = np.flatnonzero(weekday == w)
                pool = np.flatnonzero(self.day_weekday_ == w)
                if len(pool) == 0:
                    pool = np.arange(len(self.days_))
                p = self.day_weights_[pool] / self.day_weights_[pool].sum()
                day[rows] = self.days_[rng.choice(pool, size=len(rows), p=p)]
            out[ts] = day + (daytime * DAY_SECONDS * 1e9).astype("int64").astype("timedelta64[ns]")
        frame = pd.DataFrame(out)[self.columns_].astype(self.dtypes_)
        if ts is not None:
            frame = frame.sort_values(ts, kind="stable").reset_index(drop=True)
        return frame

    # -- fitting ----------------------------------------------------------
    def _fit(self, table: pd.DataFrame, schema, *, seed: int) -> None:
        from secgen_bench.generators.common.wgan import apply_blocks, gradient_penalty, mlp

        cfg = self.config
        self._prepare(table, schema)
        if self.embedded_:
            self.ip2vec_ = IP2Vec(dim=cfg.embed_dim, epochs=cfg.ip2vec_epochs).fit(
                table, schema, seed=seed, device=self.device, columns=self.embedded_, threads=cfg.cpu_threads)
            stacked = np.concatenate([self.ip2vec_.column_vectors_[c] for c in self.embedded_])
            self.emb_mean_ = stacked.mean(0)
            self.emb_std_ = stacked.std(0) + 1e-8
        data = self._encode(table)
        rows, held = held_out_split(len(data), cfg.val_fraction, seed) if cfg.patience else (None, np.arange(0))
        stopper = early_stopping.Patience(cfg.patience) if len(held) else None
        held_data, data = (data[held], data[rows]) if stopper else (None, data)
        width = data.shape[1]
        with seeded(seed, self.device, self.config.cpu_threads) as torch:
            gen = torch_generator(seed, self.device)
            eval_gen = torch_generator(seed + 1, self.device)   # evaluations leave the training's stream alone
            hidden = [cfg.hidden] * cfg.layers
            self.generator_ = mlp([cfg.noise_dim, *hidden, width]).to(self.device)
            self.critic_ = mlp([width, *hidden, 1], activation=lambda: torch.nn.LeakyReLU(0.2)).to(self.device)
            opt_g = torch.optim.Adam(self.generator_.parameters(), lr=cfg.lr_generator, betas=(0.5, 0.9))
            opt_d = torch.optim.Adam(self.critic_.parameters(), lr=cfg.lr_critic, betas=(0.5, 0.9))
            real_all = torch.as_tensor(data, device=self.device)
            batch = min(cfg.batch_size, len(data))

            def fake_batch():
                z = torch.randn((batch, cfg.noise_dim), generator=gen, device=self.device)
                return apply_blocks(self.generator_(z), self.blocks_)

            def distance() -> float:
                with torch.no_grad():
                    z = torch.randn((early_stopping.EVAL_ROWS, cfg.noise_dim), generator=eval_gen, device=self.device)
                    fake = apply_blocks(self.generator_(z), self.blocks_).cpu().numpy()
                return early_stopping.sliced_wasserstein(fake, held_data, seed)

            self.loss_history_ = []
            converged, best_state = False, None
            for step in range(cfg.iterations):
                for _ in range(cfg.n_critic):
                    real = real_all[torch.randint(0, len(data), (batch,), generator=gen, device=self.device)]
                    with torch.no_grad():
                        fake = fake_batch()
                    wasserstein = self.critic_(real).mean() - self.critic_(fake).mean()
                    loss_d = -wasserstein + cfg.gp_lambda * gradient_penalty(self.critic_, real, fake, gen)
                    opt_d.zero_grad(set_to_none=True)
                    loss_d.backward()
                    opt_d.step()
                loss_g = -self.critic_(fake_batch()).mean()
                opt_g.zero_grad(set_to_none=True)
                loss_g.backward()
                opt_g.step()
                self.loss_history_.append(float(wasserstein.detach()))
                done = step + 1
                if stopper and (done % cfg.eval_every == 0 or done == cfg.iterations):
                    stop = stopper.update(distance())
                    if stopper.improved:
                        best_state = {k: v.detach().clone() for k, v in self.generator_.state_dict().items()}
                    if stop and done < cfg.iterations:   # at the cap it stops anyway: not converged
                        converged = True
                        break
            if best_state is not None:
                self.generator_.load_state_dict(best_state)
            self.generator_.eval()
        self.budget_ = self._budget(stopper, converged, len(held))

    def _budget(self, stopper, converged: bool, held_out: int) -> Budget:
        cfg = self.config
        paper = paper_setting(type(self), "iterations")
        done = len(self.loss_history_)
        if stopper is None:
            return post_hoc("steps", done, paper, cfg.iterations, self.loss_history_,
                            per="the critic's Wasserstein estimate per generator step")
        evaluated = [cfg.eval_every * (i + 1) for i in range(len(stopper.values))]
        evaluated[-1] = min(evaluated[-1], done)
        return Budget("steps", done, paper, cfg.iterations, converged,
                      early_stopping.criterion(cfg.patience, cfg.eval_every, "flows",
                                               f"the {held_out} held-out training flows ({cfg.val_fraction:.0%}), "
                                               "in the model's encoding"),
                      "converged" if converged else "cap",
                      details={"best_step": evaluated[stopper.best_index], "held_out_rows": held_out,
                               "distances": [round(v, 5) for v in stopper.values]})

    # -- sampling ---------------------------------------------------------
    def _sample(self, n: int, *, seed: int) -> pd.DataFrame:
        from secgen_bench.generators.common.wgan import apply_blocks

        rng = np.random.default_rng(seed)
        if n == 0:
            return pd.DataFrame({c: pd.Series([], dtype=t) for c, t in self.dtypes_.items()})
        with seeded(seed, self.device, self.config.cpu_threads) as torch:
            gen = torch_generator(seed, self.device)
            with torch.no_grad():
                z = torch.randn((n, self.config.noise_dim), generator=gen, device=self.device)
                x = apply_blocks(self.generator_(z), self.blocks_).cpu().numpy()
        return self._decode(x, rng)


def _log_scale(x: np.ndarray) -> np.ndarray:
    return np.sign(x) * np.log1p(np.abs(x))

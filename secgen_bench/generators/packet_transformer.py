"""Packet Transformer: a GPT-2-style decoder trained from scratch on per-flow packet tokens (packets track).

Our design: no published packet-level GPT generator is reproduced here. It
reuses the flow Transformer's network (:mod:`common.gpt`), seeding and pickling
(:mod:`common.torch_support`) and bin codec (:class:`common.flow_tokens.ColumnCodec`).

Tokenisation (one model for all services). A flow is written as

    BOS, SERVICE, (SYMBOL, SIZE-BIN, IAT-BIN) per packet ..., EOS

- SERVICE: one token per training service (e.g. ``TCP/443``); at sampling
  it is drawn from the training service shares, then the model continues.
- SYMBOL: flags + direction mark + payload class, as the other packets-track
  generators (``SA<.``, ``PA>d``; :mod:`secgen_bench.packets`).
- SIZE-BIN / IAT-BIN: global bins of payload size (bytes) and of the
  inter-arrival time in ``iat_unit`` seconds (rounded, as the other
  packets-track generators): 0 is its own bin, non-zero values go to
  ``n_bins`` quantile bins (``generators.md``'s rule). Decoding draws one
  of the chosen bin's training values (``bin_values="training"``, default:
  heavy-tailed IATs make the top bin wide, so uniform draws inside it would
  spread mass where no real value lies) or, with ``"uniform"``, uniformly
  among the integers of the bin. The IAT bins are fitted on non-first
  packets (the first packet's IAT is 0 by definition).
- Flows longer than ``max_packets`` are cut (no EOS is learnt for them) and
  sampling stops after ``max_packets`` packets.

Training: next-token cross-entropy from scratch, with each position's logits
restricted to the token type that can stand there (service, symbol-or-EOS,
size bin, IAT bin; symbols to those the flow's service showed in training,
as the per-service generators keep one vocabulary per service), as the flow
Transformer restricts each field. Sampling: temperature (default 1.0), never
greedy, under the same masks, with no EOS before the first packet and a size
bin consistent with the payload class (``.`` symbols get size 0, ``d``
symbols a non-zero bin). Sampling uses a key/value cache so a flow of P
packets costs O(P) one-token steps instead of recomputing the
whole prefix, and finished flows leave the batch.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from secgen_bench.budget import Budget, paper_setting, post_hoc
from secgen_bench.packet_conditions import MAX_PACKET_PAYLOAD, ConditionMismatch, check_conditions, split_total
from secgen_bench.generators.common.flow_tokens import ColumnCodec
from secgen_bench.generators.common.per_service import PacketWordsConfig, PerServiceSequenceGenerator
from secgen_bench.generators.common.torch_support import check_gpt_options, seeded, torch_generator
from secgen_bench.generators.common.torch_training import patience_criterion, train
from secgen_bench.packets import parse_symbol

BOS, EOS = 0, 1
TOKENS_PER_PACKET = 3


@dataclass(frozen=True)
class PacketTransformerConfig(PacketWordsConfig):
    iat_unit: float = 1e-6          # seconds per IAT unit (values are modelled as rounded integers of this unit)
    max_packets: int = 32           # packets per flow kept for training and produced at most
    n_bins: int = 32                # quantile bins for non-zero size and IAT values
    n_layer: int = 2
    n_head: int = 4
    d_model: int = 64
    dropout: float = 0.1
    train_steps: int = 600
    batch_size: int = 32
    lr: float = 2e-3
    weight_decay: float = 0.01
    temperature: float = 1.0
    bin_values: str = "training"   # a sampled bin gives one of its training values, or "uniform" inside the bin
    sample_batch: int = 512         # flows generated in parallel
    cpu_threads: int = 1            # torch intra-op threads on CPU; 0 = torch default
    patience: int = 4               # early stopping: evaluations without a better validation loss; 0 = all steps
    eval_every: int = 50            # steps between validation evaluations
    val_fraction: float = 0.1       # share of the training flows held out (seeded) for validation

    def __post_init__(self) -> None:
        check_gpt_options(self, ("max_packets", "n_bins", "n_layer", "n_head", "d_model", "train_steps",
                                 "batch_size", "sample_batch", "eval_every"))
        super().__post_init__()
        if self.patience < 0:
            raise ValueError(f"option 'patience' must be >= 0 (0 = off), got {self.patience}")
        if not 0 < self.val_fraction < 1:
            raise ValueError(f"option 'val_fraction' must be in (0, 1), got {self.val_fraction}")
        if self.bin_values not in ("training", "uniform"):
            raise ValueError(f"option 'bin_values' must be 'training' or 'uniform', got {self.bin_values!r}")


class PacketTransformer(PerServiceSequenceGenerator):
    """GPT-2-style decoder over (symbol, size bin, IAT bin) packet tokens, one model for all services."""

    name = "packet-transformer"
    version = "1.0"
    description = "GPT-2-style decoder over packet tokens (symbol + size/IAT quantile bins), service as first token"
    Config = PacketTransformerConfig
    PROFILES = {
        "quick": {"n_layer": 2, "n_head": 4, "d_model": 32, "train_steps": 300, "batch_size": 32, "dropout": 0.0,
                  "lr": 3e-3, "n_bins": 16, "patience": 0},
        "paper": {"n_layer": 6, "n_head": 8, "d_model": 256, "train_steps": 6000, "batch_size": 64, "lr": 5e-4,
                  "max_packets": 128, "patience": 0},
    }
    requires = ("torch",)
    uses_gpu = True

    # -- fitting ----------------------------------------------------------
    def _fit_services(self, words_by_service, seed):
        """One network for all services; each service's model is its number (its SERVICE token)."""
        from secgen_bench.generators.common.gpt import GPT

        cfg = self.config
        words = [(i, w[: cfg.max_packets]) for i, s in enumerate(self.services_) for w in words_by_service[s]]
        self._build_vocabulary(words)
        codes = self._encode(words_by_service)
        with seeded(seed, self.device, cfg.cpu_threads) as torch:
            gen = torch_generator(seed, self.device)
            self.model_ = GPT(self.vocab_size_, TOKENS_PER_PACKET * cfg.max_packets + 2, cfg.n_layer, cfg.n_head,
                              cfg.d_model, cfg.dropout).to(self.device)
            tokens, lengths = (torch.as_tensor(a, device=self.device) for a in codes)
            allowed = torch.as_tensor(self._position_mask(tokens.shape[1] - 1), device=self.device)
            service_masks = self._service_masks(torch)
            n_val = int(len(tokens) * cfg.val_fraction) if cfg.patience and len(tokens) >= 20 else 0
            train_ids = torch.arange(len(tokens), device=self.device)
            if n_val:   # a seeded share of the flows is held out: the model never trains on them
                held = np.sort(np.random.default_rng(seed).choice(len(tokens), n_val, replace=False))
                keep = np.setdiff1d(np.arange(len(tokens)), held)
                train_ids = torch.as_tensor(keep, device=self.device)
                val_ids = torch.as_tensor(held[:512], device=self.device)   # a bounded, fixed validation batch

            def batch_loss():
                pick = torch.randint(0, len(train_ids), (cfg.batch_size,), generator=gen, device=self.device)
                pick = train_ids[pick] if n_val else pick
                return self._loss(torch, tokens[pick], lengths[pick], allowed, service_masks)

            run = train(torch, self.model_, batch_loss, steps=cfg.train_steps, lr=cfg.lr,
                        weight_decay=cfg.weight_decay, eval_every=cfg.eval_every, patience=cfg.patience if n_val else 0,
                        validation_loss=(lambda: self._loss(torch, tokens[val_ids], lengths[val_ids], allowed,
                                                            service_masks)) if n_val else None)
            self.loss_history_, self.val_history_ = run.history, run.val_losses
        paper = paper_setting(type(self), "train_steps")
        if n_val:
            self.budget_ = Budget("steps", run.steps_done, paper, cfg.train_steps, run.converged,
                                  patience_criterion(cfg.patience, cfg.eval_every,
                                                     f"packet-token loss on a seeded {cfg.val_fraction:.0%} of the flows"),
                                  "converged" if run.converged else "cap")
        else:
            self.budget_ = post_hoc("steps", run.steps_done, paper, cfg.train_steps, run.history,
                                    per="the mini-batch training loss per step")
        return {s: i for i, s in enumerate(self.services_)}

    def _build_vocabulary(self, words) -> None:
        """Token ids: BOS, EOS, services, symbols, size bins, IAT bins (``self.offsets_`` by type)."""
        symbols = sorted({sym for _, w in words for sym, _ in w})
        sizes = np.array([v[1] for _, w in words for _, v in w], float)
        iats = np.array([v[0] for _, w in words for _, v in w[1:]], float)
        self.size_codec_ = ColumnCodec.bins("size", pd.Series(sizes.astype("int64")), self.config.n_bins)
        self.iat_codec_ = ColumnCodec.bins("iat", pd.Series(iats.astype("int64")), self.config.n_bins)
        self.size_pools_ = _bin_pools(self.size_codec_, sizes)
        self.iat_pools_ = _bin_pools(self.iat_codec_, iats)
        self.symbols_ = symbols
        # services keep their own symbol vocabulary (as the per-service generators do): no TCP flags in DNS flows
        seen = np.zeros((len(self.services_), len(symbols)), bool)
        for service, w in words:
            seen[service, [symbols.index(sym) for sym in {sym for sym, _ in w}]] = True
        self.service_symbols_ = seen
        sizes_by_type = {"service": len(self.services_), "symbol": len(symbols), "size": self.size_codec_.size,
                         "iat": self.iat_codec_.size}
        self.offsets_, start = {}, 2
        for kind, k in sizes_by_type.items():
            self.offsets_[kind] = (start, start + k)
            start += k
        self.vocab_size_ = start

    def _encode(self, words_by_service) -> tuple[np.ndarray, np.ndarray]:
        """(flows, 3*max_packets+3) token matrix (EOS-padded) and each flow's token count (EOS included)."""
        cfg = self.config
        width = TOKENS_PER_PACKET * cfg.max_packets + 3
        sym_id = {s: self.offsets_["symbol"][0] + i for i, s in enumerate(self.symbols_)}
        rows, lengths = [], []
        for service, s in enumerate(self.services_):
            for word in words_by_service[s]:
                kept = word[: cfg.max_packets]
                vals = np.array([v for _, v in kept], float).reshape(len(kept), 2)
                size = self.offsets_["size"][0] + self.size_codec_.encode(pd.Series(vals[:, 1]))
                iat = self.offsets_["iat"][0] + self.iat_codec_.encode(pd.Series(vals[:, 0]))
                iat[0] = self.offsets_["iat"][0]     # the first packet's IAT is 0 by definition
                body = np.column_stack([[sym_id[sym] for sym, _ in kept], size, iat]).ravel()
                row = np.full(width, EOS, dtype="int64")
                row[0], row[1] = BOS, self.offsets_["service"][0] + service
                row[2:2 + len(body)] = body
                # a flow cut at max_packets has no EOS to learn: its length stops before the EOS slot
                lengths.append(2 + len(body) + (0 if len(word) > cfg.max_packets else 1))
                rows.append(row)
        return np.stack(rows), np.array(lengths, dtype="int64")

    def _position_mask(self, n_positions: int) -> np.ndarray:
        """(positions, vocab) additive mask for the token *predicted* at each input position."""
        mask = np.full((n_positions, self.vocab_size_), -np.inf, dtype="float32")
        for p in range(n_positions):
            target = p + 1
            if target == 1:
                lo, hi = self.offsets_["service"]
            else:
                kind = ("symbol", "size", "iat")[(target - 2) % TOKENS_PER_PACKET]
                lo, hi = self.offsets_[kind]
                if kind == "symbol" and target > 2:
                    mask[p, EOS] = 0.0
            mask[p, lo:hi] = 0.0
        return mask

    def _service_masks(self, torch):
        """(services, vocab) additive mask over symbol tokens: the symbols each service showed in training."""
        lo, hi = self.offsets_["symbol"]
        masks = torch.zeros((len(self.services_), self.vocab_size_), device=self.device)
        masks[:, lo:hi] = torch.as_tensor(np.where(self.service_symbols_, 0.0, -np.inf), dtype=masks.dtype)
        return masks

    def _loss(self, torch, batch, lengths, allowed, service_masks):
        width = int(lengths.max())
        inputs, target = batch[:, : width - 1], batch[:, 1:width].clone()
        pos = torch.arange(1, width, device=batch.device)
        target[(pos[None, :] >= lengths[:, None]) | (pos[None, :] == 1)] = -100  # padding; the service is given
        at_symbol = ((pos >= 2) & ((pos - 2) % TOKENS_PER_PACKET == 0))[None, :, None]
        own = service_masks[batch[:, 1] - self.offsets_["service"][0]][:, None, :]
        logits = self.model_(inputs) + allowed[: width - 1] + torch.where(at_symbol, own, torch.zeros_like(own))
        return torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1),
                                                 ignore_index=-100)

    # -- sampling ---------------------------------------------------------
    def _sample_words(self, model, k, rng):
        """``k`` flows of service number ``model`` (the base draws how many flows each service gets)."""
        out = []
        for start in range(0, k, self.config.sample_batch):
            out.extend(self._generate(model, min(self.config.sample_batch, k - start), rng))
        return out

    def _generate(self, service: int, k: int, rng: np.random.Generator) -> list:
        cfg = self.config
        if k == 0:
            return []
        seed = int(rng.integers(0, 2**62))
        with seeded(seed, self.device, cfg.cpu_threads) as torch:
            gen = torch_generator(seed, self.device)
            masks = {kind: self._type_mask(torch, *self.offsets_[kind]) for kind in ("symbol", "size", "iat")}
            first_symbol = masks["symbol"].clone()
            masks["symbol"][EOS] = 0.0
            own = self._service_masks(torch)[service]
            first_symbol, masks["symbol"] = first_symbol + own, masks["symbol"] + own
            size_after = self._size_masks(torch)
            packets = torch.zeros((k, cfg.max_packets, TOKENS_PER_PACKET), dtype=torch.long, device=self.device)
            n_packets = torch.zeros(k, dtype=torch.long, device=self.device)
            active = torch.arange(k, device=self.device)
            with torch.no_grad():
                prefix = torch.tensor([[BOS, self.offsets_["service"][0] + service]], device=self.device).expand(k, 2)
                logits, cache = _cached_step(torch, self.model_, prefix, 0, None)
                pos = 2
                for p in range(cfg.max_packets):
                    sym = self._draw(torch, logits, first_symbol if p == 0 else masks["symbol"], gen)
                    going = sym != EOS
                    if not bool(going.all()):
                        active, sym, cache = active[going], sym[going], [(kk[going], vv[going]) for kk, vv in cache]
                        if len(active) == 0:
                            break
                    logits, cache = _cached_step(torch, self.model_, sym[:, None], pos, cache)
                    size = self._draw(torch, logits, size_after[sym], gen)
                    logits, cache = _cached_step(torch, self.model_, size[:, None], pos + 1, cache)
                    iat = self._draw(torch, logits, masks["iat"], gen)
                    packets[active, p] = torch.stack([sym, size, iat], dim=1)
                    n_packets[active] = p + 1
                    pos += TOKENS_PER_PACKET
                    if p + 1 < cfg.max_packets:
                        logits, cache = _cached_step(torch, self.model_, iat[:, None], pos - 1, cache)
            packets, n_packets = packets.cpu().numpy(), n_packets.cpu().numpy()
        return self._decode(packets, n_packets, rng)

    def _type_mask(self, torch, lo, hi):
        mask = torch.full((self.vocab_size_,), float("-inf"), device=self.device)
        mask[lo:hi] = 0.0
        return mask

    def _size_masks(self, torch):
        """(vocab, vocab): the size-bin mask after each symbol token (payload class fixes zero vs non-zero)."""
        lo, hi = self.offsets_["size"]
        masks = self._type_mask(torch, lo, hi).repeat(self.vocab_size_, 1)
        if self.config.payload_class:
            for i, sym in enumerate(self.symbols_):
                tok = self.offsets_["symbol"][0] + i
                if sym.endswith("."):
                    masks[tok, lo + 1:hi] = float("-inf")
                elif hi - lo > 1:
                    masks[tok, lo] = float("-inf")
        return masks

    def _draw(self, torch, logits, mask, gen):
        probs = torch.softmax(logits / self.config.temperature + mask, dim=-1)
        return torch.multinomial(probs, 1, generator=gen)[:, 0]

    def _decode(self, packets: np.ndarray, n_packets: np.ndarray, rng: np.random.Generator) -> list:
        """Words of (symbol, [iat units, size]) with values drawn inside their bins."""
        flat = np.concatenate([packets[i, : n_packets[i]] for i in range(len(packets))]) if n_packets.sum() else \
            np.zeros((0, TOKENS_PER_PACKET), dtype="int64")
        syms = np.array(self.symbols_, dtype=object)[flat[:, 0] - self.offsets_["symbol"][0]]
        size = self._values(self.size_codec_, self.size_pools_, flat[:, 1] - self.offsets_["size"][0], rng)
        iat = self._values(self.iat_codec_, self.iat_pools_, flat[:, 2] - self.offsets_["iat"][0], rng)
        out, at = [], 0
        for m in n_packets:
            out.append([(syms[j], np.array([iat[j], size[j]])) for j in range(at, at + m)])
            at += m
        return out

    def _values(self, codec: ColumnCodec, pools: list, codes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Values of bin codes: a training value of the bin (``bin_values="training"``) or uniform inside it."""
        if self.config.bin_values == "uniform":
            return codec.decode(codes, rng)
        out = codec.decode(codes, rng)  # bins without training values (possible only for the zero bin) stay uniform
        for c in np.unique(codes):
            pool, rows = pools[c], np.flatnonzero(codes == c)
            if len(pool):
                out[rows] = pool[rng.integers(0, len(pool), len(rows))]
        return out

    # -- flow-conditioned sampling ----------------------------------------
    def sample_for_flows(self, conditions: pd.DataFrame, *, seed: int) -> pd.DataFrame:
        """Packets-schema rows that keep each flow record of ``conditions`` exactly (module docstring)."""
        check_conditions(conditions)
        if not hasattr(self, "model_"):
            raise RuntimeError("packet-transformer: fit() before sample_for_flows()")
        rng = np.random.default_rng(seed)
        cfg = self.config
        flows = conditions.reset_index(drop=True)
        segs = []          # (flow row, window, out, in, out payload, in payload, initiator first)
        for f, row in enumerate(flows.itertuples(index=False)):
            n_out, n_in = int(row.out_packets), int(row.in_packets)
            n = n_out + n_in
            lengths = split_total(n, -(-n // cfg.max_packets))
            outs = split_total(n_out, len(lengths), lengths)
            outs = np.minimum(outs, lengths)
            outs[0] += n_out - int(outs.sum())
            ins = lengths - outs
            pay_out = split_total(int(row.out_payload), len(lengths), outs)
            pay_in = split_total(int(row.in_payload), len(lengths), ins)
            later = n - np.cumsum(lengths)
            for w in range(len(lengths)):
                segs.append((f, w, int(outs[w]), int(ins[w]), int(pay_out[w]), int(pay_in[w]), w == 0 and n_out > 0,
                             int(later[w])))
        model_of = [self._model_for(str(s)) for s in flows["service"]]
        decoded: dict[tuple, list] = {}
        for service in sorted(set(model_of)):
            mine = [s for s in segs if model_of[s[0]] == service]
            for start in range(0, len(mine), cfg.sample_batch):
                batch = mine[start:start + cfg.sample_batch]
                for seg, word in zip(batch, self._generate_constrained(service, batch, rng)):
                    decoded[seg[:2]] = word
        return self._conditioned_rows(flows, segs, decoded)

    def _model_for(self, service: str) -> int:
        """The training service decoding ``service``: itself, else the commonest of its protocol, else the commonest."""
        if service in self.services_:
            return self.services_.index(service)
        order = np.argsort(-self.service_share_, kind="stable")
        proto = service.split("/")[0]
        same = [i for i in order if self.services_[i].split("/")[0] == proto]
        return int(same[0] if same else order[0])

    def _symbol_kinds(self, torch):
        """Per vocabulary token: sent by the initiator, by the responder, a data symbol (bool tensors)."""
        lo, _ = self.offsets_["symbol"]
        is_out = torch.zeros(self.vocab_size_, dtype=torch.bool, device=self.device)
        is_in, is_data, closes = is_out.clone(), is_out.clone(), is_out.clone()
        for i, sym in enumerate(self.symbols_):
            flags, direction = parse_symbol(sym, self.config.payload_class)
            (is_out if direction == "out" else is_in)[lo + i] = True
            is_data[lo + i] = sym.endswith("d") if self.config.payload_class else True
            closes[lo + i] = "F" in flags or "R" in flags
        return is_out, is_in, is_data, closes

    def _resets(self, torch):
        """Per vocabulary token: a symbol carrying RST."""
        lo, _ = self.offsets_["symbol"]
        out = torch.zeros(self.vocab_size_, dtype=torch.bool, device=self.device)
        for i, sym in enumerate(self.symbols_):
            out[lo + i] = "R" in parse_symbol(sym, self.config.payload_class)[0]
        return out

    def _generate_constrained(self, service: int, segs: list, rng: np.random.Generator) -> list:
        """Token triples (symbol, size bin, iat bin) of each window in ``segs``, under the count/payload masks."""
        cfg = self.config
        seed = int(rng.integers(0, 2**62))
        k = len(segs)
        lengths = np.array([s[2] + s[3] for s in segs])
        with seeded(seed, self.device, cfg.cpu_threads) as torch:
            gen = torch_generator(seed, self.device)
            dev = self.device
            types = {kind: self._type_mask(torch, *self.offsets_[kind]) for kind in ("symbol", "size", "iat")}
            own = self._service_masks(torch)[service] + types["symbol"]
            size_after = self._size_masks(torch)
            is_out, is_in, is_data, closes = self._symbol_kinds(torch)
            is_empty = (is_out | is_in) & ~is_data
            left = {d: torch.tensor([s[2 + j] for s in segs], device=dev) for j, d in enumerate(("out", "in"))}
            pay = {d: torch.tensor([s[4 + j] for s in segs], device=dev) for j, d in enumerate(("out", "in"))}
            need = {d: (pay[d] + MAX_PACKET_PAYLOAD - 1) // MAX_PACKET_PAYLOAD for d in pay}
            data = {d: torch.zeros(k, dtype=torch.long, device=dev) for d in pay}
            first_out = torch.tensor([s[6] for s in segs], device=dev)
            later = torch.tensor([s[7] for s in segs], device=dev)
            resets = self._resets(torch)
            out_tokens = torch.zeros((k, int(lengths.max()), TOKENS_PER_PACKET), dtype=torch.long, device=dev)
            active = torch.arange(k, device=dev)
            lengths_t = torch.as_tensor(lengths, device=dev)
            with torch.no_grad():
                prefix = torch.tensor([[BOS, self.offsets_["service"][0] + service]], device=dev).expand(k, 2)
                logits, cache = _cached_step(torch, self.model_, prefix, 0, None)
                pos = 2
                for p in range(int(lengths.max())):
                    going = lengths_t[active] > p
                    if not bool(going.all()):
                        active, logits = active[going], logits[going]
                        cache = [(kk[going], vv[going]) for kk, vv in cache]
                    a = active
                    ok = {}
                    for d in ("out", "in"):
                        has = left[d][a] > 0
                        if d == "in":
                            has = has & ~(first_out[a] & (p == 0))
                        if cfg.payload_class:
                            may_data = has & (data[d][a] < pay[d][a])
                            may_empty = has & (data[d][a] + left[d][a] - 1 >= need[d][a])
                        else:
                            may_data, may_empty = has, has
                        ok[d] = (may_data, may_empty)
                    allowed = ((is_out & is_data)[None] & ok["out"][0][:, None]) | \
                        ((is_out & is_empty)[None] & ok["out"][1][:, None]) | \
                        ((is_in & is_data)[None] & ok["in"][0][:, None]) | \
                        ((is_in & is_empty)[None] & ok["in"][1][:, None])
                    if not bool(allowed.any(dim=1).all()):
                        raise ConditionMismatch("packet-transformer: its training packets have no symbol that "
                                                "keeps a flow record (e.g. no responder packet with data)")
                    # FIN only among a flow's last two packets, RST only last: an earlier close would make
                    # the flow assembler (and an IDS) start a new flow with the packets after it
                    after = left["out"][a] + left["in"][a] - 1 + later[a]
                    early = (closes[None] & (after[:, None] > 1)) | (resets[None] & (after[:, None] > 0))
                    keeps_open = allowed & ~early
                    allowed = torch.where(keeps_open.any(dim=1)[:, None], keeps_open, allowed)
                    mask = torch.where(allowed, 0.0, float("-inf"))
                    with_own = mask + own
                    fallback = ~torch.isfinite(with_own).any(dim=1)
                    mask = torch.where(fallback[:, None], mask, with_own)
                    sym = self._draw(torch, logits, mask, gen)
                    sent_out = is_out[sym]
                    for d, sent in (("out", sent_out), ("in", ~sent_out)):
                        left[d][a] -= sent.long()
                        data[d][a] += (sent & is_data[sym]).long()
                    logits, cache = _cached_step(torch, self.model_, sym[:, None], pos, cache)
                    size = self._draw(torch, logits, size_after[sym], gen)
                    logits, cache = _cached_step(torch, self.model_, size[:, None], pos + 1, cache)
                    iat = self._draw(torch, logits, types["iat"], gen)
                    out_tokens[a, p] = torch.stack([sym, size, iat], dim=1)
                    pos += TOKENS_PER_PACKET
                    if p + 1 < int(lengths.max()):
                        logits, cache = _cached_step(torch, self.model_, iat[:, None], pos - 1, cache)
            out_tokens = out_tokens.cpu().numpy()
        return [out_tokens[i, : lengths[i]] for i in range(k)]

    def _conditioned_rows(self, flows: pd.DataFrame, segs: list, decoded: dict) -> pd.DataFrame:
        """Tokens -> packets rows: bins decoded to values, then payload and duration shared out exactly."""
        cfg = self.config
        rng = np.random.default_rng(0)
        parts = {k: [] for k in ("flow_id", "service", "direction", "flags", "size", "iat")}
        by_flow: dict[int, list] = {}
        for seg in segs:
            by_flow.setdefault(seg[0], []).append(decoded[seg[:2]])
        trained_as = [self.services_[self._model_for(str(s))] for s in flows["service"]]
        labels = []
        for f, row in enumerate(flows.itertuples(index=False)):
            tokens = np.concatenate(by_flow[f])
            syms = np.array(self.symbols_, dtype=object)[tokens[:, 0] - self.offsets_["symbol"][0]]
            size_w = self._values(self.size_codec_, self.size_pools_, tokens[:, 1] - self.offsets_["size"][0], rng)
            iat_w = self._values(self.iat_codec_, self.iat_pools_, tokens[:, 2] - self.offsets_["iat"][0], rng)
            parsed = [parse_symbol(s, cfg.payload_class) for s in syms]
            dirs = np.array([d for _, d in parsed], dtype=object)
            sizes = np.zeros(len(syms), dtype=np.int64)
            for side, total in (("out", int(row.out_payload)), ("in", int(row.in_payload))):
                carriers = (dirs == side) & (np.array([s.endswith("d") for s in syms]) if cfg.payload_class else True)
                idx = np.flatnonzero(carriers)
                if total:
                    sizes[idx] = _capped_split(total, np.maximum(size_w[idx], 1e-9), int(cfg.payload_class),
                                               MAX_PACKET_PAYLOAD)
            starts = np.cumsum([len(w) for w in by_flow[f]])[:-1]      # later windows start with the model's 0
            if len(starts):
                iat_w[starts] = iat_w[1:].mean()
            iat = np.zeros(len(syms))
            if len(syms) > 1:
                iat[1:] = split_total(int(round(float(row.duration) * 1e6)), len(syms) - 1, iat_w[1:]) / 1e6
            parts["flow_id"].extend([row.flow_id] * len(syms))
            parts["service"].extend([row.service] * len(syms))
            labels.extend([getattr(self, "labels_", {}).get(trained_as[f], "-")] * len(syms))
            parts["direction"].extend(dirs)
            parts["flags"].extend(fl for fl, _ in parsed)
            parts["size"].append(sizes)
            parts["iat"].append(iat)
        cols = self.cols_
        table = pd.DataFrame({
            cols.flow_id: pd.Series(parts["flow_id"], dtype=object),
            cols.flags: pd.Series(parts["flags"], dtype=object),
            cols.size: np.concatenate(parts["size"]).astype("int64"),
            cols.iat: np.concatenate(parts["iat"]).astype("float64"),
            cols.direction: pd.Series(parts["direction"], dtype=object),
        })
        if cols.service:
            table[cols.service] = pd.Series(parts["service"], dtype=object)
        if cols.label:
            table[cols.label] = pd.Series(labels, dtype=object).astype(str).astype(object)
        return table[self.columns_].astype(self.dtypes_)


def _capped_split(total: int, weights: np.ndarray, minimum: int, cap: int) -> np.ndarray:
    """Integers in [minimum, cap] summing to ``total``, in proportion to ``weights`` (``total`` must fit)."""
    k = len(weights)
    out = minimum + split_total(int(total) - minimum * k, k, weights)
    while (out > cap).any():
        excess = int((out - cap).clip(0).sum())
        out = np.minimum(out, cap)
        room = out < cap
        out[room] += split_total(excess, int(room.sum()), np.asarray(weights, float)[room])
    return out


def _bin_pools(codec: ColumnCodec, values: np.ndarray) -> list:
    """The training values of each bin of ``codec``, sorted (one array per code)."""
    codes = codec.encode(pd.Series(values))
    return [np.sort(values[codes == c]) for c in range(codec.size)]


def _cached_step(torch, model, idx, start: int, cache):
    """Logits of the last of ``idx``'s tokens (placed at positions ``start``...) and the grown key/value cache.

    The same arithmetic as :class:`common.gpt.GPT` in eval mode, with each block's keys and values of
    earlier positions kept, so one new token costs one token's worth of compute.
    """
    from torch.nn import functional as F

    b, t = idx.shape
    pos = torch.arange(start, start + t, device=idx.device)
    x = model.tok_emb(idx) + model.pos_emb(pos)
    new_cache = []
    for i, block in enumerate(model.blocks):
        attn = block.attn
        c = x.shape[-1]
        q, k, v = attn.qkv(block.ln1(x)).split(c, dim=2)
        q, k, v = (z.view(b, t, attn.n_head, c // attn.n_head).transpose(1, 2) for z in (q, k, v))
        if cache is not None:
            k, v = torch.cat([cache[i][0], k], dim=2), torch.cat([cache[i][1], v], dim=2)
        new_cache.append((k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=cache is None)
        x = x + attn.proj(y.transpose(1, 2).reshape(b, t, c))
        x = x + block.mlp(block.ln2(x))
    return model.head(model.ln_f(x[:, -1, :])), new_cache

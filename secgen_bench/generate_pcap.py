"""``generate --pcap``: flows from a flows-track generator, packets conditioned on them, one capture file.

Why one pipeline: a capture a user feeds to an IDS should be what the benchmark scores, so the flows
come from :func:`secgen_bench.generate.fit_and_sample` (the same body as a run's job), the packets from
any packets-track generator offering ``sample_for_flows`` (the contract of
:mod:`secgen_bench.packet_conditions`, checked with ``check_conditioned`` before anything is written),
and the frames from :mod:`secgen_bench.pcap_writer`. Core code: it knows no model by name.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd


@dataclass
class PcapResult:
    flows: pd.DataFrame          # the generated flows (flows schema)
    frames: int
    notes: dict                  # what the capture could not carry as recorded (counts)


def packet_generator_class(name: str):
    """The registered packets-track generator ``name``, refused unless it can be conditioned on flows."""
    from secgen_bench import registry

    cls = registry.generators.get(name)
    if getattr(cls, "track", "flows") != "packets":
        raise ValueError(f"--packets {name}: a {getattr(cls, 'track', 'flows')}-track generator; "
                         "it needs a packets-track one (secgen-bench list generators)")
    if not callable(getattr(cls, "sample_for_flows", None)):
        raise ValueError(f"--packets {name}: it has no sample_for_flows, so it cannot generate packets for given flows")
    return cls


def check_writable(path: str | Path, option: str) -> None:
    """A one-line error before any fitting when ``path`` cannot be written."""
    p = Path(path)
    if p.is_dir():
        raise ValueError(f"{option} {path}: is a directory, not a file")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise ValueError(f"{option} {path}: no such directory {parent}")
    if not os.access(parent, os.W_OK) or (p.exists() and not os.access(p, os.W_OK)):
        raise ValueError(f"{option} {path}: not writable")


def generate_pcap(flow_gen: str, source, n: int, pcap: str | Path, packet_gen: str, packets_source, *,
                  seed: int = 0, profile: str = "default", device: str = "cpu", flow_overrides: dict | None = None,
                  packet_overrides: dict | None = None) -> PcapResult:
    """Fit ``flow_gen`` on ``source`` and draw ``n`` flows; fit ``packet_gen`` on ``packets_source`` (packets
    track); draw each flow's packets with ``sample_for_flows``; write them to ``pcap``."""
    from secgen_bench import registry
    from secgen_bench.datasets.loading import load_dataset
    from secgen_bench.generate import fit_and_sample
    from secgen_bench.packet_conditions import CONDITION_COLUMNS, check_conditioned
    from secgen_bench.pcap_writer import flow_endpoints, write_pcap

    packet_cls = packet_generator_class(packet_gen)
    check_writable(pcap, "--pcap")
    flow_cls = registry.generators.get(flow_gen)
    data = load_dataset(source, profile, seed=seed)
    table = data.schema.validate(data.table, source=source.label)
    flows = fit_and_sample(flow_cls, table, data.schema, n, seed=seed, name=flow_gen, profile=profile,
                           device=device, overrides=flow_overrides).sample
    endpoints, notes = flow_endpoints(flows, data.schema, seed=seed)
    conditions = endpoints[list(CONDITION_COLUMNS)]
    packets_data = load_dataset(packets_source, profile, seed=seed, track="packets")
    packets_table = packets_data.schema.validate(packets_data.table, source=packets_source.label)
    packer = packet_cls(profile=profile, device=device, **(packet_overrides or {}))
    packer.fit(packets_table, packets_data.schema, seed=seed)
    packets = packer.sample_for_flows(conditions, seed=seed)
    check_conditioned(packets, conditions, who=packet_gen)
    packets = _packet_columns(packets, packets_data.schema)
    written = write_pcap(pcap, endpoints, packets, seed=seed)
    return PcapResult(flows, written.frames, {**notes, **written.notes})


def _packet_columns(packets: pd.DataFrame, schema) -> pd.DataFrame:
    """The writer's column names (flow_id, direction, flags, size, iat) from the packets schema's roles."""
    from secgen_bench.packets import PacketColumns

    cols = PacketColumns.resolve(schema, packets)
    return pd.DataFrame({"flow_id": packets[cols.flow_id], "direction": packets[cols.direction],
                         "flags": packets[cols.flags], "size": packets[cols.size], "iat": packets[cols.iat]})

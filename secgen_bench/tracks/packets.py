"""The packets track: generators of packet sequences, scored by the sequence metrics (plugins of track packets)."""
from __future__ import annotations

from secgen_bench.runner.plan import PCAP
from secgen_bench.tracks.flows import GenerationTrack

PACKETS = GenerationTrack("packets", extra_rows=(PCAP,))   # + the held-out packets re-extracted from a capture

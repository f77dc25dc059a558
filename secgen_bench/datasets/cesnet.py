"""CESNET-MINER22: per-packet information (PPI) of the first 30 packets -> packet sequences; biflows too.

Two layouts are read: the full sampled export (``miner22-sampled.csv``: typed
header like ``uint64 BYTES``, PPI as ``[a|b|...]`` lists with absolute packet
times and TCP flags) and the flattened ``IPT_1..30, DIR_1..30, SIZE_1..30``
file (inter-packet times in ms, no flags: flags are ``-`` there). Direction
1 = ``out`` (client -> server), -1 = ``in``; a direction of 0 ends the list.
PPI lengths are taken as CESNET publishes them (``size``). The public sample
has no IP addresses, so the flow table (:func:`read_flows`) has none either.
Flow ids are ``f<row>`` (row order of the file), labels ``Miner``/``Other``.
The flows view (``--track flows``, or ``--data`` of the full export on the
flows track) declares ``Other`` benign, so the ids-* metrics score Miner
flows as the attacks.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from secgen_bench.datasets import common as cm
from secgen_bench.datasets.base import Dataset, LoadedData
from secgen_bench.datasets.pcap import CIDDS_FLAGS, SHORT_FLAGS, PROTO_NAMES
from secgen_bench.datasets.schemas import CESNET_FLOWS, PACKETS_LABELLED

FULL = ("BYTES", "BYTES_REV", "TIME_FIRST", "TIME_LAST", "PACKETS", "PACKETS_REV", "DST_PORT", "SRC_PORT",
        "PROTOCOL", "TCP_FLAGS", "TCP_FLAGS_REV", "LABEL", "PPI_PKT_DIRECTIONS", "PPI_PKT_FLAGS", "PPI_PKT_LENGTHS", "PPI_PKT_TIMES")
BENIGN = ("Other",)     # the flows view's benign label: every flow that is not cryptomining
FLAT = tuple(f"{k}_{i}" for k in ("IPT", "DIR", "SIZE") for i in range(1, 31))


def _read(path: Path) -> pd.DataFrame:
    frame = cm.read_csv(path, dtype=str, keep_default_na=False)
    frame.columns = [c.split(" ")[-1] for c in frame.columns]       # "uint64 BYTES" -> "BYTES"
    if set(FULL) <= set(frame.columns):
        return frame
    if set(FLAT) <= set(frame.columns):
        return frame
    raise cm.DataFormatError(f"{path}: line 1: neither the CESNET PPI export (PPI_PKT_*) nor the flat IPT_/DIR_/SIZE_ layout")


def _lists(cell: str, path: Path, row: int, column: str) -> list[str]:
    text = cell.strip()
    if not (text.startswith("[") and text.endswith("]")):
        raise cm.DataFormatError(f"{path}: line {cm.line_of(row)}: column {column!r}: expected a [a|b|...] list, got {cell[:30]!r}")
    return [x for x in text[1:-1].split("|") if x != ""]


def read_sequences(path: str | Path) -> pd.DataFrame:
    path = cm.existing_file(path)
    frame = _read(path)
    ids, service, direction, flags, size, iat, label = [], [], [], [], [], [], []
    full = "PPI_PKT_DIRECTIONS" in frame.columns
    for row, rec in enumerate(frame.to_dict("records")):
        lab = rec.get("LABEL", rec.get("label", "-")).strip() or "-"
        if full:
            dirs = _lists(rec["PPI_PKT_DIRECTIONS"], path, row, "PPI_PKT_DIRECTIONS")
            flg = _lists(rec["PPI_PKT_FLAGS"], path, row, "PPI_PKT_FLAGS")
            sizes = _lists(rec["PPI_PKT_LENGTHS"], path, row, "PPI_PKT_LENGTHS")
            try:
                times = np.array(_lists(rec["PPI_PKT_TIMES"], path, row, "PPI_PKT_TIMES"), dtype="datetime64[us]")
            except ValueError:
                raise cm.DataFormatError(f"{path}: line {cm.line_of(row)}: column 'PPI_PKT_TIMES': unparsable time") from None
            if not len(dirs) == len(flg) == len(sizes) == len(times):
                raise cm.DataFormatError(f"{path}: line {cm.line_of(row)}: PPI lists of unequal length")
            proto = PROTO_NAMES.get(int(rec["PROTOCOL"]), rec["PROTOCOL"].strip())
            name = f"{proto}/{int(rec['DST_PORT'])}"
            secs = (times - times[0]).astype("int64") / 1e6 if len(times) else np.array([])
            gaps = np.diff(secs, prepend=secs[:1]) if len(secs) else secs
            tcp = proto == "TCP"
            flag_text = [("".join(ch for bit, ch in SHORT_FLAGS if int(f) & bit) or "-") if tcp else "-" for f in flg]
        else:
            cells = [rec[f"DIR_{i}"].strip() for i in range(1, 31)]
            n = next((i for i, d in enumerate(cells) if d in ("0", "")), 30)
            dirs = cells[:n]
            sizes = [rec[f"SIZE_{i}"].strip() for i in range(1, n + 1)]
            gaps = np.array([float(rec[f"IPT_{i}"]) / 1000.0 for i in range(1, n + 1)])
            if n:
                gaps[0] = 0.0
            name, flag_text = "-", ["-"] * n
        for k, d in enumerate(dirs):
            if d.strip() not in ("1", "-1"):
                raise cm.DataFormatError(f"{path}: line {cm.line_of(row)}: packet {k + 1}: direction must be 1 or -1, got {d!r}")
            ids.append(f"f{row}")
            service.append(name)
            direction.append("out" if d.strip() == "1" else "in")
            flags.append(flag_text[k])
            size.append(sizes[k])
            iat.append(max(float(gaps[k]), 0.0))
            label.append(lab)
    table = pd.DataFrame({"flow_id": ids, "service": service, "direction": direction, "flags": flags,
                          "size": cm.to_number(pd.Series(size, dtype=object), path, "size", integer=True),
                          "iat": np.round(iat, 6), "label": label})
    return PACKETS_LABELLED.validate(table, str(path))


def _cidds_flags(values: pd.Series, path: Path, column: str) -> list[str]:
    bits = cm.to_number(values, path, column, integer=True)
    return ["".join(ch if b & bit else "." for bit, ch in CIDDS_FLAGS) for b in bits]


def read_flows(path: str | Path) -> pd.DataFrame:
    """The biflow table of the full CESNET export (schema ``cesnet-miner22``)."""
    path = cm.existing_file(path)
    frame = _read(path)
    if "TIME_FIRST" not in frame.columns:
        raise cm.DataFormatError(f"{path}: the flat IPT_/DIR_/SIZE_ layout has no flow columns; use the full export")
    first = cm.to_time(frame["TIME_FIRST"], path, "TIME_FIRST")
    last = cm.to_time(frame["TIME_LAST"], path, "TIME_LAST")
    proto = cm.to_number(frame["PROTOCOL"], path, "PROTOCOL", integer=True)
    table = pd.DataFrame({
        "TIME_FIRST": first, "PROTOCOL": [PROTO_NAMES.get(int(p), str(p)) for p in proto],
        "SRC_PORT": cm.to_number(frame["SRC_PORT"], path, "SRC_PORT", integer=True),
        "DST_PORT": cm.to_number(frame["DST_PORT"], path, "DST_PORT", integer=True),
        "BYTES": cm.to_number(frame["BYTES"], path, "BYTES", integer=True),
        "BYTES_REV": cm.to_number(frame["BYTES_REV"], path, "BYTES_REV", integer=True),
        "PACKETS": cm.to_number(frame["PACKETS"], path, "PACKETS", integer=True),
        "PACKETS_REV": cm.to_number(frame["PACKETS_REV"], path, "PACKETS_REV", integer=True),
        "DURATION": (last - first).dt.total_seconds().clip(lower=0.0),
        "TCP_FLAGS": _cidds_flags(frame["TCP_FLAGS"], path, "TCP_FLAGS"),
        "TCP_FLAGS_REV": _cidds_flags(frame["TCP_FLAGS_REV"], path, "TCP_FLAGS_REV"),
        "LABEL": cm.clean_str(frame["LABEL"]),
    })
    return CESNET_FLOWS.validate(cm.sort_by_time(table, "TIME_FIRST"), str(path))


class CesnetMiner22(Dataset):
    """CESNET-MINER22 packet sequences (first 30 packets per flow), labelled Miner/Other."""

    name = "cesnet-miner22"
    version = "1.0"
    description = "CESNET-MINER22 per-packet information -> labelled packet sequences (read_flows() for biflows)"
    track = "packets"
    sample_file = ("cesnet-miner22", "miner22-sampled.csv")
    file_hint = "the PPI CSV"

    def load(self, path: str | Path | None = None, *, seed: int = 0, profile: str = "default") -> LoadedData:
        path = self.default_path() if path is None else path
        table = read_sequences(path)
        return LoadedData(table, PACKETS_LABELLED, {"source": str(path), "dataset": self.name, "rows": len(table),
                                                    "sequences": int(table["flow_id"].nunique())})

    def load_view(self, track: str, path: str | Path | None = None, *, seed: int = 0,
                  profile: str = "default") -> LoadedData:
        """``flows``: the biflows of the full export, labelled Miner vs Other (benign ``Other``)."""
        if track != "flows":
            return super().load_view(track, path, seed=seed, profile=profile)
        path = self.default_path() if path is None else path
        table = read_flows(path)
        meta = {"source": str(path), "dataset": self.name, "rows": len(table), "benign": {"LABEL": list(BENIGN)},
                "benign:LABEL": list(BENIGN)}
        return LoadedData(table, CESNET_FLOWS, meta)

    @classmethod
    def sniff(cls, path: Path) -> bool:
        first = cm.head_text(path).splitlines()[:1]
        if not first:
            return False
        cols = {c.strip().split(" ")[-1] for c in first[0].split(",")}
        return "PPI_PKT_DIRECTIONS" in cols or {"IPT_1", "DIR_1", "SIZE_1"} <= cols

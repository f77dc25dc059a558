"""CIDDS-001: raw unidirectional NetFlow records, and the bidirectional view the FlowChronicle paper used.

Raw files (official or sampled) have ``Bytes`` like ``1.2 M``, space-padded
strings, ``Flows`` and CIDDS flags ``.AP.SF``; the official week files add
``Tos, class, attackType, attackID, attackDescription``. Only ``class ==
normal`` rows are kept for generation (the paper trained on normal traffic);
the others are counted in ``meta["dropped"]``.

The bidirectional view (``metrics.md``, "Data the metrics see") is an
approximation of the artefact's preprocessing, whose code is not public:
records are grouped by protocol and unordered endpoint pair (IP, port both
sides); inside a group a new session starts when a record begins 120 s or more
after every earlier record of the session ended; per session bytes and
packets are summed per direction (Out = initiator -> responder), flags are
OR-ed position by position, duration = last end - first start, the source port
is dropped and ``Dst Pt`` is the responder's port.

Which side is the initiator: ``initiator="port"`` (default) takes the client,
i.e. the endpoint with the higher port (ephemeral) and the lower port as the
service; on equal ports the first record's source. ``initiator="first"``
takes the source of the session's first record. The default follows what the
artefact's own output shows: in its bidirectional fixtures a lone record sent
by a web server (src port 80) appears as client -> server:80 with the bytes
under ``In``, which only the port rule gives when the request record is
missing from a sampled capture.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from secgen_bench.datasets import common as cm
from secgen_bench.datasets.base import Dataset, LoadedData
from secgen_bench.datasets.schemas import CIDDS_BI, CIDDS_RAW
from secgen_bench.schema import INT64_SAFE_MAX

SAMPLE = ("cidds001", "cidds_wk3_8k.csv")     # both views read the same files
DOWNLOAD = "cidds001-week3"
FLAG_CHARS = "UAPRSF"            # CIDDS flag string positions, '.' when absent
OFFICIAL_EXTRA = ("Tos", "class", "attackType", "attackID", "attackDescription")
_UNITS = {"": 1.0, "K": 1e3, "M": 1e6, "G": 1e9}


def parse_bytes(values: pd.Series, path: Path, column: str = "Bytes") -> np.ndarray:
    """``'1.2 M'`` -> 1200000 (CIDDS writes large counters with a unit suffix)."""
    s = values.astype(str).str.strip().str.upper()
    parts = s.str.extract(r"^([0-9]*\.?[0-9]+(?:E[+-]?[0-9]+)?)\s*([KMG]?)$")
    bad = parts[0].isna().to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise cm.DataFormatError(f"{path}: line {cm.line_of(i)}: column {column!r}: cannot read byte count {values.iloc[i]!r}")
    with np.errstate(over="ignore"):
        counts = np.round(parts[0].astype(float).to_numpy() * parts[1].map(_UNITS).to_numpy())
    huge = ~(counts <= INT64_SAFE_MAX)                  # the cast would wrap (or it is inf)
    if huge.any():
        i = int(np.flatnonzero(huge)[0])
        raise cm.DataFormatError(f"{path}: line {cm.line_of(i)}: column {column!r}: byte count too large {values.iloc[i]!r}")
    return counts.astype("int64")


def read_raw(path: str | Path) -> tuple[pd.DataFrame, dict]:
    """A raw CIDDS-001 CSV -> table valid under CIDDS_RAW (normal traffic only), plus meta."""
    path = cm.existing_file(path)
    frame = cm.read_csv(path, required=CIDDS_RAW.names, dtype=str, keep_default_na=False)
    dropped: dict[str, int] = {}
    meta: dict = {"source": str(path)}
    if "class" in frame.columns:
        cls = frame["class"].str.strip().str.lower()
        keep = (cls == "normal").to_numpy()
        for name, count in cls[~keep].value_counts().items():
            dropped[f"class={name}"] = int(count)
        meta["traffic"] = "normal only (class == normal)"
        rows = np.flatnonzero(keep)
        frame = frame[keep].reset_index(drop=True)
        if len(frame) == 0:
            raise cm.DataFormatError(f"{path}: no rows with class 'normal'")
    else:
        rows = np.arange(len(frame))
        meta["traffic"] = "all rows (file has no class column)"
    proto = cm.clean_str(frame["Proto"])
    port_raw = {c: cm.to_number(frame[c], path, c, rows=rows) for c in ("Src Pt", "Dst Pt")}
    icmp_codes = 0
    for c, v in port_raw.items():
        frac = v != np.floor(v)
        if frac.any():                            # CIDDS writes ICMP type.code as a port like 3.3
            icmp_codes += int(frac.sum())
            port_raw[c] = np.floor(v)
    table = pd.DataFrame({
        "Date first seen": cm.to_time(frame["Date first seen"], path, "Date first seen"),
        "Duration": cm.to_number(frame["Duration"], path, "Duration", rows=rows),
        "Proto": proto,
        "Src IP Addr": cm.clean_str(frame["Src IP Addr"]),
        "Src Pt": port_raw["Src Pt"].astype("int64"),
        "Dst IP Addr": cm.clean_str(frame["Dst IP Addr"]),
        "Dst Pt": port_raw["Dst Pt"].astype("int64"),
        "Packets": cm.to_number(frame["Packets"], path, "Packets", integer=True, rows=rows),
        "Bytes": parse_bytes(frame["Bytes"], path),
        "Flows": cm.to_number(frame["Flows"], path, "Flows", integer=True, rows=rows),
        "Flags": cm.clean_str(frame["Flags"], "......"),
    })
    if icmp_codes:
        meta["icmp_type_code_ports_floored"] = icmp_codes
    meta["dropped"] = dropped
    meta["raw_rows"] = len(table)
    table = CIDDS_RAW.validate(cm.sort_by_time(table, "Date first seen"), str(path))
    return table, meta


def _flag_bits(flags: pd.Series) -> np.ndarray:
    bits = np.zeros(len(flags), dtype=np.int64)
    arr = flags.to_numpy(dtype=str)
    for i, ch in enumerate(FLAG_CHARS):
        has = np.char.find(np.char.upper(arr), ch) >= 0
        bits |= has.astype(np.int64) << i
    return bits


def _flag_strings(bits: np.ndarray) -> np.ndarray:
    cols = [np.where(bits >> i & 1, ch, ".") for i, ch in enumerate(FLAG_CHARS)]
    return np.array(["".join(t) for t in zip(*cols)], dtype=object) if len(bits) else np.array([], dtype=object)


def bidirectional(raw: pd.DataFrame, *, gap: float = 120.0, initiator: str = "port") -> pd.DataFrame:
    """Raw unidirectional records (CIDDS_RAW) -> sessions in the CIDDS_BI view (see module doc)."""
    if initiator not in ("port", "first"):
        raise ValueError(f"initiator must be 'port' or 'first', not {initiator!r}")
    t0 = raw["Date first seen"].to_numpy("datetime64[ns]")
    start = (t0 - t0.min()).astype("int64") / 1e9
    end = start + raw["Duration"].to_numpy(float)
    sip, dip = raw["Src IP Addr"].to_numpy(str), raw["Dst IP Addr"].to_numpy(str)
    spt, dpt = raw["Src Pt"].to_numpy(np.int64), raw["Dst Pt"].to_numpy(np.int64)
    src_ep = np.char.add(np.char.add(sip, "|"), spt.astype(str))
    dst_ep = np.char.add(np.char.add(dip, "|"), dpt.astype(str))
    swap = src_ep > dst_ep
    lo, hi = np.where(swap, dst_ep, src_ep), np.where(swap, src_ep, dst_ep)
    key = pd.factorize(pd.Series(raw["Proto"].to_numpy(str)) + "#" + lo + "#" + hi)[0]
    order = np.lexsort((np.arange(len(raw)), start, key))
    key, start, end = key[order], start[order], end[order]
    src_ep, dst_ep, spt, dpt = src_ep[order], dst_ep[order], spt[order], dpt[order]
    run_end = pd.Series(end).groupby(key).cummax().to_numpy()
    new = np.ones(len(key), dtype=bool)
    new[1:] = (key[1:] != key[:-1]) | (start[1:] - run_end[:-1] >= gap)
    first = np.flatnonzero(new)
    session = np.cumsum(new) - 1
    f_src, f_dst, f_spt, f_dpt = src_ep[first], dst_ep[first], spt[first], dpt[first]
    if initiator == "port":
        flip = f_spt < f_dpt                   # the first record was sent by the service side
    else:
        flip = np.zeros(len(first), dtype=bool)
    client = np.where(flip, f_dst, f_src)[session]
    server_port = np.where(flip, f_spt, f_dpt)
    is_out = src_ep == client
    take = lambda col: raw[col].to_numpy()[order]
    bytes_, pkts = take("Bytes").astype(np.int64), take("Packets").astype(np.int64)
    sums = lambda v: np.add.reduceat(v, first) if len(v) else v
    out_b, in_b = sums(np.where(is_out, bytes_, 0)), sums(np.where(is_out, 0, bytes_))
    out_p, in_p = sums(np.where(is_out, pkts, 0)), sums(np.where(is_out, 0, pkts))
    flags = np.bitwise_or.reduceat(_flag_bits(pd.Series(take("Flags"))), first)
    last_end = np.maximum.reduceat(end, first)
    client_ip = np.where(flip, dip[order][first], sip[order][first])
    server_ip = np.where(flip, sip[order][first], dip[order][first])
    proto = take("Proto")[first]
    non_tcp = np.char.upper(proto.astype(str)) != "TCP"
    flag_str = _flag_strings(flags)
    view = pd.DataFrame({
        "Date first seen": t0[order][first],
        "Proto": proto,
        "Src IP Addr": client_ip,
        "Dst IP Addr": server_ip,
        "Dst Pt": server_port,
        "In Byte": in_b,
        "Out Byte": out_b,
        "In Packet": in_p,
        "Out Packet": out_p,
        "Duration": np.round(np.maximum(last_end - start[first], 0.0), 3),
        "Flags": np.where(non_tcp & (flags == 0), "......", flag_str),
    })
    return CIDDS_BI.validate(cm.sort_by_time(view, "Date first seen"), "cidds001-bi view")


def _sniff_cidds(path: Path) -> bool:
    first = cm.head_text(path).splitlines()[:1]
    if not first:
        return False
    cols = {c.strip() for c in first[0].split(",")}
    return set(CIDDS_RAW.names) <= cols


def _default_source(dataset: Dataset) -> tuple[Path, str]:
    sample = dataset.sample_path()
    if sample is not None:
        return sample, "CIDDS-001 week-3 8,192-flow sample from SECGEN_BENCH_DATA (FlowChronicle artefact), offline"
    from secgen_bench.datasets.download import fetch

    return fetch(dataset.download_source), "CIDDS-001 OpenStack week 3, official download (cached)"


class CIDDS001(Dataset):
    """CIDDS-001 raw unidirectional NetFlow records (normal traffic)."""

    name = "cidds001"
    version = "1.0"
    description = "CIDDS-001 raw unidirectional flows (Hochschule Coburg); normal traffic only"
    source = "https://www.hs-coburg.de/cidds"
    sample_file = SAMPLE
    download_source = DOWNLOAD

    def load(self, path: str | Path | None = None, *, seed: int = 0, profile: str = "default") -> LoadedData:
        note = "user file"
        if path is None:
            path, note = _default_source(self)
        table, meta = read_raw(path)
        meta.update(dataset=self.name, origin=note, rows=len(table))
        return LoadedData(table, CIDDS_RAW, meta)

    @classmethod
    def sniff(cls, path: Path) -> bool:
        return _sniff_cidds(path)


class CIDDS001Bi(Dataset):
    """CIDDS-001 in the bidirectional view the FlowChronicle paper evaluated on."""

    name = "cidds001-bi"
    version = "1.0"
    description = "CIDDS-001 bidirectional sessions (120 s gap, Out = initiator, no source port), the paper's view"
    source = "https://www.hs-coburg.de/cidds"
    sample_file = SAMPLE
    download_source = DOWNLOAD

    def load(self, path: str | Path | None = None, *, seed: int = 0, profile: str = "default",
             gap: float = 120.0, initiator: str = "port") -> LoadedData:
        note = "user file"
        if path is None:
            path, note = _default_source(self)
        raw, meta = read_raw(path)
        view = bidirectional(raw, gap=gap, initiator=initiator)
        meta.update(dataset=self.name, origin=note, rows=len(view), session_gap_s=gap, initiator=initiator)
        return LoadedData(view, CIDDS_BI, meta)

    @classmethod
    def sniff(cls, path: Path) -> bool:
        return _sniff_cidds(path)

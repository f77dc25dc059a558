"""UGR'16 NetFlow: the NetShare CSV sample, the official headerless week files, and our own exports.

NetShare ships UGR'16 as ``srcip,dstip,srcport,dstport,proto,ts,td,pkt,byt,type``
with IPs as uint32 integers and ``ts`` in microseconds; they become dotted quads
and datetimes. The official week files (no header: ``te,td,sa,da,sp,dp,pr,
flg,fwd,stos,pkt,byt,label``, ``te`` = flow *end*) are read too: ``ts`` = te -
td; ``flg``, ``fwd`` and ``stos`` are not in the schema and are dropped.
Without a path the loader reads the shared sample, else the first rows of the
official March week-3 archive (downloaded and cached).
"""
from __future__ import annotations

import ipaddress
import tarfile
from pathlib import Path

import numpy as np
import pandas as pd

from secgen_bench.datasets import common as cm
from secgen_bench.datasets.base import Dataset, LoadedData
from secgen_bench.datasets.schemas import UGR16 as UGR16_SCHEMA

NETSHARE = ("srcip", "dstip", "srcport", "dstport", "proto", "ts", "td", "pkt", "byt")
OFFICIAL = ("te", "td", "sa", "da", "sp", "dp", "pr", "flg", "fwd", "stos", "pkt", "byt", "label")
ROWS = {"quick": 20_000, "default": 200_000, "paper": 2_000_000}


def _ips(values: pd.Series, path: Path, column: str) -> pd.Series:
    """uint32 integers (NetShare) or dotted strings -> dotted strings."""
    s = values.astype(str).str.strip()
    numeric = pd.to_numeric(s, errors="coerce")
    if numeric.notna().all():
        num = cm.to_number(values, path, column)
        if (num > 2**32 - 1).any() or (num != np.round(num)).any():
            i = int(np.flatnonzero((num > 2**32 - 1) | (num != np.round(num)))[0])
            raise cm.DataFormatError(f"{path}: line {cm.line_of(i)}: column {column!r}: not an IPv4 address {values.iloc[i]!r}")
        n = num.astype(np.uint32)
        return pd.Series([f"{a}.{b}.{c}.{d}" for a, b, c, d in zip(n >> 24, (n >> 16) & 255, (n >> 8) & 255, n & 255)], dtype=object)
    for i, v in enumerate(s):
        try:
            ipaddress.ip_address(v)
        except ValueError:
            raise cm.DataFormatError(f"{path}: line {cm.line_of(i)}: column {column!r}: not an IP address {v!r}") from None
    return s.astype(object)


def _time(values: pd.Series, path: Path, column: str) -> pd.Series:
    num = pd.to_numeric(values, errors="coerce")
    if num.notna().all():
        return cm.to_time(values, path, column, unit="us")
    return cm.to_time(values, path, column)


def from_netshare(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    table = pd.DataFrame({
        "ts": _time(frame["ts"], path, "ts"),
        "td": cm.to_number(frame["td"], path, "td"),
        "srcip": _ips(frame["srcip"], path, "srcip"),
        "dstip": _ips(frame["dstip"], path, "dstip"),
        "srcport": cm.to_number(frame["srcport"], path, "srcport", integer=True),
        "dstport": cm.to_number(frame["dstport"], path, "dstport", integer=True),
        "proto": cm.clean_str(frame["proto"]),
        "pkt": cm.to_number(frame["pkt"], path, "pkt", integer=True),
        "byt": cm.to_number(frame["byt"], path, "byt", integer=True),
        "type": cm.clean_str(frame["type"]) if "type" in frame else "-",
    })
    return UGR16_SCHEMA.validate(cm.sort_by_time(table, "ts"), str(path))


def from_official(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    if frame.shape[1] != len(OFFICIAL):
        raise cm.DataFormatError(f"{path}: line 1: expected {len(OFFICIAL)} comma-separated fields of an official UGR'16 file, found {frame.shape[1]}")
    frame.columns = OFFICIAL
    td = cm.to_number(frame["td"], path, "td", header_lines=0)
    end = cm.to_time(frame["te"], path, "te", header_lines=0)
    table = pd.DataFrame({
        "ts": end - pd.to_timedelta(td, unit="s"), "td": td,
        "srcip": _ips(frame["sa"], path, "sa"), "dstip": _ips(frame["da"], path, "da"),
        "srcport": cm.to_number(frame["sp"], path, "sp", integer=True, header_lines=0),
        "dstport": cm.to_number(frame["dp"], path, "dp", integer=True, header_lines=0),
        "proto": cm.clean_str(frame["pr"]),
        "pkt": cm.to_number(frame["pkt"], path, "pkt", integer=True, header_lines=0),
        "byt": cm.to_number(frame["byt"], path, "byt", integer=True, header_lines=0),
        "type": cm.clean_str(frame["label"]),
    })
    return UGR16_SCHEMA.validate(cm.sort_by_time(table, "ts"), str(path))


def read_ugr16(path: str | Path, nrows: int | None = None) -> pd.DataFrame:
    path = cm.existing_file(path)
    first = cm.head_text(path).splitlines()[:1]
    if first and set(NETSHARE) <= {c.strip() for c in first[0].split(",")}:
        return from_netshare(cm.read_csv(path, required=NETSHARE, dtype=str, keep_default_na=False, nrows=nrows), path)
    return from_official(cm.read_csv(path, header=None, dtype=str, keep_default_na=False, nrows=nrows), path)


def _looks_official(line: str) -> bool:
    parts = line.split(",")
    return len(parts) == len(OFFICIAL) and len(parts[0]) >= 19 and parts[0][4] == "-" and parts[0][10] == " "


class UGR16(Dataset):
    """UGR'16 NetFlow (Universidad de Granada), NetShare sample or official week files."""

    name = "ugr16"
    version = "1.0"
    description = "UGR'16 ISP NetFlow (NetShare CSV or official week files); IPs as dotted quads"
    source = "https://nesg.ugr.es/nesg-ugr16/"
    sample_file = ("ugr16", "ugr16_1k.csv")
    download_source = "ugr16-march-week3"

    def load(self, path: str | Path | None = None, *, seed: int = 0, profile: str = "default") -> LoadedData:
        if path is not None:
            table = read_ugr16(path)
            return LoadedData(table, UGR16_SCHEMA, {"source": str(path), "dataset": self.name, "rows": len(table)})
        sample = self.sample_path()
        if sample is not None:
            table = read_ugr16(sample)
            return LoadedData(table, UGR16_SCHEMA, {"source": str(sample), "origin": "NetShare 1,000-flow sample (offline)",
                                             "dataset": self.name, "rows": len(table)})
        from secgen_bench.datasets.download import fetch

        archive = fetch(self.download_source)
        with tarfile.open(archive) as tf:
            member = next((m for m in tf.getmembers() if m.isfile()), None)
            if member is None:
                raise cm.DataFormatError(f"{archive}: archive holds no file")
            frame = pd.read_csv(tf.extractfile(member), header=None, dtype=str, keep_default_na=False, nrows=ROWS[profile])
        table = from_official(frame, Path(f"{archive}:{member.name}"))
        return LoadedData(table, UGR16_SCHEMA, {"source": str(archive), "origin": f"official March week 3, first {ROWS[profile]} rows",
                                         "dataset": self.name, "rows": len(table)})

    @classmethod
    def sniff(cls, path: Path) -> bool:
        first = cm.head_text(path).splitlines()[:1]
        if not first:
            return False
        return set(NETSHARE) <= {c.strip() for c in first[0].split(",")} or _looks_official(first[0])

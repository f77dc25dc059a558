"""CTU / Argus ``.binetflow``: bidirectional flows as the Stratosphere lab publishes them.

Ports may be hexadecimal (``0x0303`` for ICMP type/code) or empty (ARP):
hex is decoded, empty becomes 0. ``Dir`` and ``State`` keep Argus' spelling
(``<->``, ``->``, ``PA_PA``). ``Label`` is ``-`` when the file has none.
Older files lack ``SrcBytes``: it is then filled with 0 and ``meta["filled"]``
says so (a generator trained on such a file learns no direction split).
"""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from secgen_bench.datasets import common as cm
from secgen_bench.datasets.base import FileFormat
from secgen_bench.datasets.schemas import CTU as CTU_SCHEMA

REQUIRED = ("StartTime", "Dur", "Proto", "SrcAddr", "Sport", "Dir", "DstAddr", "Dport", "State", "TotPkts", "TotBytes")
log = logging.getLogger("secgen_bench.datasets")


def _ports(values: pd.Series, path: Path, column: str) -> np.ndarray:
    s = cm.clean_str(values, "0")
    out = np.zeros(len(s), dtype=np.int64)
    for i, v in enumerate(s):
        try:
            out[i] = int(v, 16) if v.lower().startswith("0x") else int(float(v))
        except ValueError:
            raise cm.DataFormatError(f"{path}: line {cm.line_of(i)}: column {column!r}: not a port {values.iloc[i]!r}") from None
        if not 0 <= out[i] <= 65535:
            raise cm.DataFormatError(f"{path}: line {cm.line_of(i)}: column {column!r}: port out of range {values.iloc[i]!r}")
    return out


def read_binetflow(path: str | Path) -> tuple[pd.DataFrame, dict]:
    path = cm.existing_file(path)
    frame = cm.read_csv(path, required=REQUIRED, dtype=str, keep_default_na=False)
    meta: dict = {"source": str(path), "filled": {}}
    if "SrcBytes" in frame:
        src_bytes = cm.to_number(frame["SrcBytes"], path, "SrcBytes", integer=True)
    else:
        src_bytes = np.zeros(len(frame), dtype=np.int64)
        meta["filled"]["SrcBytes"] = "column absent from the file: 0"
        log.warning("%s: no SrcBytes column; filled with 0", path)
    table = pd.DataFrame({
        "StartTime": cm.to_time(frame["StartTime"], path, "StartTime",
                                fmt="%Y/%m/%d %H:%M:%S.%f" if "/" in str(frame["StartTime"].iloc[0]) else None),
        "Dur": cm.to_number(frame["Dur"], path, "Dur"),
        "Proto": cm.clean_str(frame["Proto"]),
        "SrcAddr": cm.clean_str(frame["SrcAddr"]),
        "Sport": _ports(frame["Sport"], path, "Sport"),
        "Dir": cm.clean_str(frame["Dir"]),
        "DstAddr": cm.clean_str(frame["DstAddr"]),
        "Dport": _ports(frame["Dport"], path, "Dport"),
        "State": cm.clean_str(frame["State"]),
        "TotPkts": cm.to_number(frame["TotPkts"], path, "TotPkts", integer=True),
        "TotBytes": cm.to_number(frame["TotBytes"], path, "TotBytes", integer=True),
        "SrcBytes": src_bytes,
        "Label": cm.clean_str(frame["Label"]) if "Label" in frame else "-",
    })
    over = np.flatnonzero(table["SrcBytes"].to_numpy() > table["TotBytes"].to_numpy())
    if len(over):
        raise cm.DataFormatError(f"{path}: line {cm.line_of(over[0])}: column 'SrcBytes': larger than TotBytes")
    meta["rows"] = len(table)
    return CTU_SCHEMA.validate(cm.sort_by_time(table, "StartTime"), str(path)), meta


class CTU(FileFormat):
    """CTU Stratosphere / Argus bidirectional flows (.binetflow)."""

    name = "ctu"
    version = "1.0"
    description = "CTU Stratosphere Argus bidirectional flows (.binetflow)"
    schema = CTU_SCHEMA
    sample_file = ("ctu", "test2.binetflow")
    file_hint = "a .binetflow file (no public download is wired in)"

    def read(self, path: str | Path) -> tuple[pd.DataFrame, dict]:
        return read_binetflow(path)

    @classmethod
    def sniff(cls, path: Path) -> bool:
        first = cm.head_text(path).splitlines()[:1]
        return bool(first) and set(REQUIRED) <= {c.strip() for c in first[0].split(",")}

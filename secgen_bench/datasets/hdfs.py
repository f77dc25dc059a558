"""HDFS logs -> per-block event sequences (schema ``hdfs``) for the anomaly-detection track.

Readable inputs, detected by content:

* loghub structured logs (``*_structured.csv``: LineId, Date, Time, Content,
  EventId, ...): every block id (``blk_...``) named in a line gets the line's
  event; events keep file order; ``delay`` = seconds since the block's previous
  event (loghub times have 1 s resolution).
* loghub HDFS_v1 ``preprocessed/Event_traces.csv`` (BlockId, Label, Features,
  TimeInterval): sequences with their published inter-event times.
* DeepLog session files (one session per line, space-separated event numbers):
  untimed, delay 0; label from the file name (``abnormal`` -> anomaly, else normal).
* lukavuko ``blk_event_sequences.csv`` (blk_ID, sequence, anomaly): untimed.

Event names are kept as the source writes them (``E5`` in loghub, ``5`` in
DeepLog and lukavuko files: their numberings differ and are not mapped).
Labels come from the file itself, else from a label file given as
``labels=`` or found beside the log: loghub ``anomaly_label.csv`` (BlockId,
Label), the lukavuko file, or the logllm ``train.csv``/``test.csv`` (BlockId,
Label 0/1). Blocks without any label get ``unknown`` and ``meta`` counts them.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from secgen_bench.datasets import common as cm
from secgen_bench.datasets.base import Dataset, LoadedData
from secgen_bench.datasets.schemas import HDFS as HDFS_SCHEMA

BLOCK = re.compile(r"blk_-?\d+")
STRUCTURED = ("LineId", "Date", "Time", "Content", "EventId")
_NORMAL = {"normal", "0", "success", "false"}
_ANOMALY = {"anomaly", "1", "fail", "true", "abnormal"}
DEEPLOG_FILES = ("hdfs_train", "hdfs_test_abnormal")   # the default data when SECGEN_BENCH_DATA has them


def _label(value) -> str:
    v = str(value).strip().lower()
    return "normal" if v in _NORMAL else "anomaly" if v in _ANOMALY else "unknown"


def _header(path: Path) -> set[str]:
    first = cm.head_text(path).splitlines()[:1]
    return {c.strip() for c in first[0].split(",")} if first else set()


def read_labels(path: str | Path) -> dict[str, str]:
    """Block id -> 'normal'/'anomaly' from any of the known label files."""
    path = cm.existing_file(path)
    frame = cm.read_csv(path, dtype=str, keep_default_na=False)
    id_col = next((c for c in ("BlockId", "blk_ID", "block_id") if c in frame.columns), None)
    lab_col = next((c for c in ("Label", "anomaly", "label") if c in frame.columns), None)
    if id_col is None or lab_col is None:
        raise cm.DataFormatError(f"{path}: line 1: no block id / label columns (BlockId,Label or blk_ID,anomaly)")
    labels: dict[str, str] = {}
    for block, lab in zip(frame[id_col].str.strip(), frame[lab_col]):
        new = _label(lab)
        if labels.get(block) != "anomaly":       # one anomalous line makes the block anomalous
            labels[block] = new
    return labels


def _labels_beside(path: Path) -> tuple[dict[str, str], list[str]]:
    found: dict[str, str] = {}
    used = []
    candidates = [path.parent / "anomaly_label.csv", path.parent.parent / "lukavuko_blk_sequences" / "blk_event_sequences.csv",
                  path.parent.parent / "logllm_hdfs2k_sessions" / "train.csv", path.parent.parent / "logllm_hdfs2k_sessions" / "test.csv"]
    for cand in candidates:
        if cand.exists():
            for k, v in read_labels(cand).items():
                if found.get(k) != "anomaly":
                    found[k] = v
            used.append(str(cand))
    return found, used


def _structured(path: Path) -> pd.DataFrame:
    frame = cm.read_csv(path, required=STRUCTURED, dtype=str, keep_default_na=False)
    stamp = frame["Date"].str.strip().str.zfill(6) + frame["Time"].str.strip().str.zfill(6)
    times = pd.to_datetime(stamp, format="%y%m%d%H%M%S", errors="coerce")
    bad = times.isna().to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise cm.DataFormatError(f"{path}: line {cm.line_of(i)}: column 'Date'/'Time': unparsable {frame['Date'].iloc[i]!r} {frame['Time'].iloc[i]!r}")
    rows = []
    for i, (content, event, t) in enumerate(zip(frame["Content"], frame["EventId"].str.strip(), times)):
        for block in dict.fromkeys(BLOCK.findall(content)):
            rows.append((block, event, t, i))
    if not rows:
        raise cm.DataFormatError(f"{path}: no block ids (blk_...) in the Content column")
    events = pd.DataFrame(rows, columns=["block_id", "event", "time", "line"])
    first_line = events.groupby("block_id", sort=False)["line"].transform("min")
    events = events.assign(first=first_line).sort_values(["first", "block_id", "line"], kind="stable")
    delay = events.groupby("block_id", sort=False)["time"].diff().dt.total_seconds().fillna(0.0)
    return pd.DataFrame({"block_id": events["block_id"].to_numpy(), "event": events["event"].to_numpy(),
                         "delay": delay.clip(lower=0.0).to_numpy(), "label": "unknown"})


def _items(cell: str) -> list[str]:
    return [x.strip().strip("'\"") for x in cell.strip().strip("[]").split(",") if x.strip()]


def _event_traces(path: Path) -> pd.DataFrame:
    frame = cm.read_csv(path, required=("BlockId", "Features"), dtype=str, keep_default_na=False)
    ids, events, delays, labels = [], [], [], []
    for row, rec in enumerate(frame.to_dict("records")):
        ev = _items(rec["Features"])
        gaps = _items(rec.get("TimeInterval", "")) if rec.get("TimeInterval") else []
        if gaps and len(gaps) != len(ev):
            raise cm.DataFormatError(f"{path}: line {cm.line_of(row)}: TimeInterval has {len(gaps)} values for {len(ev)} events")
        try:
            gap_values = [float(g) for g in gaps] or [0.0] * len(ev)
        except ValueError:
            raise cm.DataFormatError(f"{path}: line {cm.line_of(row)}: column 'TimeInterval': non-numeric value") from None
        lab = _label(rec.get("Label", "unknown"))
        for k, (e, g) in enumerate(zip(ev, gap_values)):
            ids.append(rec["BlockId"].strip())
            events.append(e)
            delays.append(0.0 if k == 0 else max(g, 0.0))
            labels.append(lab)
    return pd.DataFrame({"block_id": ids, "event": events, "delay": delays, "label": labels})


def _lukavuko(path: Path) -> pd.DataFrame:
    frame = cm.read_csv(path, required=("blk_ID", "sequence", "anomaly"), dtype=str, keep_default_na=False)
    rows = [(b.strip(), e, 0.0, _label(a)) for b, s, a in zip(frame["blk_ID"], frame["sequence"], frame["anomaly"]) for e in _items(s)]
    return pd.DataFrame(rows, columns=["block_id", "event", "delay", "label"])


def _deeplog(path: Path) -> pd.DataFrame:
    text = cm.read_text(path)
    label = "anomaly" if "abnormal" in path.name.lower() else "normal"
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        tokens = line.split()
        bad = next((t for t in tokens if not t.isdigit()), None)
        if bad is not None:
            raise cm.DataFormatError(f"{path}: line {number}: not a DeepLog session line (token {bad!r} is not an event number)")
        rows.extend((f"{path.stem}-{number}", t, 0.0, label) for t in tokens)
    if not rows:
        raise cm.DataFormatError(f"{path}: no sessions")
    return pd.DataFrame(rows, columns=["block_id", "event", "delay", "label"])


def read_hdfs(path: str | Path, labels: str | Path | None = None) -> tuple[pd.DataFrame, dict]:
    path = cm.existing_file(path)
    cols = _header(path)
    meta: dict = {"source": str(path)}
    if set(STRUCTURED) <= cols:
        table, meta["format"] = _structured(path), "loghub structured"
    elif {"BlockId", "Features"} <= cols:
        table, meta["format"] = _event_traces(path), "loghub Event_traces"
    elif {"blk_ID", "sequence", "anomaly"} <= cols:
        table, meta["format"] = _lukavuko(path), "lukavuko block sequences (untimed)"
    else:
        table, meta["format"] = _deeplog(path), "DeepLog sessions (untimed)"
    if labels is not None or (table["label"] == "unknown").any():
        found, used = (read_labels(labels), [str(labels)]) if labels is not None else _labels_beside(path)
        if found:
            mapped = table["block_id"].map(found)
            table["label"] = mapped.where(mapped.notna(), table["label"])
            meta["label_files"] = used
    unknown = table.loc[table["label"] == "unknown", "block_id"].nunique()
    if unknown:
        meta["unlabelled_blocks"] = int(unknown)
    meta["sequences"] = int(table["block_id"].nunique())
    meta["anomalous_sequences"] = int(table.loc[table["label"] == "anomaly", "block_id"].nunique())
    return HDFS_SCHEMA.validate(table, str(path)), meta


def _looks_deeplog(path: Path) -> bool:
    lines = [l for l in cm.head_text(path, 2048).splitlines()[:20] if l.strip()]
    if len(lines) > 1:
        lines = lines[:-1]                      # the last line of the head may be cut
    return bool(lines) and all(re.fullmatch(r"\s*\d+(\s+\d+)*\s*", l) for l in lines)


class HDFS(Dataset):
    """HDFS per-block log event sequences with normal/anomaly labels.

    Without a path: the DeepLog HDFS_v1 sessions of the shared data (4,855 normal +
    16,838 anomalous) when present, else the loghub HDFS_2k sample, else the official download.
    """

    name = "hdfs"
    version = "1.0"
    description = "HDFS block event sequences (loghub structured logs, Event_traces, DeepLog sessions) with labels"
    track = "anomaly"
    source = "https://github.com/logpai/loghub"
    sample_file = ("hdfs", "loghub_HDFS_2k", "HDFS_2k.log_structured.csv")
    download_source = "hdfs_v1-traces"
    sessions_folder = ("hdfs", "deeplog_sequences")   # preferred over the sample when complete

    def load(self, path: str | Path | None = None, *, seed: int = 0, profile: str = "default",
             labels: str | Path | None = None) -> LoadedData:
        origin = "user file"
        if path is None and labels is None:
            deeplog = cm.shared_file(*self.sessions_folder)
            if deeplog is not None and all((deeplog / f).is_file() for f in DEEPLOG_FILES):
                return self._deeplog_sessions(deeplog)
        if path is None:
            path = self.sample_path()
            origin = "loghub HDFS_2k sample from SECGEN_BENCH_DATA (offline)"
            if path is None:
                from secgen_bench.datasets.download import fetch

                path, origin = fetch(self.download_source), "loghub HDFS_v1 Event_traces, official download (cached)"
        table, meta = read_hdfs(path, labels)
        meta.update(dataset=self.name, origin=origin, rows=len(table))
        return LoadedData(table, HDFS_SCHEMA, meta)

    def _deeplog_sessions(self, folder: Path) -> LoadedData:
        """The offline HDFS_v1 sessions: DeepLog's normal training file + its anomalous test file."""
        parts = [read_hdfs(folder / f) for f in DEEPLOG_FILES]
        table = HDFS_SCHEMA.validate(pd.concat([t for t, _ in parts], ignore_index=True), str(folder))
        meta = {"source": str(folder), "format": "DeepLog sessions (untimed)", "dataset": self.name,
                "origin": "DeepLog HDFS_v1 sessions from SECGEN_BENCH_DATA (offline; the normal test file is absent)",
                "rows": len(table), "sequences": sum(m["sequences"] for _, m in parts),
                "anomalous_sequences": sum(m["anomalous_sequences"] for _, m in parts)}
        return LoadedData(table, HDFS_SCHEMA, meta)

    @classmethod
    def sniff(cls, path: Path) -> bool:
        cols = _header(path)
        return (set(STRUCTURED) <= cols or {"BlockId", "Features"} <= cols
                or {"blk_ID", "sequence", "anomaly"} <= cols or _looks_deeplog(path))

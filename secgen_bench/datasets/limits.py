"""``--max-rows N`` and ``--window START/END``: which rows of a large file a run reads.

Why here: a streamed loader applies them while it reads (memory stays bounded
by N rows), any other loader gets them applied to its finished table; both use
the same rule over rows in order (file order, or the table's order), so they
keep the same rows of a file whose rows are already in time order. The sample is uniform and seeded: every row gets a key from
``default_rng(seed)`` in file order and the N smallest keys win (bottom-k
sampling); the kept rows stay in file order.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from secgen_bench.schema import SchemaError


@dataclass(frozen=True)
class RowLimits:
    max_rows: int | None = None
    window: tuple[pd.Timestamp, pd.Timestamp] | None = None   # [start, end): rows whose timestamp falls inside

    @property
    def active(self) -> bool:
        return self.max_rows is not None or self.window is not None


def parse_window(text: str | None) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """``START/END`` (any pandas-readable times, e.g. ``2017-07-07T09:00/2017-07-07T10:00``) -> a pair; bad -> one line."""
    if text is None:
        return None
    parts = text.split("/")
    if len(parts) != 2 or not all(p.strip() for p in parts):
        raise SchemaError(f"--window {text!r}: expected START/END, e.g. 2017-07-07T09:00/2017-07-07T10:00")
    try:
        start, end = (pd.Timestamp(p.strip()) for p in parts)
    except (ValueError, TypeError):
        raise SchemaError(f"--window {text!r}: START and END must be times, e.g. 2017-07-07T09:00") from None
    if start.tzinfo is not None:
        start = start.tz_convert("UTC").tz_localize(None)
    if end.tzinfo is not None:
        end = end.tz_convert("UTC").tz_localize(None)
    if not start < end:
        raise SchemaError(f"--window {text!r}: START must be before END")
    return start, end


class BottomK:
    """Keeps the ``k`` rows with the smallest seeded keys among all rows offered, batch by batch.

    Batches are gathered and cut back to ``k`` rows once they hold more than ``2k`` (amortised: every
    row is copied a bounded number of times; memory stays below about ``2k`` rows plus one batch).
    """

    def __init__(self, k: int | None, seed: int):
        self.k = k
        self.rng = np.random.default_rng(seed)
        self.frames: list[pd.DataFrame] = []
        self.keys: list[np.ndarray] = []
        self.order: list[np.ndarray] = []
        self.held = 0
        self.offered = 0

    def draw(self, n: int) -> np.ndarray:
        """Keys for the next ``n`` rows read (drawn for every row, kept or not, so a filter never shifts them)."""
        self.offered += n
        return self.rng.random(n)

    def offer(self, batch: pd.DataFrame, positions: np.ndarray, keys: np.ndarray) -> None:
        """Rows of ``batch`` with their file positions and keys."""
        if len(batch) == 0:
            return
        self.frames.append(batch)
        self.keys.append(keys)
        self.order.append(positions)
        self.held += len(batch)
        if self.k is not None and self.held > 2 * self.k + 65_536:
            self._compact()

    def _compact(self) -> None:
        frame = pd.concat(self.frames, ignore_index=True) if len(self.frames) > 1 else self.frames[0]
        keys, order = np.concatenate(self.keys), np.concatenate(self.order)
        if self.k is not None and len(frame) > self.k:
            pick = np.sort(np.argpartition(keys, self.k - 1)[: self.k])
            frame, keys, order = frame.iloc[pick].reset_index(drop=True), keys[pick], order[pick]
        self.frames, self.keys, self.order, self.held = [frame], [keys], [order], len(frame)

    def result(self) -> pd.DataFrame | None:
        if not self.frames:
            return None
        self._compact()
        order = self.order[0]
        if np.all(order[1:] > order[:-1]):
            return self.frames[0].reset_index(drop=True)
        return self.frames[0].iloc[np.argsort(order, kind="stable")].reset_index(drop=True)


def in_window(times: pd.Series, window) -> np.ndarray:
    start, end = window
    values = times.to_numpy(dtype="datetime64[ns]")
    return (values >= start.to_datetime64()) & (values < end.to_datetime64())


def apply_limits(table: pd.DataFrame, timestamp: str | None, limits: RowLimits, seed: int, source: str) -> pd.DataFrame:
    """The rows of a finished table that ``limits`` keep (the same rows a streamed read keeps)."""
    if limits.window is not None:
        if timestamp is None:
            raise SchemaError(f"{source}: --window needs a timestamp column; this table has none")
    sampler = BottomK(limits.max_rows, seed)
    keys = sampler.draw(len(table))
    keep = in_window(table[timestamp], limits.window) if limits.window is not None else np.ones(len(table), bool)
    sampler.offer(table[keep].reset_index(drop=True), np.flatnonzero(keep), keys[keep])
    out = sampler.result()
    if out is None or len(out) == 0:
        raise SchemaError(f"{source}: no rows left after --window/--max-rows")
    return out


def describe(limits: RowLimits) -> dict:
    """What a run records about the limits (run.json, the data folder's meta.json)."""
    out: dict = {}
    if limits.max_rows is not None:
        out["max_rows"] = limits.max_rows
    if limits.window is not None:
        out["window"] = f"{limits.window[0].isoformat()}/{limits.window[1].isoformat()}"
    return out


def load_limited(source, profile: str, seed: int, track: str | None):
    """``source`` (a ``DatasetSource`` with ``max_rows``/``window``) loaded with its limits: streamed when its loader can."""
    from secgen_bench import registry
    from secgen_bench.datasets.base import LoadedData
    from secgen_bench.datasets.detect import load_path, sniff_format

    limits = RowLimits(source.max_rows, parse_window(source.window))
    if track not in (None, "flows"):
        raise SchemaError(f"--max-rows/--window: apply to flow tables only, not to the {track!r} track")
    fmt = source.name
    if source.path is not None:
        fmt = sniff_format(source.path) if source.format == "auto" else source.format
    cls = registry.datasets.get(fmt) if fmt not in (None, "csv") and fmt in registry.datasets.names() else None
    # a dataset of another track is read through its flows view (CESNET's biflows); one without one says so
    flows_view = cls is not None and getattr(cls, "track", "flows") != "flows"
    if cls is not None and getattr(cls, "streams", False) and not flows_view:
        loaded = cls().load(source.path, seed=seed, profile=profile, limits=limits)
        if source.path is not None:
            loaded.meta.update(source=str(source.path), loader=fmt, format=fmt)
    else:
        if source.path is not None:
            whole = load_path(source.path, source.format, seed=seed, profile=profile, view="flows")
        else:
            whole = cls().load_view("flows", seed=seed, profile=profile) if flows_view else cls().load(seed=seed, profile=profile)
        loaded = limit_loaded(whole, source, seed)
    loaded.meta["sample_seed"] = seed
    return loaded


def limit_loaded(loaded, source, seed: int):
    """A whole loaded table cut to ``source``'s ``--max-rows``/``--window`` (for loaders that cannot stream)."""
    from secgen_bench.datasets.base import LoadedData

    limits = RowLimits(source.max_rows, parse_window(source.window))
    table = apply_limits(loaded.table, loaded.schema.timestamp, limits, seed, source.label)
    return LoadedData(loaded.schema.validate(table, source.label), loaded.schema,
                      {**loaded.meta, "rows": len(table), "sample_seed": seed, **describe(limits)})

"""Joint decoding of binned continuous cells: copy a training flow's values that fall in the same bins.

Generators that model bytes, packets and duration as bin codes decode each
cell on its own (a uniform or empirical draw inside its bin), which breaks
relations that hold inside a bin, e.g. a 1-packet flow with a duration, or
fewer bytes than headers for the packets drawn. ``JointBinTable`` keeps, for
every combination of continuous bins seen in training, the training flows'
continuous values; a generated flow whose combination exists takes the values
of one of them, chosen at random. A combination no training flow has keeps its
per-cell values. What the model generates (the bins) is unchanged; only the
within-bin values are drawn jointly instead of independently.
"""
from __future__ import annotations

import numpy as np


class JointBinTable:
    """Training flows' continuous values indexed by their tuple of bin codes."""

    def __init__(self, codes: np.ndarray, values: np.ndarray):
        codes = np.asarray(codes, dtype=np.int64)
        values = np.asarray(values, dtype=np.float64)
        if codes.shape != values.shape or codes.ndim != 2:
            raise ValueError(f"codes {codes.shape} and values {values.shape} must be the same 2-D shape")
        key = self.keys(codes)
        order = np.argsort(key, kind="stable")
        self.sorted_keys = key[order]
        self.sorted_values = values[order]

    @staticmethod
    def keys(codes: np.ndarray) -> np.ndarray:
        """One sortable key per row: its int64 bin codes as raw bytes (equal rows, equal keys)."""
        rows = np.ascontiguousarray(codes, dtype=np.int64)
        return rows.view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1]))).ravel()

    def fill(self, codes: np.ndarray, values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """``values`` (m x C) with rows whose bin tuple occurs in training replaced by a random such flow's."""
        key = self.keys(codes)
        lo = np.searchsorted(self.sorted_keys, key, side="left")
        hi = np.searchsorted(self.sorted_keys, key, side="right")
        pick = lo + np.floor(rng.random(len(key)) * (hi - lo)).astype(np.int64)
        found = hi > lo
        out = np.array(values, dtype=np.float64, copy=True)
        out[found] = self.sorted_values[pick[found]]
        return out

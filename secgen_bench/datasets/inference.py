"""Propose a schema file for a table nobody declared: roles from column names and values.

Why: ``datasets inspect FILE`` and ``--format auto`` on an unknown header need a
first guess a researcher can correct. Each column gets the first rule that
fits (label, timestamp, IP, port, protocol, flags, duration, bytes, packets,
other counters, numbers, categories) and a reason; a column no rule fits
(identifiers, list cells, a second timestamp) is ``ignore`` and reported.
The guess is a :class:`~secgen_bench.schema_file.SchemaFile`, so it loads
exactly like a file the user wrote.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from secgen_bench.schema import INT64_SAFE_MAX, SchemaError
from secgen_bench.schema_file import IGNORE, ColumnSpec, SchemaFile

SAMPLE_ROWS = 50_000
_IPV4 = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
_IPV6 = re.compile(r"^[0-9a-fA-F:]*:[0-9a-fA-F:.]*$")
_DATETIME = re.compile(r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}([ T]\d{1,2}:\d{2}.*)?$")
_BENIGN = {"benign", "normal", "background", "normal traffic", "legitimate", "clean"}
_STATS = {"mean", "std", "max", "min", "avg", "rate", "s", "per", "length", "len", "load", "ratio", "variance",
          "var", "size", "segment", "jit", "ttl", "win", "second", "throughput"}
_OUT = {"src", "source", "orig", "fwd", "forward", "sent", "tx", "out", "client", "s"}
_IN = {"dst", "destination", "resp", "bwd", "backward", "rcvd", "rx", "in", "rev", "server", "d"}


@dataclass(frozen=True)
class Guess:
    spec: ColumnSpec
    reason: str

    @property
    def placed(self) -> bool:
        return self.spec.role != IGNORE


@dataclass(frozen=True)
class Proposal:
    schema: SchemaFile
    guesses: tuple[Guess, ...]
    invalid_rows: int          # rows with a non-finite or empty number: loading needs drop_invalid

    @property
    def unplaced(self) -> list[Guess]:
        return [g for g in self.guesses if not g.placed]

    @property
    def flow_like(self) -> bool:
        """Enough of a flow table for ``--format auto`` to accept the guess."""
        roles = {g.spec.role for g in self.guesses if g.placed}
        return sum(g.placed for g in self.guesses) >= 2 and bool(
            roles & {"ip", "port", "bytes", "packets", "timestamp", "duration", "protocol"})

    def describe(self) -> str:
        """One line: what was assumed for each placed column."""
        return ", ".join(f"{g.spec.name}={g.spec.role}" + (f":{g.spec.unit}" if g.spec.unit else "")
                         for g in self.guesses if g.placed)

    def text(self) -> str:
        """The schema as a ready YAML file, each line commented with why."""
        body = self.schema.dumps().splitlines()
        start = body.index("columns:") + 1
        lines = body[:start]
        for line, guess in zip(body[start:], self.guesses):
            lines.append(f"{line}    # {guess.reason}")
        return "\n".join(lines) + "\n"


def words(name: str) -> list[str]:
    """``SrcBytes`` -> src, bytes; ``FLOW_DURATION_MILLISECONDS`` -> flow, duration, milliseconds."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return [w for w in re.split(r"[^a-z0-9]+", spaced.lower()) if w]


def propose(raw: pd.DataFrame, name: str = "inferred") -> Proposal:
    """A schema for ``raw`` (cells as text, e.g. from ``read_text_table``); looks at SAMPLE_ROWS rows.

    Raises SchemaError when no column can be placed (not a flow table).
    """
    sample = raw.head(SAMPLE_ROWS)
    guesses: list[Guess] = []
    for col in sample.columns:
        guess = _guess(str(col), sample[col].astype(str).str.strip())
        if guess.spec.role == "timestamp" and any(g.spec.role == "timestamp" for g in guesses):
            guess = Guess(ColumnSpec(str(col), IGNORE), "a second timestamp (a table has one)")
        guesses.append(guess)
    invalid = np.zeros(len(sample), dtype=bool)
    for g in guesses:
        if g.spec.role in ("port", "bytes", "packets", "count", "duration", "continuous"):
            invalid |= ~np.isfinite(_numbers(sample[g.spec.name].astype(str).str.strip()))
    if not any(g.placed for g in guesses):
        raise SchemaError(f"{name}: no column could be placed ({guesses[0].spec.name!r}: {guesses[0].reason})")
    schema = SchemaFile(name, tuple(g.spec for g in guesses))
    return Proposal(schema, tuple(guesses), int(invalid.sum()))


def _numbers(text: pd.Series) -> np.ndarray:
    return pd.to_numeric(text.where(text != "", None), errors="coerce").to_numpy(dtype="float64")


def _guess(name: str, text: pd.Series) -> Guess:
    w = words(name)
    ws = set(w)
    present = text[text != ""]
    nums = _numbers(text)
    finite = np.isfinite(nums)
    numeric = len(present) > 0 and bool(np.isfinite(_numbers(present)).mean() > 0.5) and (
        (finite | (text == "").to_numpy() | text.str.lower().isin(["nan", "inf", "-inf", "infinity", "-infinity"])
         .to_numpy()).all())
    integer = numeric and bool((nums[finite] == np.round(nums[finite])).all()) and bool(
        (np.abs(nums[finite]) <= INT64_SAFE_MAX).all())
    non_negative = numeric and bool((nums[finite] >= 0).all())
    distinct = present.nunique()
    spec = lambda role, **kw: ColumnSpec(name, role, **kw)  # noqa: E731

    if ws & {"label", "attack", "class"} or name.lower() in ("type", "attack_cat", "attack cat"):
        benign = sorted(v for v in present.unique() if v.lower() in _BENIGN)
        if not benign and len(present) and set(present.unique()) <= {"0", "1"}:
            benign = ["0"]
        why = f"ground truth ({distinct} values" + (f"; benign: {', '.join(benign)})" if benign else "; no benign value recognised)")
        return Guess(spec("label", benign=tuple(benign)), why)
    if ws & {"ts", "time", "timestamp", "date", "stamp", "first", "start", "starttime"} and not ws & {"last", "end", "iat"} \
            and len(present) == len(text):
        if numeric and non_negative:
            top = float(np.nanmax(nums))
            unit = "ns" if top > 1e17 else "us" if top > 1e14 else "ms" if top > 1e11 else "s"
            return Guess(spec("timestamp", unit=unit), f"epoch numbers, {unit} by magnitude")
        if not numeric and pd.to_datetime(present, errors="coerce", format="mixed").notna().all():
            return Guess(spec("timestamp"), "date-time text")
    if not numeric and len(present) == len(text) and len(present) and present.str.match(_DATETIME).all() \
            and pd.to_datetime(present, errors="coerce", format="mixed").notna().all():
        return Guess(spec("timestamp"), "date-time values")
    if len(present) == len(text) and len(present) and (present.str.match(_IPV4).all() or
                                                       (present.str.match(_IPV6).all() and present.str.count(":").min() >= 2)):
        return Guess(spec("ip"), "IP address values")
    if ws & {"ip", "addr", "address", "srcip", "dstip", "sa", "da", "h", "host"} and not ws & {"port", "bytes"} \
            and len(present) == len(text) and not (numeric and distinct <= 2):
        return Guess(spec("ip"), "named like an address")
    empty = int((text == "").sum())
    if not len(present):
        return Guess(spec(IGNORE), "could not place: every cell is empty")
    if numeric and empty > max(1, len(text) // 4):       # numbers with many blanks: keep as text
        if distinct <= max(50, len(text) // 20):
            return Guess(spec("categorical"), f"numbers with {empty} empty cells, kept as categories")
        return Guess(spec(IGNORE), f"could not place: numbers with {empty} empty cells")
    if ws & {"port", "pt", "sport", "dport", "srcport", "dstport", "p", "sp", "dp"} and integer \
            and bool(((nums[finite] >= 0) & (nums[finite] <= 65535)).all()):
        return Guess(spec("port"), "integers in 0..65535 named like a port")
    if ws & {"proto", "protocol", "pr"} and not ws & {"l7"}:
        return Guess(spec("protocol"), "named like a protocol")
    if ws & {"flag", "flags", "flg"}:
        return Guess(spec("flags"), "named like TCP flags")
    if numeric:
        return _numeric_guess(name, w, ws, integer, non_negative, distinct)
    if len(present) and distinct <= max(50, len(text) // 20):
        return Guess(spec("categorical"), f"text with {distinct} distinct values")
    return Guess(spec(IGNORE), f"could not place: text with {distinct} distinct values in {len(text)} rows "
                              "(an identifier or free text?)")


def _numeric_guess(name: str, w: list[str], ws: set[str], integer: bool, non_negative: bool, distinct: int) -> Guess:
    spec = lambda role, **kw: ColumnSpec(name, role, **kw)  # noqa: E731
    stats = bool(ws & _STATS) or "/s" in name.lower()
    direction = _direction(w)
    if name.lower() == "id" or ws == {"id"}:
        return Guess(spec(IGNORE), "could not place: a row identifier")
    if ws & {"dur", "duration", "td"} and non_negative and not stats:
        unit = "ms" if ws & {"ms", "millis", "milliseconds"} else "us" if ws & {"us", "micro", "microseconds"} else None
        return Guess(spec("duration", unit=unit), f"named like a duration, unit {unit or 's (assumed)'}")
    if integer and non_negative and not stats:
        sided = {"direction": direction} if direction else {}
        if ws & {"byte", "bytes", "byt", "octets", "ibyt", "obyt"} or any(x.endswith("bytes") for x in w):
            return Guess(spec("bytes", **sided), f"byte counter{', direction ' + direction if direction else ''}")
        if ws & {"pkt", "pkts", "packet", "packets", "ipkt", "opkt"} or any(x.endswith("pkts") for x in w):
            return Guess(spec("packets", **sided), f"packet counter{', direction ' + direction if direction else ''}")
        if ws & {"flows", "count", "cnt", "num", "ct", "total", "tot"}:
            return Guess(spec("count", **sided), "named like a counter")
    return Guess(spec("continuous"), f"numbers ({distinct} distinct)")


def _direction(w: list[str]) -> str | None:
    first = w[0] if w else ""
    if set(w) & _OUT or (len(w) == 1 and first[:1] == "s" and first[1:] in ("bytes", "pkts")):
        return "out"
    if set(w) & _IN or (len(w) == 1 and first[:1] == "d" and first[1:] in ("bytes", "pkts")):
        return "in"
    return None

"""Which family each leaderboard metric belongs to, so that tables and the report group them.

Families (a metric's ``family`` attribute): "fidelity" (distributions; the
paper's eight metrics), "utility" (a model trained on synthetic flows, tested
on real: ids-utility, ids-tstr), "detectability" (c2st) and "privacy" (dcr,
authenticity, ...). A metric whose plugin cannot be imported is "other".
The utility, detectability and privacy metrics are kept out of the paper's
average rank (their ``in_average_rank`` is False).
"""
from __future__ import annotations

from typing import Sequence

ORDER = ("fidelity", "utility", "detectability", "privacy")


def family_of(metric: str) -> str:
    from secgen_bench import registry

    try:
        obj = registry.metrics.peek(metric)
    except Exception:  # a record of a metric no longer registered
        obj = None
    return str(getattr(obj, "family", "other")) if obj is not None else "other"


def copy_side(metric: str) -> str | None:
    """The metric's ``copy_side`` ("higher"/"lower": where beyond the Reference row means copying), or None."""
    from secgen_bench import registry

    try:
        obj = registry.metrics.peek(metric)
    except Exception:  # a record of a metric no longer registered
        return None
    side = getattr(obj, "copy_side", None)
    return side if side in ("higher", "lower") else None


def by_family(metrics: Sequence[str]) -> dict[str, list[str]]:
    """Family -> its metrics (in the given order), families in ``ORDER`` then any others by name."""
    groups: dict[str, list[str]] = {}
    for m in metrics:
        groups.setdefault(family_of(m), []).append(m)
    rank = {f: i for i, f in enumerate(ORDER)}
    return dict(sorted(groups.items(), key=lambda kv: (rank.get(kv[0], len(ORDER)), kv[0])))


def families_text(metrics: Sequence[str]) -> str:
    """'Families: fidelity: cmd, jsd; utility: ids-tstr, ids-utility.' ('' when there is one family only)."""
    groups = by_family(metrics)
    if len(groups) < 2:
        return ""
    return "Families: " + "; ".join(f"{f}: {', '.join(ms)}" for f, ms in groups.items()) + "."

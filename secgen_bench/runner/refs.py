"""Plugin names resolved to the references a plan and its records carry (target, version, configuration)."""
from __future__ import annotations

from typing import Sequence

from secgen_bench import __version__, registry
from secgen_bench.config import build_config, config_dict, config_hash
from secgen_bench.runner.plan import BOOTSTRAP, PCAP, REFERENCE, GeneratorRef, MetricRef


def reference_ref() -> GeneratorRef:
    """The real held-out data in the generator slot (scored like a generator, never ranked)."""
    return GeneratorRef(REFERENCE, "", __version__, {}, "holdout")


def bootstrap_ref(unit: str = "rows") -> GeneratorRef:
    """Training rows (or sequences) resampled with replacement: the noise floor, scored and never ranked."""
    return GeneratorRef(BOOTSTRAP, "", __version__, {}, "bootstrap", {}, unit)


def pcap_ref() -> tuple[GeneratorRef, str | None]:
    """The held-out packets through a written capture (packets track), and why it cannot run (no dpkt)."""
    import importlib.util

    reason = None if importlib.util.find_spec("dpkt") else "needs dpkt (pip install 'secgen-bench[pcap]')"
    return GeneratorRef(PCAP, "", __version__, {}, "pcap", {}, "sequences"), reason


def generator_ref(name: str, profile: str, overrides: dict) -> tuple[GeneratorRef, str | None]:
    """Resolve a generator's configuration; the second value is why it cannot run (or None)."""
    entry = registry.generators.entry(name)
    cls, reason = registry.generators.resolve(name)
    if cls is None or not hasattr(cls, "Config"):
        return GeneratorRef(name, entry.target, "?", {}, "unavailable"), reason or "cannot be imported"
    config = build_config(cls.Config, name, profile, getattr(cls, "PROFILES", {}), overrides)
    return GeneratorRef(name, entry.target, getattr(cls, "version", "?"), config_dict(config), config_hash(config),
                        dict(overrides), getattr(cls, "unit", "rows")), reason


def missing_roles(name: str, schema) -> str | None:
    """Why generator ``name`` cannot run on ``schema`` (a role it ``needs`` is absent), or None when it can."""
    cls = registry.generators.peek(name) if name in registry.generators.names() else None
    missing = []
    for need in sorted(getattr(cls, "needs", None) or ()):
        roles = need.split("|")
        if not any(schema.by_role(r) for r in roles):
            missing.append(" or ".join(roles))
    if not missing:
        return None
    return f"needs a {', a '.join(missing)} column; dataset schema {schema.name!r} has none"


def is_default_metric(name: str, track: str) -> bool:
    """A metric of ``track`` scored when no metric is named (opt-in metrics set ``default = False``)."""
    cls = registry.metrics.peek(name)
    return getattr(cls, "track", "flows") == track and getattr(cls, "default", True)


def metric_refs(names: Sequence[str] | None, track: str) -> list[tuple[MetricRef, str | None]]:
    """The named registry metrics (all of ``track``'s when None), each with why it cannot run (or None)."""
    names = list(names) if names else [n for n in registry.metrics.names() if is_default_metric(n, track)]
    out = []
    for name in names:
        entry = registry.metrics.entry(name)
        cls, reason = registry.metrics.resolve(name)
        direction = getattr(getattr(cls, "direction", None), "value", "lower")
        out.append((MetricRef(name, entry.target, getattr(cls, "version", "?"), direction,
                              bool(getattr(cls, "in_average_rank", True))), reason))
    return out


def generators_for_track(track: str) -> list[str]:
    return [n for n in registry.generators.names()
            if getattr(registry.generators.peek(n), "track", "flows") == track]

"""The public Python API: what a script or a notebook calls instead of the CLI's internals.

``secgen_bench.load_dataset``, ``get_generator``, ``evaluate`` and ``run`` (and the
:class:`Leaderboard` that ``run`` returns) are loaded from here on first use, so
``import secgen_bench`` stays light. They are thin: each one builds the same
request the CLI builds and calls the same code, so a number from the API is the
number ``secgen-bench`` prints for the same seed. Errors are one-line
``ValueError``s (or the registry's) naming the argument and the value.
"""
from __future__ import annotations

import json
import tempfile
import types
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Sequence, Union

from secgen_bench import registry
from secgen_bench.registry import NAME_PATTERN, import_target, target_of

if TYPE_CHECKING:  # pandas, the schema and the boards load with the calls that need them
    import pandas as pd

    from secgen_bench.datasets.base import LoadedData
    from secgen_bench.generators.base import Generator
    from secgen_bench.leaderboard import Board
    from secgen_bench.schema import FlowSchema

GeneratorLike = Union[str, type]
TableLike = Union["pd.DataFrame", "LoadedData"]

__all__ = ["load_dataset", "get_generator", "evaluate", "run", "Leaderboard"]

#: generator classes handed to ``run`` as objects, reachable in this process as
#: ``secgen_bench.api:IN_PROCESS.<attr>`` (the tracks import a job's generator by such a target)
IN_PROCESS = types.SimpleNamespace()
_IN_PROCESS_SOURCE = "python api (in this process)"


# ---- datasets ----------------------------------------------------------------------------------
def load_dataset(name_or_path: str | Path, *, format: str = "auto", schema: str | Path | None = None,
                 profile: str = "default", seed: int = 0) -> "LoadedData":
    """A registered dataset (``"simnet"``) or a file, checked against its schema: ``.table``, ``.schema``, ``.meta``.

    ``schema`` is a schema file (YAML or JSON) describing a file's columns; ``format`` names the
    file's loader (``auto`` sniffs it). The table is validated exactly as a run validates it.
    """
    from secgen_bench.datasets.base import LoadedData
    from secgen_bench.datasets.loading import load_dataset as load_source

    source = _dataset_source(name_or_path, format, schema)
    data = load_source(source, profile, seed=seed)
    table = data.schema.validate(data.table, source=source.label)
    return LoadedData(table, data.schema, dict(data.meta))


def _dataset_source(name_or_path: str | Path, format: str = "auto", schema: str | Path | None = None):
    from secgen_bench.datasets.loading import DatasetSource

    text = str(name_or_path)
    if isinstance(name_or_path, str) and text in registry.datasets.names() and not Path(text).exists():
        if schema is not None or format != "auto":
            raise ValueError(f"dataset {text!r} is registered: format= and schema= are for files")
        return DatasetSource(name=text)
    if not Path(text).exists():
        known = ", ".join(registry.datasets.names())
        raise ValueError(f"dataset {text!r}: no such file and no registered dataset of that name (known: {known})")
    if schema is not None and not Path(schema).is_file():
        raise ValueError(f"schema {str(schema)!r}: no such file")
    return DatasetSource(path=text, format=format, schema=None if schema is None else str(schema))


# ---- generators --------------------------------------------------------------------------------
def get_generator(name: GeneratorLike, *, profile: str = "default", device: str = "cpu",
                  **options: Any) -> "Generator":
    """An unfitted generator: a registered name or a ``Generator`` subclass, built for ``profile``/``device``.

    ``options`` override fields of the generator's ``Config`` (the CLI's ``--set NAME.KEY=VALUE``).
    """
    cls = registry.generators.get(name) if isinstance(name, str) else _generator_class(name)
    return cls(profile=profile, device=device, **options)


def _generator_class(obj: Any) -> type:
    from secgen_bench.generators.base import Generator

    if not (isinstance(obj, type) and issubclass(obj, Generator)):
        raise ValueError(f"generator {obj!r}: give a registered name or a Generator subclass")
    return obj


def _name_of(cls: type) -> str:
    name = getattr(cls, "name", "") or cls.__name__.lower()
    if not NAME_PATTERN.fullmatch(name) or ".." in name:
        raise ValueError(f"generator class {cls.__qualname__}: its name {name!r} is not lower-case letters, digits "
                         f"and '._+-'; set a class attribute name = '...'")
    return name


def _importable(cls: type) -> bool:
    """Whether a fresh process can import ``cls`` by its module and name (not so for notebook classes)."""
    if cls.__module__ == "__main__" or "<locals>" in cls.__qualname__:
        return False
    try:
        return import_target(target_of(cls)) is cls
    except Exception:
        return False


def _runs_from_target(entry: registry.Entry, inline: bool) -> bool:
    """Whether a job can import the entry's plugin by its target (a ``@register_generator`` class of a notebook
    cannot: a job process has another ``__main__``, and an ``exec``'d cell's classes are in no module at all)."""
    if entry.obj is None or not entry.target:
        return entry.obj is None
    if not inline and (entry.target.startswith("__main__:") or "<locals>" in entry.target):
        return False
    try:
        return import_target(entry.target) is entry.obj
    except Exception:
        return False


def _attr(name: str) -> str:
    return "g_" + name.replace(".", "_").replace("+", "_").replace("-", "_")


_NOT_IMPORTABLE = ("generator class {} is defined in a notebook or a function: a job process cannot import it; "
                   "use executor='inline' or move it into a .py module")


class _Registered:
    """Generators a run's jobs could not import by their registered target, registered for the run, undone after.

    A class given as an object gets a registration by name; with ``executor="inline"`` the target points
    at :data:`IN_PROCESS`, which this process can import. A ``@register_generator`` registration of a
    notebook class is swapped for such a target during the run and put back afterwards.
    """

    def __init__(self, inline: bool) -> None:
        self.inline = inline
        self.added: list[str] = []
        self.swapped: list[tuple[str, Any, str]] = []   # (name, object, source) to register back

    def name_for(self, generator: GeneratorLike) -> str:
        if isinstance(generator, str):
            entry = registry.generators.entry(generator)     # an unknown name fails here, naming the known ones
            if not _runs_from_target(entry, self.inline):
                self._swap(entry)
            return generator
        cls = _generator_class(generator)
        name = _name_of(cls)
        if name in registry.generators.names():
            entry = registry.generators.entry(name)
            if entry.obj is not cls:
                raise ValueError(f"generator class {cls.__qualname__}: the name {name!r} is taken by {entry.source}; "
                                 f"set another class attribute name")
            if not _runs_from_target(entry, self.inline):
                self._swap(entry)
            return name
        if self.inline:
            self._register_in_process(name, cls)
        elif _importable(cls):
            registry.generators.register(name, target_of(cls), source=_IN_PROCESS_SOURCE)
        else:
            raise ValueError(_NOT_IMPORTABLE.format(cls.__qualname__))
        self.added.append(name)
        return name

    def _swap(self, entry: registry.Entry) -> None:
        if not self.inline:
            raise ValueError(_NOT_IMPORTABLE.format(getattr(entry.obj, "__qualname__", entry.name)))
        registry.generators.unregister(entry.name)
        self.swapped.append((entry.name, entry.obj, entry.source))
        self._register_in_process(entry.name, entry.obj)

    def _register_in_process(self, name: str, cls: type) -> None:
        setattr(IN_PROCESS, _attr(name), cls)
        registry.generators.register(name, f"{__name__}:IN_PROCESS.{_attr(name)}", source=_IN_PROCESS_SOURCE)

    def undo(self) -> None:
        for name in self.added + [n for n, _, _ in self.swapped]:
            registry.generators.unregister(name)
            if hasattr(IN_PROCESS, _attr(name)):
                delattr(IN_PROCESS, _attr(name))
        for name, obj, source in self.swapped:
            registry.generators.register(name, obj, source=source)
        self.added.clear()
        self.swapped.clear()


# ---- scoring -----------------------------------------------------------------------------------
def evaluate(real: TableLike, synthetic: TableLike, *, schema: "FlowSchema | None" = None,
             holdout: TableLike | None = None, metrics: Sequence[str] | None = None, repeats: int | None = None,
             sample_size: int | None | str = "profile", seed: int = 0) -> "pd.DataFrame":
    """Score ``synthetic`` against ``real``: one row per metric (metric, value, ci_low, ci_high, std, direction, error).

    ``real`` is a DataFrame or what :func:`load_dataset` returns (then its schema is used). The
    protocol is the ``default`` profile's (``repeats`` subsamples of ``sample_size`` rows) unless
    given; ``sample_size=None`` scores whole tables. ``ci_low``/``ci_high`` is the 95 % bootstrap
    interval of the mean over the repetitions, computed as the leaderboard computes a cell's.
    ``metrics`` None scores every default metric that can run (those needing ``holdout`` only with it).
    """
    import pandas as pd

    from secgen_bench import stats
    from secgen_bench.evaluation import evaluate as evaluate_tables, select_metrics
    from secgen_bench.runner.plan import PROTOCOLS

    schema = schema if schema is not None else getattr(real, "schema", None)
    if schema is None:
        raise ValueError("evaluate: real is a DataFrame: pass schema= (or give what load_dataset returns)")
    real_t, synth_t = _table(real, "real"), _table(synthetic, "synthetic")
    holdout_t = None if holdout is None else _table(holdout, "holdout")
    real_t = schema.validate(real_t, source="real")
    synth_t = schema.validate(synth_t, source="synthetic", ranges=False)
    if holdout_t is not None:
        holdout_t = schema.validate(holdout_t, source="holdout")
    protocol = PROTOCOLS["default"]
    repeats = protocol.repeats if repeats is None else repeats
    sample_size = protocol.sample_size if sample_size == "profile" else sample_size
    classes, _ = select_metrics(list(metrics) if metrics else None, have_holdout=holdout_t is not None)
    outcomes = evaluate_tables(real_t, synth_t, schema, [c() for c in classes], holdout=holdout_t, repeats=repeats,
                               sample_size=sample_size, seed=seed)
    rows = []
    for name, o in outcomes.items():
        low, high = stats.mean_interval({seed: o.values}) if o.ok and o.values else (None, None)
        rows.append({"metric": name, "value": o.mean, "ci_low": low, "ci_high": high, "std": o.std,
                     "direction": o.direction, "error": o.error})
    return pd.DataFrame(rows, columns=["metric", "value", "ci_low", "ci_high", "std", "direction", "error"])


def _table(obj: Any, what: str) -> "pd.DataFrame":
    import pandas as pd

    table = getattr(obj, "table", obj)
    if not isinstance(table, pd.DataFrame):
        raise ValueError(f"evaluate: {what} is a {type(obj).__name__}; give a DataFrame or a loaded dataset")
    return table


# ---- benchmark runs ----------------------------------------------------------------------------
def run(generators: Sequence[GeneratorLike], datasets: Sequence[str | Path] = ("simnet",), *,
        seeds: Sequence[int] = (0,), profile: str = "quick", out: str | Path | None = None,
        executor: str = "local", workers: int = 1, metrics: Sequence[str] | None = None, device: str = "cpu",
        options: dict[str, dict] | None = None, repeats: int | None = None, sample_size: int | None | str = "profile",
        timeout_s: float | None = None, use_cache: bool | None = None, resume: bool = False,
        ranking: str = "ties", address: str | None = None) -> "Leaderboard":
    """Run ``generators`` (names or Generator subclasses) on ``datasets`` (names or files); rank them.

    ``executor``: ``"local"`` isolates every job in its own process (timeouts, memory limit),
    ``"inline"`` runs them in this process (what a class defined in a notebook needs; nothing is
    enforced there), ``"ray"`` sends them to a Ray cluster (``address``). ``out`` is the run
    directory (a new temporary one when None). ``options`` maps a generator name to Config overrides.
    ``use_cache`` None reuses cached samples unless a generator is given as a class (a class
    redefined in a notebook keeps its name and version, so its old sample would be reused).
    """
    from secgen_bench import leaderboard
    from secgen_bench.ranking import check_ranking
    from secgen_bench.runner.executor import make_executor
    from secgen_bench.runner.plan import protocol_for
    from secgen_bench.runner.request import RunRequest
    from secgen_bench.runner.run import run_benchmark
    from secgen_bench.tracks import track_of

    if isinstance(generators, (str, type)):
        generators = [generators]
    if isinstance(datasets, (str, Path)):
        datasets = [datasets]
    if not generators:
        raise ValueError("run: name at least one generator")
    check_ranking(ranking)
    runner = make_executor(executor, workers=workers, address=address)
    sources = [_dataset_source(d) for d in datasets]
    size = {} if sample_size == "profile" else {"sample_size": sample_size}
    protocol = protocol_for(profile, seeds=list(seeds), repeats=repeats, timeout_s=timeout_s, **size)
    given_classes = any(not isinstance(g, str) for g in generators)
    registered = _Registered(inline=executor == "inline")
    try:
        names = [registered.name_for(g) for g in generators]
        track_of(sources[0]).check_names(names, metrics)
        root = Path(out) if out is not None else Path(tempfile.mkdtemp(prefix="secgen-run-"))
        request = RunRequest(generators=names, datasets=sources, protocol=protocol, out=root, profile=profile,
                             metrics=list(metrics) if metrics else None, resume=resume, device=device,
                             overrides=dict(options or {}),
                             use_cache=(not given_classes) if use_cache is None else use_cache)
        store = run_benchmark(request, runner)
    finally:
        registered.undo()
    return Leaderboard(leaderboard.build(store.root, ranking=ranking), store.root)


@dataclass
class Leaderboard:
    """The ranked boards of one run (one per dataset) and the run directory they were built from."""

    boards: list["Board"]
    run_dir: Path

    @classmethod
    def from_run(cls, run_dir: str | Path, ranking: str = "ties") -> "Leaderboard":
        """The leaderboard of a run directory written earlier (by ``run`` or ``secgen-bench run``)."""
        from secgen_bench import leaderboard

        return cls(leaderboard.build(run_dir, ranking=ranking), Path(run_dir))

    @property
    def frame(self) -> "pd.DataFrame":
        """One row per dataset, generator and metric, in board order: mean, std, 95 % interval, rank, status."""
        import pandas as pd

        columns = ["dataset", "generator", "metric", "direction", "mean", "std", "ci_low", "ci_high", "rank",
                   "status", "avg_rank"]
        return pd.DataFrame(list(self._rows()), columns=columns)

    def _rows(self) -> Iterator[dict]:
        for b in self.boards:
            for gen in b.order:
                for m in b.metrics:
                    c = b.rows[gen][m]
                    yield {"dataset": b.dataset, "generator": gen, "metric": m, "direction": b.directions[m],
                           "mean": c.mean, "std": c.std, "ci_low": c.ci_low, "ci_high": c.ci_high, "rank": c.rank,
                           "status": c.status, "avg_rank": b.avg_rank.get(gen)}

    def to_markdown(self, intervals: bool = False) -> str:
        """The Markdown tables ``secgen-bench leaderboard --format markdown`` prints (with the run's notes)."""
        from secgen_bench import leaderboard

        return leaderboard.to_markdown(self.boards, self._notes(), intervals=intervals)

    def report(self, path: str | Path | None = None) -> Path:
        """Write the run's self-contained HTML report (default ``RUN_DIR/report.html``; needs matplotlib)."""
        from secgen_bench.report import write_report

        return write_report(self.run_dir, path)

    def _notes(self) -> dict[str, str]:
        plan = self.run_dir / "run.json"
        if not plan.is_file():
            return {}
        return json.loads(plan.read_text()).get("notes") or {}

    def _repr_markdown_(self) -> str:  # a notebook shows the tables
        return self.to_markdown()

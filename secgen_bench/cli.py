"""The ``secgen-bench`` command: parses, calls the library, prints. No logic of its own.

Bad input (unknown names, unreadable files, tables that break their schema,
bad options) ends with one line on stderr and exit code 2; ``--debug`` shows
the traceback instead.
"""
from __future__ import annotations

import argparse
import importlib
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Sequence

from secgen_bench import __version__
from secgen_bench.errors import UsageError  # noqa: F401  (re-exported)

EXIT_BAD_INPUT = 2


def _csv_list(text: str | None) -> list[str]:
    return [t.strip() for t in (text or "").split(",") if t.strip()]


def _int_list(text: str, what: str) -> list[int]:
    try:
        return [int(t) for t in _csv_list(text)]
    except ValueError:
        raise UsageError(f"{what} must be comma-separated integers, got {text!r}") from None


def _sample_size(text: str | None) -> int | None | str:
    if text is None:
        return "profile"
    if text.lower() == "all":
        return None
    try:
        n = int(text)
    except ValueError:
        raise UsageError(f"--sample-size must be an integer or 'all', got {text!r}") from None
    if n < 1:
        raise UsageError(f"--sample-size must be >= 1, got {n}")
    return n


def _add_dataset_args(p: argparse.ArgumentParser, default: str | None = "simnet") -> None:
    p.add_argument("-d", "--dataset", help=f"registered dataset name(s), comma-separated (default: {default})")
    p.add_argument("--data", help="a flow file of your own instead of a registered dataset")
    p.add_argument("--format", default="auto", help="format of --data (auto detects by content)")


def _profile(args) -> str:
    if getattr(args, "quick", False):
        if args.profile not in (None, "quick"):
            raise UsageError(f"--quick contradicts --profile {args.profile}")
        return "quick"
    return args.profile or "default"


def _dataset_sources(args, default: str | None = "simnet"):
    from secgen_bench.runner.run import DatasetSource

    if args.data and args.dataset:
        raise UsageError("give either -d/--dataset or --data, not both")
    if args.data:
        if not Path(args.data).exists():
            raise UsageError(f"--data {args.data}: no such file or directory")
        return [DatasetSource(path=args.data, format=args.format)]
    names = _csv_list(args.dataset) or ([default] if default else [])
    if not names:
        raise UsageError("a dataset is needed: -d NAME or --data PATH")
    from secgen_bench import registry

    for n in names:
        registry.datasets.entry(n)  # unknown name -> RegistryError listing the known ones
    return [DatasetSource(name=n) for n in names]


def _overrides(items: list[str] | None) -> dict[str, dict]:
    from secgen_bench.config import parse_overrides

    out: dict[str, dict] = {}
    for key, value in parse_overrides(items).items():
        gen, dot, opt = key.partition(".")
        if not dot:
            raise UsageError(f"--set {key}={value}: use GENERATOR.OPTION=VALUE")
        out.setdefault(gen, {})[opt] = value
    return out


# ---- commands ---------------------------------------------------------------------------------
def cmd_list(args) -> int:
    if args.kind == "datasets" and not args.json:  # with size, source and cache state
        from secgen_bench.datasets.command import cmd_list as list_datasets

        return list_datasets(args)
    from rich.console import Console
    from rich.table import Table

    from secgen_bench import registry

    reg = {"generators": registry.generators, "metrics": registry.metrics, "datasets": registry.datasets,
           "detectors": registry.detectors}[args.kind]
    rows = reg.describe()
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    table = Table(title=f"secgen-bench {args.kind}")
    for col in ("name", "available", "track", "source", "description / reason"):
        table.add_column(col)
    for r in rows:
        obj = reg.peek(r["name"])
        track = getattr(obj, "track", "") if obj is not None else ""
        extra = ""
        if args.kind == "metrics" and obj is not None and getattr(obj, "direction", None) is not None:
            extra = f"[{getattr(obj.direction, 'value', obj.direction)}] "
        table.add_row(r["name"], "yes" if r["available"] else "[red]no[/red]", track, r["source"],
                      extra + (r["description"] if r["available"] else r["reason"]))
    Console().print(table)
    return 0


def cmd_run(args) -> int:
    from secgen_bench import leaderboard, registry
    from secgen_bench.runner.executor import make_executor
    from secgen_bench.runner.plan import protocol_for
    from secgen_bench.runner.run import RunRequest, run_benchmark

    if bool(args.all) == bool(args.generators):
        raise UsageError("choose the generators: --all or -g NAME[,NAME]")
    gens = _csv_list(args.generators)
    sources = _dataset_sources(args)
    anomaly = _run_track(args, sources) == "anomaly"   # anomaly track: the names are detectors
    for g in gens:
        (registry.detectors if anomaly else registry.generators).entry(g)
    metrics = _csv_list(args.metrics) if args.metrics and args.metrics != "all" else None
    if anomaly:
        from secgen_bench.anomaly.track import metric_names

        metric_names(metrics)
    for m in [] if anomaly else metrics or []:
        registry.metrics.entry(m)
    profile = _profile(args)
    size = _sample_size(args.sample_size)
    proto = protocol_for(profile, seeds=_int_list(args.seeds, "--seeds") if args.seeds else None,
                         repeats=args.repeats, timeout_s=args.timeout, memory_limit_mb=args.memory_limit,
                         **({} if size == "profile" else {"sample_size": size}))
    if args.resume and not args.out:
        raise UsageError("--resume needs the --out DIR of the run to continue")
    out = Path(args.out or f"runs/{datetime.now().strftime('%Y%m%d-%H%M%S')}")
    request = RunRequest(generators=gens, datasets=sources, protocol=proto, out=out, profile=profile,
                         metrics=metrics, resume=args.resume, device=args.device, overrides=_overrides(args.set),
                         use_cache=not args.no_cache, track=args.track)
    executor = make_executor(args.executor, workers=args.workers, address=args.address)
    progress = _progress(args)
    with progress:
        store = run_benchmark(request, executor, on_event=progress.event)
    boards = leaderboard.build(store.root)
    _write_leaderboards(store.root, boards)
    leaderboard.render_rich(boards)
    print(f"run directory: {store.root}")
    return 0


def _run_track(args, sources) -> str:
    """--track, else the track of the (first) registered dataset."""
    from secgen_bench.runner.run import _dataset_track

    return args.track or _dataset_track(sources[0])


def _write_leaderboards(root: Path, boards) -> None:
    from secgen_bench import leaderboard
    from secgen_bench.runner.store import atomic_write_bytes, write_json

    notes = {}
    if (root / "run.json").is_file():
        notes = json.loads((root / "run.json").read_text()).get("notes") or {}
    atomic_write_bytes(root / "leaderboard.md", leaderboard.to_markdown(boards, notes).encode())
    atomic_write_bytes(root / "leaderboard.csv", leaderboard.to_csv(boards).encode())
    write_json(root / "leaderboard.json", [b.to_dict() for b in boards])


class _Progress:
    """rich progress on a terminal; one plain line per finished job otherwise (CI logs)."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self._progress = None
        self._task = None

    def __enter__(self):
        if self.enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                      TimeElapsedColumn())
            self._progress.__enter__()
        return self

    def __exit__(self, *exc):
        if self._progress is not None:
            self._progress.__exit__(*exc)

    def event(self, e) -> None:
        if e.kind == "planned":
            if self._progress is not None:
                self._task = self._progress.add_task("jobs", total=e.total)
            else:
                print(f"{e.total} job(s) to run", flush=True)
        elif e.kind == "skipped":
            msg = f"skip {e.job.generator.name} on {e.job.dataset.label} seed {e.job.seed} (finished earlier)"
            self._log(msg)
        elif e.kind == "finished":
            j = e.job
            msg = f"{e.status.upper():7s} {j.generator.name} on {j.dataset.label} seed {j.seed}"
            if e.message:
                msg += f": {e.message}"
            self._log(msg)
            if self._progress is not None and self._task is not None:
                self._progress.advance(self._task)

    def _log(self, msg: str) -> None:
        if self._progress is not None:
            self._progress.console.log(msg)
        else:
            print(msg, flush=True)


def _progress(args) -> _Progress:
    return _Progress(enabled=not args.no_progress and sys.stdout.isatty())


def cmd_generate(args) -> int:
    from secgen_bench import registry
    from secgen_bench.runner.run import load_dataset

    sources = _dataset_sources(args, default=None)
    if len(sources) != 1:
        raise UsageError("generate takes one dataset")
    if args.n < 0:
        raise UsageError(f"-n must be >= 0, got {args.n}")
    profile = _profile(args)
    cls = registry.generators.get(args.generator)
    data = load_dataset(sources[0], profile, seed=args.seed)
    table = data.schema.validate(data.table, source=sources[0].label)
    gen = cls(profile=profile, device=args.device, **_overrides(args.set).get(args.generator, {}))
    gen.fit(table, data.schema, seed=args.seed)
    sample = gen.sample(args.n, seed=args.seed)
    from secgen_bench.generators.base import check_sample
    from secgen_bench.runner.store import write_csv

    check_sample(sample, args.n, list(table.columns), {c: str(t) for c, t in table.dtypes.items()}, data.schema,
                 who=args.generator, unit=getattr(cls, "unit", "rows"))
    write_csv(Path(args.output), sample)
    if args.save_model:
        gen.save(args.save_model)
    print(f"wrote {len(sample)} rows to {args.output}")
    return 0


def cmd_leaderboard(args) -> int:
    from secgen_bench import leaderboard

    if not Path(args.run_dir).is_dir():
        raise UsageError(f"{args.run_dir}: no such run directory")
    boards = leaderboard.build(args.run_dir)
    if args.format == "rich":
        leaderboard.render_rich(boards)
    elif args.format == "markdown":
        print(leaderboard.to_markdown(boards), end="")
    elif args.format == "csv":
        print(leaderboard.to_csv(boards), end="")
    else:
        print(json.dumps([b.to_dict() for b in boards], indent=1))
    return 0


def cmd_evaluate(args) -> int:
    from secgen_bench.tables import read_flow_csv, resolve_schema
    from secgen_bench import registry
    from secgen_bench.evaluation import evaluate

    real_raw = read_flow_csv(args.real)
    schema = resolve_schema(args.schema, real_raw.columns, args.real)
    real = schema.validate(real_raw, source=args.real)
    synthetic = schema.validate(read_flow_csv(args.synthetic, schema), source=args.synthetic, ranges=False)
    holdout = schema.validate(read_flow_csv(args.holdout, schema), source=args.holdout) if args.holdout else None
    if args.metrics and args.metrics != "all":
        names = _csv_list(args.metrics)
        classes = [registry.metrics.get(n) for n in names]
        for cls in classes:
            if "holdout" in cls.inputs and holdout is None:
                raise UsageError(f"metric {cls.name!r} needs --holdout")
    else:
        classes = []
        for n in registry.metrics.names():
            obj = registry.metrics.peek(n)
            if obj is None or getattr(obj, "track", "flows") != "flows" or not getattr(obj, "default", True):
                continue  # opt-in metrics (default = False) only when named
            if "holdout" in getattr(obj, "inputs", ()) and holdout is None:
                print(f"note: {n} skipped (needs --holdout)", file=sys.stderr)
                continue
            try:
                classes.append(registry.metrics.get(n))
            except registry.PluginUnavailable as exc:
                print(f"note: {exc}", file=sys.stderr)
    size = _sample_size(args.sample_size)
    outcomes = evaluate(real, synthetic, schema, [c() for c in classes], holdout=holdout, repeats=args.repeats,
                        sample_size=10000 if size == "profile" else size, seed=args.seed)
    failed = [o for o in outcomes.values() if not o.ok]
    if args.json:
        print(json.dumps({n: o.mean for n, o in outcomes.items()}, indent=1))
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(title=f"{Path(args.synthetic).name} vs {Path(args.real).name} (schema {schema.name})")
        for col in ("metric", "direction", "mean", "std", "repeats"):
            table.add_column(col)
        for n, o in outcomes.items():
            table.add_row(n, o.direction, "ERROR" if o.mean is None else f"{o.mean:.6g}",
                          "" if o.std is None else f"{o.std:.3g}", str(len(o.values)))
        Console().print(table)
    for o in failed:
        print(f"secgen-bench: metric {o.name} failed: {o.error}", file=sys.stderr)
    return 1 if failed else 0


def cmd_compare(args) -> int:
    from secgen_bench import compare

    tolerances = compare.parse_tolerances(args.tolerance)
    changes = compare.compare(compare.load_boards(args.baseline), compare.load_boards(args.current), tolerances)
    regressions = [c for c in changes if c.regression]
    if args.format == "markdown":
        print(compare.to_markdown(changes, only_changes=args.only_changes), end="")
    else:
        for c in changes:
            if c.verdict != "same" or not args.only_changes:
                print(c.describe())
    for c in regressions:
        print(f"REGRESSION: {c.describe()}", file=sys.stderr)
    return 1 if regressions else 0


def cmd_reproduce(args) -> int:
    from secgen_bench.reproduce import reproduce
    from secgen_bench.runner.environment import environment
    from secgen_bench.runner.store import atomic_write_bytes, write_json

    if args.data and not Path(args.data).exists():
        raise UsageError(f"--data {args.data}: no such file")
    if args.resume and not args.out:
        raise UsageError("--resume needs the --out DIR of the reproduction to continue")
    out = Path(args.out or f"runs/{args.table}-{datetime.now().strftime('%Y%m%d-%H%M%S')}")
    seeds = tuple(_int_list(args.seeds, "--seeds")) if args.seeds else None
    progress = _progress(args)
    if args.table == "flowchronicle-temporal":  # section 7.4: its own tables and files
        if args.split != "random":
            raise UsageError("--split time: flowchronicle-temporal needs held-out flows that overlap the training time")
        from secgen_bench.reproduce_temporal import reproduce_temporal, write_report

        with progress:
            rep = reproduce_temporal(out, data=args.data, profile=args.profile, seeds=seeds, resume=args.resume,
                                     on_event=progress.event, device=args.device)
        return write_report(rep, out)
    with progress:
        rep = reproduce(args.table, out, data=args.data, profile=args.profile, seeds=seeds, resume=args.resume,
                        on_event=progress.event, split=args.split)
    command = "secgen-bench " + " ".join(sys.argv[1:]) if sys.argv and sys.argv[0].endswith("secgen-bench") else \
        f"secgen-bench reproduce {args.table} --profile {args.profile}" + (f" --data {args.data}" if args.data else "")
    text = rep.to_markdown()
    header = (f"# {args.table}: secgen-bench vs the published table\n\nCommand: `{command}`  \n"
              f"Wall time: {rep.wall_s:.0f} s  \nMachine: {environment()['cpus']} CPUs, "
              f"{environment()['memory_gb']} GB, {environment()['platform']}  \n"
              f"Versions: {', '.join(f'{k} {v}' for k, v in environment()['versions'].items() if v)}\n\n")
    atomic_write_bytes(out / "table2.md", (header + text).encode())
    write_json(out / "table2.json", {
        "table": args.table, "command": command, "wall_s": rep.wall_s, "environment": environment(),
        "ours": rep.ours.to_dict(orient="index"), "paper": rep.paper.to_dict(orient="index"),
        "differences": rep.differences.to_dict(orient="index"), "kendall_tau": rep.kendall,
        "kendall_tau_average_rank": rep.kendall_avg, "order": rep.order(), "notes": rep.notes,
        "leaderboard": rep.board.to_dict(),
    })
    from secgen_bench import leaderboard

    _write_leaderboards(out, [rep.board])
    leaderboard.render_rich([rep.board])
    print(text)
    print(f"results: {out / 'table2.md'}, {out / 'table2.json'}")
    return 0


def cmd_inspect(args) -> int:
    from secgen_bench import registry

    cls = registry.generators.get(args.generator)
    if not Path(args.model).exists():
        raise UsageError(f"{args.model}: no such model file")
    model = cls.load(args.model)
    describe = getattr(model, "describe", None)
    print(describe() if callable(describe) else repr(model))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="secgen-bench", description=__doc__.splitlines()[0])
    p.add_argument("--version", action="version", version=f"secgen-bench {__version__}")
    p.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("list", help="list generators, metrics, datasets or detectors")
    s.add_argument("kind", choices=["generators", "metrics", "datasets", "detectors"])
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_list)

    s = sub.add_parser("run", help="fit, sample and score generators; print the leaderboard")
    s.add_argument("--all", action="store_true", help="every generator of the dataset's track")
    s.add_argument("-g", "--generators", help="generator name(s), comma-separated")
    _add_dataset_args(s)
    s.add_argument("--seeds", help="comma-separated seeds (default: the profile's)")
    s.add_argument("--quick", action="store_true", help="the small CI smoke profile")
    s.add_argument("--profile", choices=["quick", "default", "paper"], help="protocol and model sizes (default: default)")
    s.add_argument("--metrics", help="metric names, comma-separated, or 'all' (default: all of the track)")
    s.add_argument("--repeats", type=int, help="repetitions of the subsampling protocol")
    s.add_argument("--sample-size", help="rows per subsample, or 'all'")
    s.add_argument("--out", help="run directory (default: runs/<timestamp>)")
    s.add_argument("--resume", action="store_true", help="continue --out, skipping finished jobs")
    s.add_argument("--timeout", type=float, help="seconds per job before it is killed (TIMEOUT)")
    s.add_argument("--memory-limit", type=float, help="MB of resident memory per job before it is killed")
    s.add_argument("--workers", type=int, default=1, help="jobs at a time (local executor)")
    s.add_argument("--executor", default="local", choices=["local", "ray"])
    s.add_argument("--address", help="Ray cluster address (auto or HOST:PORT)")
    s.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    s.add_argument("--track", choices=["flows", "packets", "anomaly"],
                   help="which track (default: the dataset's); anomaly: -g/--all name detectors")
    s.add_argument("--set", action="append", metavar="GEN.OPTION=VALUE", help="override a generator option")
    s.add_argument("--no-cache", action="store_true", help="do not reuse cached synthetic data")
    s.add_argument("--no-progress", action="store_true", help="plain log lines instead of progress bars")
    s.set_defaults(func=cmd_run)

    s = sub.add_parser("generate", help="fit one generator on a dataset and write synthetic flows")
    s.add_argument("-g", "--generator", required=True)
    _add_dataset_args(s, default=None)
    s.add_argument("-n", type=int, required=True, help="rows to generate")
    s.add_argument("-o", "--output", required=True)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--quick", action="store_true")
    s.add_argument("--profile", choices=["quick", "default", "paper"])
    s.add_argument("--device", default="cpu")
    s.add_argument("--set", action="append", metavar="GEN.OPTION=VALUE")
    s.add_argument("--save-model", help="also save the fitted model here")
    s.set_defaults(func=cmd_generate)

    s = sub.add_parser("leaderboard", help="rank the results of a run directory")
    s.add_argument("run_dir")
    s.add_argument("--format", default="rich", choices=["rich", "markdown", "csv", "json"])
    s.set_defaults(func=cmd_leaderboard)

    s = sub.add_parser("evaluate", help="score a synthetic CSV against a real one")
    s.add_argument("--real", required=True)
    s.add_argument("--synthetic", required=True)
    s.add_argument("--holdout")
    s.add_argument("--metrics", help="names, comma-separated, or all")
    s.add_argument("--repeats", type=int, default=20)
    s.add_argument("--sample-size", help="rows per repetition (default 10000) or 'all'")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--schema", help="schema name (default: detected from the columns)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_evaluate)

    s = sub.add_parser("compare", help="fail (exit 1) when a metric got worse than a baseline")
    s.add_argument("baseline", help="run directory or leaderboard JSON")
    s.add_argument("current", help="run directory or leaderboard JSON")
    s.add_argument("--tolerance", help="absolute tolerances per metric, e.g. jsd=0.02,cmd=0.01 "
                                         "(default: 3x the cell's seed/repetition spread)")
    s.add_argument("--format", default="text", choices=["text", "markdown"])
    s.add_argument("--only-changes", action="store_true", help="hide unchanged cells")
    s.set_defaults(func=cmd_compare)

    s = sub.add_parser("reproduce", help="reproduce a published table (flowchronicle-table2, flowchronicle-temporal)")
    s.add_argument("table", choices=["flowchronicle-table2", "flowchronicle-temporal"])
    s.add_argument("--data", help="raw CIDDS-001 CSV (default: the shared sample or the official download)")
    s.add_argument("--profile", default="quick", choices=["quick", "default", "full", "paper"])
    s.add_argument("--device", default="cpu", help="cpu, cuda or auto (flowchronicle-temporal)")
    s.add_argument("--seeds", help="comma-separated seeds (default: the profile's)")
    s.add_argument("--split", default="random", choices=["random", "time"],
                   help="how the Reference flows are held out (random 30 %% or the last 30 %% in time)")
    s.add_argument("--out", help="output directory (default: runs/<table>-<timestamp>)")
    s.add_argument("--resume", action="store_true")
    s.add_argument("--no-progress", action="store_true")
    s.set_defaults(func=cmd_reproduce)

    s = sub.add_parser("inspect", help="describe a saved model (e.g. FlowChronicle's patterns)")
    s.add_argument("generator")
    s.add_argument("model")
    s.set_defaults(func=cmd_inspect)

    for target in COMMAND_MODULES:  # verbs that live beside the library code they call
        module = importlib.import_module(target)
        module.add_command(sub)
    return p


# Modules that add a verb: each has ``add_command(subparsers)`` and imports its heavy parts lazily.
COMMAND_MODULES: list[str] = ["secgen_bench.report.command", "secgen_bench.datasets.command"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("secgen-bench: interrupted (finished jobs are kept; continue with --resume)", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the one place that turns errors into one line
        if args.debug:
            raise
        from secgen_bench.errors import is_user_error

        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if is_user_error(exc):
            print(f"secgen-bench: error: {msg}", file=sys.stderr)
            return EXIT_BAD_INPUT
        print(f"secgen-bench: internal error: {type(exc).__name__}: {msg} (run with --debug for the traceback)",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

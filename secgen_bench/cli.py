"""The ``secgen-bench`` command: parses, calls the library, prints. No logic of its own.

Bad input (unknown names, unreadable files, tables that break their schema,
bad options) ends with one line on stderr and exit code 2; ``--debug`` shows
the traceback instead.
"""
from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Sequence

from secgen_bench import __version__
from secgen_bench.config import PROFILES as PROFILE_NAMES
from secgen_bench.errors import UsageError  # noqa: F401  (re-exported)

EXIT_BAD_INPUT = 2
DEPRECATED_PROFILES = {"full": "paper"}   # reproduce's old name of the paper profile, still accepted with a note
EXIT_BROKEN_PIPE = 1  # stdout closed early: no message; 1 like rich (its tables) and the Python docs recipe


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
    p.add_argument("--data", help="a flow file of your own (or a folder of such files, read as one dataset) instead of a registered dataset")
    p.add_argument("--format", default="auto", help="format of --data (auto detects by content)")
    p.add_argument("--max-rows", type=int, help="read a seeded uniform sample of N rows (streamed; recorded in run.json)")
    p.add_argument("--window", help="read only flows with START <= timestamp < END, given as START/END")
    _add_schema_args(p)


def _add_schema_args(p: argparse.ArgumentParser) -> None:
    """How a user's table is read: a schema file or inline columns, and what to do with non-finite numbers."""
    p.add_argument("--schema", help="schema file (YAML/JSON) of --data: each column's role and units "
                                    "(write one with: secgen-bench datasets inspect FILE)")
    p.add_argument("--columns", help='inline schema of --data, e.g. "src=ip,dst=ip,dport=port,ob=bytes:out,'
                                     'dur=duration:ms" (other columns ignored)')
    p.add_argument("--drop-invalid", action="store_true",
                   help="drop rows with non-finite or empty numbers (Infinity, NaN) instead of refusing them; "
                        "counted in run.json")


def _profile(args) -> str:
    if getattr(args, "quick", False):
        if args.profile not in (None, "quick"):
            raise UsageError(f"--quick contradicts --profile {args.profile}")
        return "quick"
    return args.profile or "default"


def _dataset_sources(args, default: str | None = "simnet"):
    from secgen_bench.datasets.loading import DatasetSource

    if args.data and args.dataset:
        raise UsageError("give either -d/--dataset or --data, not both")
    if args.data:
        if not Path(args.data).exists():
            raise UsageError(f"--data {args.data}: no such file or directory")
        return [DatasetSource(path=args.data, format=args.format, schema=args.schema, columns=args.columns,
                              drop_invalid=args.drop_invalid, **_row_limits(args))]
    if args.schema or args.columns:
        raise UsageError(f"{'--schema' if args.schema else '--columns'} describes a file of yours: use it with --data PATH")
    names = _csv_list(args.dataset) or ([default] if default else [])
    if not names:
        raise UsageError("a dataset is needed: -d NAME or --data PATH")
    from secgen_bench import registry

    for n in names:
        registry.datasets.entry(n)  # unknown name -> RegistryError listing the known ones
    return [DatasetSource(name=n, **_row_limits(args)) for n in names]


def _row_limits(args) -> dict:
    """``--max-rows`` and ``--window``, checked here so a bad value is one line before anything loads."""
    max_rows, window = getattr(args, "max_rows", None), getattr(args, "window", None)
    if max_rows is not None and max_rows < 1:
        raise UsageError(f"--max-rows must be >= 1, got {max_rows}")
    if window is not None:
        from secgen_bench.datasets.limits import parse_window
        from secgen_bench.schema import SchemaError

        try:
            parse_window(window)
        except SchemaError as exc:
            raise UsageError(str(exc)) from None
    return {"max_rows": max_rows, "window": window}


def _overrides(items: list[str] | None) -> dict[str, dict]:
    """``--set GEN.OPTION=VALUE`` items by generator (the names are checked by ``_check_overrides``)."""
    from secgen_bench.config import plugin_overrides

    return plugin_overrides(items, lambda name: None)


def _check_overrides(items: list[str] | None, plugins, chosen: list[str] | None) -> dict[str, dict]:
    """``--set`` naming an unknown plugin, a plugin not in this command or an unknown option is an error."""
    from secgen_bench.config import plugin_overrides

    def options_of(name: str):
        plugins.entry(name)  # unknown name -> RegistryError listing the known ones
        cls, _ = plugins.resolve(name)
        if cls is not None and hasattr(cls, "Config"):
            import dataclasses

            return [f.name for f in dataclasses.fields(cls.Config)]
        if cls is not None and hasattr(cls, "option_defaults"):
            return list(cls.option_defaults())
        return None  # unavailable: its job records why; nothing to check the option against

    return plugin_overrides(items, options_of, chosen)


def _check_positive(value: float | None, option: str) -> None:
    if value is not None and not (math.isfinite(value) and value > 0):
        raise UsageError(f"{option} must be a finite number > 0, got {value}")


def _check_at_least(value: int | None, option: str, least: int) -> None:
    if value is not None and value < least:
        raise UsageError(f"{option} must be >= {least}, got {value}")


def _seeds(text: str | None) -> list[int] | None:
    if not text:
        return None
    seeds = _int_list(text, "--seeds")
    if not seeds:
        raise UsageError(f"--seeds needs at least one seed, got {text!r}")
    for seed in seeds:
        _check_at_least(seed, "--seeds", 0)
    return seeds


def _check_device(device: str) -> None:
    """cpu, auto, cuda or cuda:N; a CUDA device torch does not see is an error before any job starts."""
    if (device or "cpu").lower() == "cpu":
        return
    from secgen_bench.generators.base import resolve_device

    try:
        resolved = resolve_device(device)
    except ValueError as exc:
        raise UsageError(f"--device {device}: {exc}") from None
    if resolved.startswith("cuda:"):
        import torch

        index = resolved.partition(":")[2]
        if not index.isdigit() or int(index) >= torch.cuda.device_count():
            raise UsageError(f"--device {device}: torch sees {torch.cuda.device_count()} CUDA device(s)")


def _check_out_dir(out: str | None) -> None:
    if out and Path(out).exists() and not Path(out).is_dir():
        raise UsageError(f"--out {out}: is a file, not a directory")


# ---- commands ---------------------------------------------------------------------------------
def cmd_list(args) -> int:
    if args.kind == "datasets" and not args.json:  # with size, source and cache state
        from secgen_bench.datasets.command import cmd_list as list_datasets

        return list_datasets(args)
    from rich.console import Console
    from rich.markup import escape
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
                      escape(extra + (r["description"] if r["available"] else r["reason"])))  # "[torch]" is text
    Console().print(table)
    return 0


def cmd_run(args) -> int:
    from secgen_bench import leaderboard
    from secgen_bench.leaderboard_terminal import render_rich
    from secgen_bench.runner import run_benchmark
    from secgen_bench.runner.executor import make_executor

    request = run_request(args)
    _pin_float_path(args)
    executor = make_executor(args.executor, workers=args.workers, address=args.address)
    progress = _progress(args)
    with progress:
        store = run_benchmark(request, executor, on_event=progress.event)
    boards = leaderboard.build(store.root, ranking=args.ranking)
    _write_leaderboards(store.root, boards)
    render_rich(boards)
    print(f"run directory: {store.root}")
    return 0


def run_request(args):
    """The RunRequest that ``run``'s parsed options (and their ``--config`` file) ask for; checks them first."""
    from secgen_bench.runner import RunRequest
    from secgen_bench.runner.plan import protocol_for
    from secgen_bench.tracks import track_of

    config = _run_config(args)
    _check_run_options(args)
    if bool(args.all) == bool(args.generators):
        raise UsageError("choose the generators: --all or -g NAME[,NAME]")
    gens = _csv_list(args.generators)
    sources = _dataset_sources(args)
    metrics = _csv_list(args.metrics) if args.metrics and args.metrics != "all" else None
    track_of(sources[0], args.track).check_names(gens, metrics)   # the track says what -g names
    profile = _profile(args)
    size = _sample_size(args.sample_size)
    proto = protocol_for(profile, seeds=_int_list(args.seeds, "--seeds") if args.seeds else None,
                         repeats=args.repeats, timeout_s=args.timeout, memory_limit_mb=args.memory_limit,
                         split=args.split, **({} if size == "profile" else {"sample_size": size}))
    if args.resume and not args.out:
        raise UsageError("--resume needs the --out DIR of the run to continue")
    if args.extend and not args.resume:
        raise UsageError("--extend adds jobs to a run: use it with --resume --out DIR")
    out = Path(args.out or f"runs/{datetime.now().strftime('%Y%m%d-%H%M%S')}")
    return RunRequest(generators=gens, datasets=sources, protocol=proto, out=out, profile=profile,
                      metrics=metrics, resume=args.resume, device=args.device, overrides=_overrides(args.set),
                      use_cache=not args.no_cache, track=args.track, extend=args.extend, config=config(profile))


def _run_config(args):
    """Merge ``--config FILE`` under the flags given, then the defaults; returns profile -> the record for run.json."""
    from secgen_bench import run_config

    actions = args.run_options
    if args.config:
        run_config.merge(args, run_config.read_run_config(args.config, actions))
    for dest, default in args.run_defaults.items():
        if getattr(args, dest) is None:
            setattr(args, dest, default)
    return lambda profile: run_config.record(args, actions, profile)


def _check_run_options(args) -> None:
    """Every option of ``run`` that the body takes as given: numbers finite and in range, --out, --device, --set."""
    _check_positive(args.timeout, "--timeout")
    _check_positive(args.memory_limit, "--memory-limit")
    _check_at_least(args.repeats, "--repeats", 1)
    _check_at_least(args.workers, "--workers", 1)
    _seeds(args.seeds)
    _check_out_dir(args.out)
    if args.set:
        from secgen_bench.tracks import track_of

        if bool(args.all) == bool(args.generators):
            raise UsageError("choose the generators: --all or -g NAME[,NAME]")
        track = track_of(_dataset_sources(args)[0], args.track)   # its plugins are what --set configures
        _check_overrides(args.set, track.plugin_registry(), _csv_list(args.generators) or None)
    _check_device(args.device)


def _write_leaderboards(root: Path, boards) -> None:
    from secgen_bench.leaderboard_files import write_leaderboards

    write_leaderboards(root, boards)


def _progress(args):
    from secgen_bench.progress import RunProgress

    return RunProgress(enabled=not args.no_progress and sys.stdout.isatty())


def _pin_float_path(args) -> None:
    """``--portable-float``: set the switches before torch loads here or in any job process (each inherits them)."""
    if args.portable_float:
        from secgen_bench.runner import float_path

        float_path.pin()


def cmd_generate(args) -> int:
    _pin_float_path(args)
    from secgen_bench import registry
    from secgen_bench.generate import generate

    sources = _dataset_sources(args, default=None)
    if len(sources) != 1:
        raise UsageError("generate takes one dataset")
    _check_at_least(args.n, "-n", 0)
    _check_at_least(args.seed, "--seed", 0)
    if Path(args.output).is_dir():
        raise UsageError(f"-o {args.output}: is a directory, not a file")
    if args.pcap or args.packets or args.packets_data:
        return _generate_pcap(args, sources[0])
    overrides = _check_overrides(args.set, registry.generators, [args.generator])
    _check_device(args.device)
    n = generate(args.generator, sources[0], args.n, args.output, seed=args.seed, profile=_profile(args),
                 device=args.device, overrides=overrides.get(args.generator, {}), save_model=args.save_model)
    print(f"wrote {n} rows to {args.output}")
    return 0


def _generate_pcap(args, source) -> int:
    """``generate ... --pcap OUT --packets GEN [--packets-data DATA]``: flows, conditioned packets, a capture."""
    from secgen_bench import registry
    from secgen_bench.datasets.loading import DatasetSource
    from secgen_bench.generate_pcap import check_writable, generate_pcap, packet_generator_class
    from secgen_bench.runner.store import write_csv

    if not args.pcap:
        raise UsageError(f"{'--packets' if args.packets else '--packets-data'} needs --pcap OUT.pcap")
    if not args.packets:
        raise UsageError("--pcap needs --packets GEN: a packets-track generator with sample_for_flows")
    if args.save_model:
        raise UsageError("--save-model saves one model: drop it with --pcap")
    packet_generator_class(args.packets)
    check_writable(args.pcap, "--pcap")
    check_writable(args.output, "-o")
    if args.packets_data:
        given = args.packets_data
        packets_source = DatasetSource(path=given) if Path(given).exists() else DatasetSource(name=given)
        if packets_source.name:
            registry.datasets.entry(given)   # unknown name -> one line listing the known ones
    elif source.path is not None and Path(source.path).suffix.lower() in (".pcap", ".pcapng"):
        packets_source = source
    else:
        raise UsageError("--packets-data is needed: the packets to fit the packet generator on "
                         "(a capture file or a packets dataset such as cesnet-miner22)")
    overrides = _check_overrides(args.set, registry.generators, [args.generator, args.packets])
    _check_device(args.device)
    result = generate_pcap(args.generator, source, args.n, args.pcap, args.packets, packets_source, seed=args.seed,
                           profile=_profile(args), device=args.device,
                           flow_overrides=overrides.get(args.generator, {}),
                           packet_overrides=overrides.get(args.packets, {}))
    write_csv(Path(args.output), result.flows)
    print(f"wrote {len(result.flows)} flows to {args.output} and {result.frames} packets to {args.pcap}")
    for what, count in result.notes.items():
        if count and what not in ("flows",):
            print(f"  {what}: {count}")
    return 0


def cmd_leaderboard(args) -> int:
    from secgen_bench import leaderboard

    if not Path(args.run_dir).is_dir():
        raise UsageError(f"{args.run_dir}: no such run directory")
    boards = leaderboard.build(args.run_dir, ranking=args.ranking)
    if args.format == "rich":
        from secgen_bench.leaderboard_terminal import render_rich

        render_rich(boards, intervals=args.intervals, columns=args.columns)
    elif args.format == "markdown":
        print(leaderboard.to_markdown(boards, intervals=args.intervals), end="")
    elif args.format == "csv":
        print(leaderboard.to_csv(boards), end="")
    else:
        print(json.dumps([b.to_dict() for b in boards], indent=1))
    return 0


def cmd_evaluate(args) -> int:
    from secgen_bench.evaluation import evaluate_files

    _check_at_least(args.repeats, "--repeats", 1)
    _check_at_least(args.seed, "--seed", 0)
    size = _sample_size(args.sample_size)
    schema, outcomes, notes = evaluate_files(
        args.real, args.synthetic, holdout=args.holdout, schema=args.schema,
        metrics=_csv_list(args.metrics) if args.metrics and args.metrics != "all" else None,
        repeats=args.repeats, sample_size=10000 if size == "profile" else size, seed=args.seed)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
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
            shown = "n/a" if o.not_applicable else "ERROR" if o.mean is None else f"{o.mean:.6g}"
            table.add_row(n, o.direction, shown,
                          "" if o.std is None else f"{o.std:.3g}", str(len(o.values)))
        Console().print(table)
    for o in failed:
        print(f"secgen-bench: metric {o.name} failed: {o.error}", file=sys.stderr)
    # One metric that fails (or is n/a) never fails the command: the others' numbers stand.
    # Exit 1 only when no metric produced a number at all.
    return 0 if any(o.mean is not None for o in outcomes.values()) else 1


def cmd_compare(args) -> int:
    from secgen_bench import compare

    tolerances = compare.parse_tolerances(args.tolerance)
    baseline, current = compare.load_boards(args.baseline), compare.load_boards(args.current)
    changes = compare.compare(baseline, current, tolerances)
    regressions = [c for c in changes if c.regression]
    if args.format == "markdown":
        print(compare.to_markdown(changes, only_changes=args.only_changes), end="")
    else:
        for c in changes:
            if c.verdict != "same" or not args.only_changes:
                print(c.describe())
    for c in regressions:
        print(f"REGRESSION: {c.describe()}", file=sys.stderr)
    for note in compare.float_path_notes(baseline, current, changes):
        print(note, file=sys.stderr)
    return 1 if regressions else 0


def cmd_reproduce(args) -> int:
    from secgen_bench.leaderboard_terminal import render_rich
    from secgen_bench.reproduce import reproduce, write_outputs

    if args.profile in DEPRECATED_PROFILES:
        print(f"secgen-bench: note: --profile {args.profile} is deprecated, use --profile "
              f"{DEPRECATED_PROFILES[args.profile]} (the same protocol)", file=sys.stderr)
        args.profile = DEPRECATED_PROFILES[args.profile]
    if args.data and not Path(args.data).exists():
        raise UsageError(f"--data {args.data}: no such file")
    if args.resume and not args.out:
        raise UsageError("--resume needs the --out DIR of the reproduction to continue")
    _check_out_dir(args.out)
    seeds = _seeds(args.seeds)
    out = Path(args.out or f"runs/{args.table}-{datetime.now().strftime('%Y%m%d-%H%M%S')}")
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
        rep = reproduce(args.table, out, data=args.data, profile=args.profile, seeds=tuple(seeds) if seeds else None,
                        resume=args.resume, on_event=progress.event, split=args.split)
    command = "secgen-bench " + " ".join(sys.argv[1:]) if sys.argv and sys.argv[0].endswith("secgen-bench") else \
        f"secgen-bench reproduce {args.table} --profile {args.profile}" + (f" --data {args.data}" if args.data else "")
    md, js = write_outputs(rep, out, args.table, command)
    render_rich([rep.board])
    print(rep.to_markdown())
    print(f"results: {md}, {js}")
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


class _Parser(argparse.ArgumentParser):
    """argparse, except that a usage error is one line (exit 2) like every other bad input."""

    def error(self, message: str):
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _add_ranking_arg(s) -> None:
    # the names of secgen_bench.ranking.RANKINGS, spelled here so that parsing imports no pandas (a test checks)
    s.add_argument("--ranking", default="ties", choices=["ties", "strict"],
                   help="ties: generators within noise share a rank (default); strict: the paper's plain ranking")


def _add_columns_arg(s) -> None:
    s.add_argument("--columns", help="terminal table columns: all, or names, comma-separated (metrics, rank, fit, "
                                     "memory, ...; default: the paper's eight metrics, average rank and extras)")


def _defer_run_defaults(s: argparse.ArgumentParser) -> None:
    """A ``--config`` file fills what the flags leave out: so "not given" must be None, the defaults come after."""
    from secgen_bench.run_config import config_actions

    actions = config_actions(s)
    defaults = {dest: a.default for dest, a in actions.items()}
    for a in actions.values():
        a.default = None
    s.set_defaults(run_options=actions, run_defaults=defaults)


def build_parser() -> argparse.ArgumentParser:
    from secgen_bench.tracks import track_names

    p = _Parser(prog="secgen-bench", description=__doc__.splitlines()[0])
    p.add_argument("--version", action="version", version=f"secgen-bench {__version__}")
    p.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("list", help="list generators, metrics, datasets or detectors")
    s.add_argument("kind", choices=["generators", "metrics", "datasets", "detectors"])
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_list)

    s = sub.add_parser("run", help="fit, sample and score generators; print the leaderboard")
    s.add_argument("--config", help="a YAML/JSON file of run options (keys: the long option names, e.g. "
                                    "generators: [tvae], seeds: [0, 1], set: {tvae: {epochs: 5}}), or a run's "
                                    "RUN_DIR/run.json to replay it; flags given here override the file's values")
    s.add_argument("--all", action="store_true", help="every generator of the dataset's track")
    s.add_argument("-g", "--generators", help="generator name(s), comma-separated")
    _add_dataset_args(s)
    s.add_argument("--seeds", help="comma-separated seeds (default: the profile's)")
    s.add_argument("--quick", action="store_true", help="the small CI smoke profile")
    s.add_argument("--profile", choices=list(PROFILE_NAMES), help="protocol and model sizes (default: default)")
    s.add_argument("--split", default="random", choices=["random", "time"],
                   help="how the Reference flows are held out: a random 30 %% (default) or the last 30 %% in time")
    s.add_argument("--metrics", help="metric names, comma-separated, or 'all' (default: all of the track)")
    s.add_argument("--repeats", type=int, help="repetitions of the subsampling protocol")
    s.add_argument("--sample-size", help="rows per subsample, or 'all'")
    s.add_argument("--out", help="run directory (default: runs/<timestamp>)")
    s.add_argument("--resume", action="store_true", help="continue --out, skipping finished jobs")
    s.add_argument("--extend", action="store_true", help="with --resume: add jobs the run's plan does not hold")
    s.add_argument("--timeout", type=float, help="seconds per job before it is killed (TIMEOUT)")
    s.add_argument("--memory-limit", type=float, help="MB of resident memory per job before it is killed")
    s.add_argument("--workers", type=int, default=1, help="jobs at a time (local executor; default 1)")
    s.add_argument("--executor", default="local", choices=["local", "inline", "ray"],
                   help="local: a process per job (timeouts, memory limits); inline: in this process "
                        "(no timeout; notebooks, debugging); ray: a Ray cluster")
    s.add_argument("--address", help="Ray cluster address (auto or HOST:PORT)")
    s.add_argument("--device", default="cpu", help="cpu (default), cuda or auto")
    s.add_argument("--track", choices=track_names(),
                   help="which track (default: the dataset's); -g/--all name that track's generators or detectors")
    s.add_argument("--set", action="append", metavar="GEN.OPTION=VALUE", help="override a generator option")
    s.add_argument("--no-cache", action="store_true", help="do not reuse cached synthetic data")
    s.add_argument("--portable-float", action="store_true",
                   help="run torch on its AVX2 code path on any x86-64 machine, so the numbers replay on "
                        "another one (CI's baselines are made so; a little slower)")
    s.add_argument("--no-progress", action="store_true", help="plain log lines instead of progress bars")
    _add_ranking_arg(s)
    _defer_run_defaults(s)
    s.set_defaults(func=cmd_run)

    s = sub.add_parser("generate", help="fit one generator on a dataset and write synthetic flows")
    s.add_argument("-g", "--generator", required=True)
    _add_dataset_args(s, default=None)
    s.add_argument("-n", type=int, required=True, help="rows to generate")
    s.add_argument("-o", "--output", required=True)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--quick", action="store_true")
    s.add_argument("--profile", choices=list(PROFILE_NAMES))
    s.add_argument("--device", default="cpu")
    s.add_argument("--set", action="append", metavar="GEN.OPTION=VALUE")
    s.add_argument("--save-model", help="also save the fitted model here")
    s.add_argument("--portable-float", action="store_true",
                   help="torch on its AVX2 code path on any x86-64 machine, so the same seed writes the same "
                        "rows on another one")
    s.add_argument("--pcap", help="also write the flows as packets to this pcap (needs --packets)")
    s.add_argument("--packets", help="packets-track generator (with sample_for_flows) that draws each flow's packets")
    s.add_argument("--packets-data", help="packets data the --packets generator is fitted on: a dataset name or a "
                                          "capture file (default: --data when it is a capture)")
    s.set_defaults(func=cmd_generate)

    s = sub.add_parser("leaderboard", help="rank the results of a run directory")
    s.add_argument("run_dir")
    s.add_argument("--format", default="rich", choices=["rich", "markdown", "csv", "json"])
    _add_ranking_arg(s)
    s.add_argument("--intervals", action="store_true", help="show each cell's 95%% bootstrap interval (rich, markdown)")
    _add_columns_arg(s)
    s.set_defaults(func=cmd_leaderboard)

    s = sub.add_parser("evaluate", help="score a synthetic CSV against a real one")
    s.add_argument("--real", required=True)
    s.add_argument("--synthetic", required=True)
    s.add_argument("--holdout")
    s.add_argument("--metrics", help="names, comma-separated, or all")
    s.add_argument("--repeats", type=int, default=20)
    s.add_argument("--sample-size", help="rows per repetition (default 10000) or 'all'")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--schema", help="schema name, or a schema file (.yaml/.json) of --real and --holdout "
                                    "(default: detected from the columns)")
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
    s.add_argument("--profile", default="quick", choices=[*PROFILE_NAMES, *DEPRECATED_PROFILES],
                   metavar="{" + ",".join(PROFILE_NAMES) + "}", help="protocol and model sizes (default: quick)")
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
    try:
        return _main(argv)
    except BrokenPipeError:  # stdout closed early (``| head``): stop quietly, no traceback
        _detach_stdout()
        return EXIT_BROKEN_PIPE


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors (already printed)
        return 0 if exc.code is None else exc.code if isinstance(exc.code, int) else EXIT_BAD_INPUT
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("secgen-bench: interrupted (finished jobs are kept; continue with --resume)", file=sys.stderr)
        return 130
    except BrokenPipeError:
        raise
    except Exception as exc:  # noqa: BLE001 - the one place that turns errors into one line
        if args.debug:
            raise
        from secgen_bench.errors import is_user_error

        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
            msg = f"{exc.filename}: {exc.strerror}"  # a file the user named: too long, exists, read-only, ...
        elif not is_user_error(exc):
            print(f"secgen-bench: internal error: {type(exc).__name__}: {msg} (run with --debug for the traceback)",
                  file=sys.stderr)
            return 1
        print(f"secgen-bench: error: {msg}", file=sys.stderr)
        return EXIT_BAD_INPUT


def _detach_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush finds no closed pipe to complain about."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # stdout is not a file (captured): nothing to flush
        pass


if __name__ == "__main__":
    sys.exit(main())

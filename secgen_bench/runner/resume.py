"""What ``--resume`` may continue: the run's own plan, or (with ``--extend``) that plan plus new jobs.

A resumed run must mean what the run meant: the same jobs (generators, their
configurations and versions, datasets, seeds: all in the job keys) and the
same result-defining protocol. Resuming part of the plan is fine; a job the
plan does not hold is refused unless ``--extend`` asks for it. Execution
limits (timeout, memory limit) may change: that is how timed-out jobs are
finished.
"""
from __future__ import annotations

import json
from dataclasses import asdict

from secgen_bench.errors import RunError
from secgen_bench.runner.plan import Protocol

# protocol fields that change a result (seeds are part of the job keys)
RESULT_FIELDS = ("repeats", "sample_size", "holdout_fraction", "split", "max_synthetic")


def check_protocol(previous: dict, profile: str, protocol: Protocol) -> None:
    """RunError naming the first protocol setting (or the profile) that differs from the run's."""
    if previous.get("profile") != profile:
        raise RunError(f"--resume: the run used profile {previous.get('profile')!r}, this one is {profile!r}")
    theirs = previous.get("protocol") or {}
    ours = json.loads(json.dumps(asdict(protocol)))
    for name in RESULT_FIELDS:
        if theirs.get(name) != ours.get(name):
            raise RunError(f"--resume: the run's protocol has {name}={theirs.get(name)!r}, this one "
                           f"{name}={ours.get(name)!r}; resume with the run's settings or choose another --out")


def merged_jobs(previous: dict, keys: list[str], extend: bool) -> list[str]:
    """The run's jobs, plus this plan's new ones when ``extend``; RunError naming a new job otherwise."""
    theirs = list(previous.get("jobs") or [])
    known = set(theirs)
    new = [k for k in dict.fromkeys(keys) if k not in known]
    if new and not extend:
        raise RunError(f"--resume: {_describe(new[0], theirs)}; pass --extend to add "
                       f"{'it' if len(new) == 1 else f'the {len(new)} new jobs'} to the run")
    return theirs + new


def merged_plan(previous: dict, plan: dict) -> dict:
    """This run's plan record with the names and notes of the run it continues kept."""
    out = dict(plan)
    for field in ("generators", "metrics"):
        out[field] = list(dict.fromkeys([*(previous.get(field) or []), *plan[field]]))
    out["datasets"] = list(previous.get("datasets") or []) + [d for d in plan["datasets"]
                                                              if d not in (previous.get("datasets") or [])]
    out["notes"] = {**(previous.get("notes") or {}), **plan["notes"]}
    return out


def _describe(key: str, theirs: list[str]) -> str:
    stem = key.rsplit("--", 1)[0]          # generator--dataset--sSEED
    same = [k for k in theirs if k.rsplit("--", 1)[0] == stem]
    if same:
        return (f"job {key} differs from the run's {same[0]} (the generator's configuration or version, or the "
                f"dataset's content, changed)")
    return f"job {key} is not in the run's plan"

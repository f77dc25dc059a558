"""A real multi-node Ray cluster on this machine (``ray start --head`` plus worker nodes), for tests and benchmarks.

Why: ``ray.init()`` starts one node inside the driver; a run across nodes (tasks scheduled on another
raylet, objects shipped between object stores) needs separate ``ray start`` processes. Ray 2.60 resolves
``--node-ip-address 127.0.0.1`` to the host's own address, so the nodes talk over this host's interface;
token authentication is switched off (``RAY_AUTH_MODE=disabled``) for this short-lived local cluster.
It is stopped by process id (the processes naming its temp folder and their children), not with
``ray stop``, which would stop every Ray cluster on the machine.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _processes(marker: str) -> list:
    import psutil

    out = {}
    for p in psutil.process_iter(["cmdline"]):
        if any(marker in a for a in (p.info["cmdline"] or [])):
            try:
                for q in [p] + p.children(recursive=True):
                    out[q.pid] = q
            except psutil.NoSuchProcess:
                pass
    return list(out.values())


@dataclass(frozen=True)
class LocalRayCluster:
    address: str     # for ray.init(address=...)
    temp_dir: str    # Ray's temp folder: every process of this cluster names it

    def processes(self) -> list:
        """psutil processes of this cluster (to measure them)."""
        return _processes(self.temp_dir)


@contextmanager
def local_ray_cluster(nodes: int = 2, cpus_per_node: int = 1, pythonpath: str | None = None,
                      timeout_s: float = 180.0) -> Iterator[LocalRayCluster]:
    """Start a head and ``nodes - 1`` worker nodes; yields the cluster (its address for ``ray.init``).
    ``pythonpath``: prepended to the nodes' PYTHONPATH (their workers import the same code as the caller)."""
    import psutil

    exe = str(Path(sys.executable).parent / "ray")
    port = _free_port()
    temp = tempfile.mkdtemp(prefix="sgbray-", dir="/tmp")     # short: Ray's socket paths have a length limit
    old = os.environ.get("RAY_AUTH_MODE")
    os.environ["RAY_AUTH_MODE"] = "disabled"                  # the driver must agree with the nodes
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (pythonpath, env.get("PYTHONPATH")) if p)
    common = ["--node-ip-address", "127.0.0.1", "--num-cpus", str(cpus_per_node), "--disable-usage-stats"]
    try:
        subprocess.run([exe, "start", "--head", "--port", str(port), "--include-dashboard", "false",
                        "--temp-dir", temp, *common], env=env, check=True, capture_output=True, timeout=timeout_s)
        for _ in range(nodes - 1):
            subprocess.run([exe, "start", "--address", f"127.0.0.1:{port}", *common], env=env, check=True,
                           capture_output=True, timeout=timeout_s)
        yield LocalRayCluster(f"127.0.0.1:{port}", temp)
    finally:
        procs = _processes(temp)
        for p in procs:
            try:
                p.terminate()
            except psutil.NoSuchProcess:
                pass
        _, alive = psutil.wait_procs(procs, timeout=15)
        for p in alive:
            try:
                p.kill()
            except psutil.NoSuchProcess:
                pass
        if old is None:
            os.environ.pop("RAY_AUTH_MODE", None)
        else:
            os.environ["RAY_AUTH_MODE"] = old

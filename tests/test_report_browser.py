"""The report in a real headless Chromium: all sections, plots and the critical-difference diagram render,
the table sorts, the interval toggle shows the cells' intervals, no console error.

Chromium is driven over the Chrome DevTools Protocol with a minimal stdlib
WebSocket client (no extra package). Console errors are the protocol's events:
uncaught exceptions (``Runtime.exceptionThrown``), ``console.error``/``assert``
calls and browser log entries of level error (failed loads...). A control test
proves a page with a deliberate ``throw`` is caught. The screenshot goes to
``$SECGEN_BENCH_ARTIFACTS`` (default: the test's tmp folder) for CI. Skipped
when no Chromium binary is found (``apt-get install chromium``).
"""
from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")

from secgen_bench.report import write_report  # noqa: E402
from secgen_bench.report.html import SECTION_IDS  # noqa: E402
from secgen_bench.runner.executor import LocalExecutor  # noqa: E402
from secgen_bench.runner.plan import protocol_for  # noqa: E402
from secgen_bench.datasets.loading import DatasetSource  # noqa: E402
from secgen_bench.runner.request import RunRequest  # noqa: E402
from secgen_bench.runner.run import run_benchmark  # noqa: E402
from tests.conftest import registered_test_plugins  # noqa: E402

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
                  "--window-size=1400,1000", "--remote-debugging-port=0")


def chromium_binary() -> str | None:
    env = os.environ.get("SECGEN_BENCH_CHROMIUM")
    if env:
        return env if Path(env).exists() else shutil.which(env)
    return next((p for p in map(shutil.which, BROWSERS) if p), None)


class DevTools:
    """Just enough of a WebSocket client (RFC 6455, text frames) to speak CDP to one page target."""

    def __init__(self, ws_url: str, timeout: float = 30.0):
        url = urllib.parse.urlparse(ws_url)
        self.sock = socket.create_connection((url.hostname, url.port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {url.path} HTTP/1.1\r\nHost: {url.hostname}:{url.port}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
                           ).encode())
        head = b""
        while not head.endswith(b"\r\n\r\n"):
            head += self._exact(1)
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise ConnectionError(f"WebSocket upgrade refused: {head.decode(errors='replace').splitlines()[0]}")
        self.next_id = 0
        self.events: list[dict] = []

    def _exact(self, n: int) -> bytes:
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("DevTools connection closed")
            buf += chunk
        return buf

    def _send_frame(self, opcode: int, payload: bytes) -> None:
        n = len(payload)
        head = bytes([0x80 | opcode])
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 2**16:
            head += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack(">Q", n)
        mask = os.urandom(4)
        self.sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def _message(self) -> dict:
        data = b""
        while True:
            b0, b1 = self._exact(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._exact(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._exact(8))[0]
            mask = self._exact(4) if b1 & 0x80 else None
            payload = self._exact(n)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            opcode = b0 & 0x0F
            if opcode == 0x9:      # ping
                self._send_frame(0xA, payload)
                continue
            if opcode == 0x8:
                raise ConnectionError("DevTools closed the connection")
            data += payload
            if b0 & 0x80:
                return json.loads(data)

    def call(self, method: str, **params):
        self.next_id += 1
        self._send_frame(0x1, json.dumps({"id": self.next_id, "method": method, "params": params}).encode())
        while True:
            msg = self._message()
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)

    def wait_for(self, event: str, timeout: float = 30.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            for e in self.events:
                if e["method"] == event:
                    self.events.remove(e)
                    return e
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {event} within {timeout} s")
            self.events.append(self._message())

    def drain(self, seconds: float) -> None:
        """Collect the events that arrive within ``seconds`` (late errors, e.g. from timers)."""
        self.sock.settimeout(seconds)
        try:
            while True:
                self.events.append(self._message())
        except (socket.timeout, TimeoutError):
            pass
        finally:
            self.sock.settimeout(30.0)

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"page script failed: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    def open(self, url: str) -> dict:
        """Load ``url`` and return what went wrong there: console errors and off-page requests."""
        self.events.clear()
        self.call("Page.navigate", url=url)
        self.wait_for("Page.loadEventFired")
        self.drain(0.5)
        return {"errors": console_errors(self.events), "requests": [
            e["params"]["request"]["url"] for e in self.events if e["method"] == "Network.requestWillBeSent"]}

    def close(self) -> None:
        self.sock.close()


def console_errors(events: list[dict]) -> list[str]:
    out = []
    for e in events:
        p = e.get("params", {})
        if e["method"] == "Runtime.exceptionThrown":
            d = p["exceptionDetails"]
            out.append(f"uncaught: {d.get('exception', {}).get('description') or d.get('text')}")
        elif e["method"] == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            out.append("console.error: " + " ".join(str(a.get("value", a.get("description"))) for a in p["args"]))
        elif e["method"] == "Log.entryAdded" and p["entry"].get("level") == "error":
            out.append(f"log: {p['entry'].get('text')} {p['entry'].get('url', '')}")
    return out


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    binary = chromium_binary()
    if binary is None:
        pytest.skip("no Chromium binary (apt-get install chromium, or set SECGEN_BENCH_CHROMIUM)")
    profile = tmp_path_factory.mktemp("chromium-profile")
    log = open(profile.parent / "chromium.log", "wb")
    proc = subprocess.Popen([binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "about:blank"],
                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    tools = None
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and port_file.read_text().strip()):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"Chromium did not start (see {log.name})")
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as resp:
            pages = [t for t in json.load(resp) if t.get("type") == "page"]
        tools = DevTools(pages[0]["webSocketDebuggerUrl"])
        for domain in ("Page", "Runtime", "Log", "Network"):
            tools.call(f"{domain}.enable")
        yield tools
    finally:
        if tools is not None:
            tools.close()
        try:
            os.killpg(proc.pid, signal.SIGKILL)   # chromium and its helpers: the group this fixture started
        except ProcessLookupError:
            pass
        proc.wait(10)
        log.close()


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    """The report of a small real run: reference, marginals, copycat and a crasher on the tiny dataset, 2 seeds
    (2 blocks for the Friedman test)."""
    with registered_test_plugins():
        out = tmp_path_factory.mktemp("browser-run") / "run"
        proto = protocol_for("quick", seeds=(0, 1), sample_size=100, timeout_s=120)
        run_benchmark(RunRequest(["marginals", "copycat", "crasher"], [DatasetSource("tiny")], proto, out,
                                 profile="quick", metrics=["mean-bytes-gap", "dkc", "acf"], use_cache=False),
                      LocalExecutor(2))
    return write_report(out)


PAGE_FACTS = """(() => ({
  sections: Array.from(document.querySelectorAll('section[id]')).map(s => s.id),
  sectionErrors: document.querySelectorAll('.section-error').length,
  rows: Array.from(document.querySelectorAll('table.leaderboard tbody tr')).map(r => r.cells[1].textContent),
  failed: Array.from(document.querySelectorAll('table.leaderboard td.failed')).map(td => td.textContent),
  plots: Array.from(document.images).map(i => ({kind: i.dataset.plot, section: i.closest('section').id,
                                                 drawn: i.complete && i.naturalWidth > 100 && i.naturalHeight > 100,
                                                 visible: i.getBoundingClientRect().width > 50})),
  diagrams: Array.from(document.querySelectorAll('section#critical-difference svg.cd-diagram')).map(svg => ({
    width: svg.getBoundingClientRect().width, height: svg.getBoundingClientRect().height,
    names: Array.from(svg.querySelectorAll('text.cd-name')).map(t => t.textContent.split(' (')[0]),
    labelsDrawn: Array.from(svg.querySelectorAll('text.cd-name')).every(t => t.getBBox().width > 10),
    groups: svg.querySelectorAll('line.cd-group').length})),
  intervalsShown: Array.from(document.querySelectorAll('table.leaderboard span.ci'))
    .filter(s => s.getBoundingClientRect().width > 0).length,
  intervals: document.querySelectorAll('table.leaderboard span.ci').length,
}))()"""

COLUMN = """(() => Array.from(document.querySelector('table.leaderboard').tBodies[0].rows)
              .map(r => r.cells[%d].textContent))()"""


def test_report_renders_in_chromium_without_console_errors(browser, report, tmp_path):
    loaded = browser.open(report.resolve().as_uri())
    assert loaded["errors"] == []
    assert all(u.startswith(("file:", "data:")) for u in loaded["requests"]), loaded["requests"]
    facts = browser.evaluate(PAGE_FACTS)
    assert facts["sections"] == SECTION_IDS and facts["sectionErrors"] == 0
    assert facts["rows"] == ["reference", "bootstrap", "copycat", "marginals", "crasher"]  # ties (copycat, marginals) by name
    assert facts["failed"] and set(facts["failed"]) == {"ERROR"}
    plots = facts["plots"]
    assert plots and all(p["drawn"] and p["visible"] for p in plots), plots
    per_section = {s: sum(p["section"] == s for p in plots) for s in SECTION_IDS}
    assert per_section == {"leaderboard": 0, "families": 0, "critical-difference": 0, "metric-bars": 3, "marginals": 9,
                           "correlations": 5, "dkc": 1, "temporal": 1, "resources": 2, "metadata": 0}
    # the critical-difference diagram: one inline SVG, drawn, naming the three generators
    [diagram] = facts["diagrams"]
    assert diagram["width"] > 300 and diagram["height"] > 60 and diagram["labelsDrawn"], diagram
    assert sorted(diagram["names"]) == ["copycat", "crasher", "marginals"] and diagram["groups"] >= 1
    # intervals are hidden until the toggle is ticked, then every scored cell shows one
    assert facts["intervals"] > 0 and facts["intervalsShown"] == 0
    browser.evaluate("document.getElementById('show-ci').click()")
    assert browser.evaluate(PAGE_FACTS)["intervalsShown"] == facts["intervals"]

    # the table sorts: by generator name, then by average rank with blanks last
    browser.evaluate("document.querySelector('table.leaderboard thead th:nth-child(2)').click()")
    names = browser.evaluate(COLUMN % 1)
    assert names == sorted(names)
    n_cols = browser.evaluate("document.querySelector('table.leaderboard thead tr').cells.length")
    avg_col = n_cols - 4
    browser.evaluate(f"document.querySelector('table.leaderboard thead th:nth-child({avg_col + 1})').click()")
    ranks = browser.evaluate(COLUMN % avg_col)
    numbers = [r for r in ranks if r != "-"]
    assert ranks == numbers + ["-", "-"] and [float(r) for r in numbers] == sorted(float(r) for r in numbers)  # unranked last
    browser.drain(0.3)
    assert console_errors(browser.events) == []

    artifacts = Path(os.environ.get("SECGEN_BENCH_ARTIFACTS") or tmp_path)
    artifacts.mkdir(parents=True, exist_ok=True)
    size = browser.call("Page.getLayoutMetrics")["cssContentSize"]
    shot = browser.call("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                        clip={"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1})
    png = base64.b64decode(shot["data"])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    (artifacts / "report-screenshot.png").write_bytes(png)


def test_the_error_check_catches_a_deliberate_throw(browser, tmp_path):
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><html><body><p>x</p><script>throw new Error('deliberate failure');</script>"
                   "</body></html>")
    errors = browser.open(bad.resolve().as_uri())["errors"]
    assert len(errors) == 1 and "deliberate failure" in errors[0]
    noisy = tmp_path / "noisy.html"
    noisy.write_text("<!DOCTYPE html><html><body><script>console.error('logged failure');</script>"
                     "<img src='missing.png'></body></html>")
    errors = browser.open(noisy.resolve().as_uri())["errors"]
    assert any("logged failure" in e for e in errors)
    assert any("missing.png" in e or "ERR_FILE_NOT_FOUND" in e for e in errors), errors

"""Downloader against a local HTTP server on 127.0.0.1: ranges, resume, checksums, offline message.

The downloader is HTTPS only; loopback http is allowed here through
``SECGEN_BENCH_ALLOW_LOOPBACK_HTTP=1`` (set by the autouse fixture), the
explicit switch the downloader has for tests.
"""
from __future__ import annotations

import hashlib
import http.server
import json
import threading

import pytest

from secgen_bench.datasets import download as dl

PAYLOAD = bytes(range(256)) * 4000      # ~1 MB


class _RangeHandler(http.server.BaseHTTPRequestHandler):
    payload = PAYLOAD
    honour_range = True
    range_shift = 0          # a server that answers a range other than the one asked for
    truncate_to = None       # a connection that closes before Content-Length bytes
    served: list = []

    def do_GET(self):  # noqa: N802 (http.server naming)
        data, start = self.payload, 0
        rng = self.headers.get("Range")
        type(self).served.append(rng)
        if rng and self.honour_range:
            start = int(rng.split("=")[1].split("-")[0])
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.end_headers()
                return
            start = max(start - self.range_shift, 0)
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: self.truncate_to] if self.truncate_to is not None else body)

    def log_message(self, *args):
        pass


@pytest.fixture(autouse=True)
def _loopback_http_allowed(monkeypatch):
    monkeypatch.setenv(dl.ALLOW_LOOPBACK_ENV, "1")


@pytest.fixture
def server():
    _RangeHandler.served = []
    _RangeHandler.honour_range = True
    _RangeHandler.range_shift = 0
    _RangeHandler.truncate_to = None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _RangeHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/file.bin"
    httpd.shutdown()
    httpd.server_close()


def test_download_verifies_checksum(server, tmp_path):
    digest = hashlib.sha256(PAYLOAD).hexdigest()
    path, verified = dl.download(server, tmp_path / "f.bin", digest, log=lambda m: None)
    assert verified and path.read_bytes() == PAYLOAD and not (tmp_path / "f.bin.part").exists()


def test_resume_uses_range(server, tmp_path):
    (tmp_path / "f.bin.part").write_bytes(PAYLOAD[:300_000])
    path, verified = dl.download(server, tmp_path / "f.bin", hashlib.sha256(PAYLOAD).hexdigest(), log=lambda m: None)
    assert verified and path.read_bytes() == PAYLOAD
    assert _RangeHandler.served == ["bytes=300000-"]


def test_server_without_range_restarts(server, tmp_path):
    _RangeHandler.honour_range = False
    (tmp_path / "f.bin.part").write_bytes(b"garbage" * 10)
    messages = []
    path, _ = dl.download(server, tmp_path / "f.bin", hashlib.sha256(PAYLOAD).hexdigest(), log=messages.append)
    assert path.read_bytes() == PAYLOAD and any("starting again" in m for m in messages)


def test_checksum_mismatch_deletes_and_raises(server, tmp_path):
    with pytest.raises(dl.ChecksumError, match="does not match"):
        dl.download(server, tmp_path / "f.bin", "0" * 64, log=lambda m: None)
    assert not (tmp_path / "f.bin").exists() and not (tmp_path / "f.bin.part").exists()


def test_unknown_checksum_is_computed_not_verified(server, tmp_path):
    messages = []
    path, verified = dl.download(server, tmp_path / "f.bin", None, log=messages.append)
    digest = hashlib.sha256(PAYLOAD).hexdigest()
    assert not verified and any(digest in m and "NOT verified" in m for m in messages)
    record = json.loads((tmp_path / "f.bin.json").read_text())
    assert record["sha256"] == digest and record["size"] == len(PAYLOAD)
    assert record["verified_against_publisher"] is False and record["origin"] == server


def test_offline_message_is_one_line(tmp_path):
    with pytest.raises(dl.DownloadError) as err:
        dl.download("http://127.0.0.1:9/nothing.zip", tmp_path / "x.zip", None, timeout=2, log=lambda m: None)
    assert "offline?" in str(err.value) and "\n" not in str(err.value)


def test_cache_dir_from_env(tmp_path, monkeypatch):
    monkeypatch.setenv("SECGEN_BENCH_CACHE", str(tmp_path))
    assert dl.cached_path("hdfs_v1") == tmp_path / "downloads" / "HDFS_v1.zip"
    assert not dl.is_cached("hdfs_v1")
    assert all(s.sha256 is None or len(s.sha256) == 64 for s in dl.SOURCES.values())


def test_fetch_extracts_member_from_cached_archive(tmp_path, monkeypatch):
    import zipfile

    monkeypatch.setenv("SECGEN_BENCH_CACHE", str(tmp_path))
    archive = dl.cached_path("cidds001")
    archive.parent.mkdir(parents=True)
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("CIDDS-001/traffic/OpenStack/CIDDS-001-internal-week3.csv", "a,b\n1,2\n")
    out = dl.fetch("cidds001-week3", log=lambda m: None)
    assert out.read_text() == "a,b\n1,2\n"


# ---- HTTPS only ------------------------------------------------------------------------------
@pytest.mark.parametrize("url", ["http://example.org/data.zip", "ftp://example.org/data.zip", "file:///etc/passwd"])
def test_only_https_is_downloaded(url, tmp_path):
    with pytest.raises(dl.DownloadError, match="refusing to download .*only https|refusing to download .*loopback"):
        dl.download(url, tmp_path / "x.zip", None, log=lambda m: None)
    assert not (tmp_path / "x.zip.part").exists()


def test_loopback_http_needs_the_explicit_switch(server, tmp_path, monkeypatch):
    monkeypatch.delenv(dl.ALLOW_LOOPBACK_ENV)
    with pytest.raises(dl.DownloadError, match="plain http is allowed only to a loopback host"):
        dl.download(server, tmp_path / "f.bin", None, log=lambda m: None)
    assert _RangeHandler.served == []
    path, _ = dl.download(server, tmp_path / "f.bin", None, log=lambda m: None, allow_loopback_http=True)
    assert path.read_bytes() == PAYLOAD


def test_every_source_is_https():
    assert all(url.startswith("https://") for s in dl.SOURCES.values() for url in s.urls)


# ---- recorded size and checksum, verified afterwards -----------------------------------------
def test_a_cached_file_that_changed_since_download_is_refused(server, tmp_path):
    path, _ = dl.download(server, tmp_path / "f.bin", None, log=lambda m: None)
    assert dl.download(server, path, None, log=lambda m: None)[0] == path     # unchanged: fine, no request
    assert len(_RangeHandler.served) == 1
    path.write_bytes(PAYLOAD[:-1] + b"\x00")                                    # same size, other bytes
    with pytest.raises(dl.ChecksumError, match="differs from .* recorded at download"):
        dl.download(server, path, None, log=lambda m: None)
    path.write_bytes(PAYLOAD[:1000])                                            # truncated
    with pytest.raises(dl.ChecksumError, match="1000 bytes, but 1024000 were downloaded"):
        dl.download(server, path, None, log=lambda m: None)


def test_a_file_placed_by_hand_is_recorded_then_verified(tmp_path):
    placed = tmp_path / "f.bin"
    placed.write_bytes(PAYLOAD)
    messages = []
    assert dl.download("https://unused.invalid/f.bin", placed, None, log=messages.append) == (placed, False)
    assert any("recorded in f.bin.json" in m for m in messages)
    placed.write_bytes(b"other")
    with pytest.raises(dl.ChecksumError):
        dl.download("https://unused.invalid/f.bin", placed, None, log=lambda m: None)


def test_a_pinned_checksum_is_checked_on_every_use(server, tmp_path):
    digest = hashlib.sha256(PAYLOAD).hexdigest()
    path, verified = dl.download(server, tmp_path / "f.bin", digest, log=lambda m: None)
    assert verified and json.loads(dl.record_path(path).read_text())["verified_against_publisher"] is True
    path.write_bytes(b"tampered")
    with pytest.raises(dl.ChecksumError, match="does not match the published"):
        dl.download(server, path, digest, log=lambda m: None)


def test_an_extracted_member_is_recorded_and_verified(tmp_path, monkeypatch):
    import zipfile

    monkeypatch.setenv("SECGEN_BENCH_CACHE", str(tmp_path))
    archive = dl.cached_path("hdfs_v1")
    archive.parent.mkdir(parents=True)
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("HDFS_v1/preprocessed/Event_traces.csv", "BlockId,Label\nblk_1,Normal\n")
    out = dl.fetch("hdfs_v1-traces", log=lambda m: None)
    assert json.loads(dl.record_path(out).read_text())["origin"] == "member of HDFS_v1.zip"
    out.write_text("BlockId,Label\nblk_1,Anomaly\n")
    with pytest.raises(dl.ChecksumError):
        dl.fetch("hdfs_v1-traces", log=lambda m: None)


# ---- resume: the answer must continue the part file --------------------------------------------
def test_a_range_that_does_not_continue_the_part_is_an_error(server, tmp_path):
    _RangeHandler.range_shift = 1000
    (tmp_path / "f.bin.part").write_bytes(PAYLOAD[:300_000])
    with pytest.raises(dl.DownloadError, match="asked for bytes from 300000, the server sent 'bytes 299000-"):
        dl.download(server, tmp_path / "f.bin", None, log=lambda m: None)
    assert not (tmp_path / "f.bin").exists()
    assert (tmp_path / "f.bin.part").read_bytes() == PAYLOAD[:300_000]          # nothing appended


def test_a_part_longer_than_the_servers_file_is_restarted_not_kept(server, tmp_path):
    (tmp_path / "f.bin.part").write_bytes(PAYLOAD + b"extra")
    with pytest.raises(dl.DownloadError, match="not the one f.bin.part began"):
        dl.download(server, tmp_path / "f.bin", None, log=lambda m: None)
    assert not (tmp_path / "f.bin.part").exists() and not (tmp_path / "f.bin").exists()
    path, _ = dl.download(server, tmp_path / "f.bin", None, log=lambda m: None)
    assert path.read_bytes() == PAYLOAD


def test_a_closed_connection_keeps_the_part_for_resume(server, tmp_path):
    _RangeHandler.truncate_to = 200_000
    with pytest.raises(dl.DownloadError) as err:
        dl.download(server, tmp_path / "f.bin", None, log=lambda m: None)
    assert "\n" not in str(err.value) and not (tmp_path / "f.bin").exists()
    assert (tmp_path / "f.bin.part").read_bytes() == PAYLOAD[:200_000]
    _RangeHandler.truncate_to = None
    path, _ = dl.download(server, tmp_path / "f.bin", None, log=lambda m: None)
    assert path.read_bytes() == PAYLOAD and _RangeHandler.served[-1] == "bytes=200000-"

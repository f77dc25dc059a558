"""Downloader against a local HTTP server on 127.0.0.1: ranges, resume, checksums, offline message."""
from __future__ import annotations

import hashlib
import http.server
import threading

import pytest

from secgen_bench.datasets import download as dl

PAYLOAD = bytes(range(256)) * 4000      # ~1 MB


class _RangeHandler(http.server.BaseHTTPRequestHandler):
    payload = PAYLOAD
    honour_range = True
    served: list = []

    def do_GET(self):  # noqa: N802 (http.server naming)
        data, start = self.payload, 0
        rng = self.headers.get("Range")
        type(self).served.append(rng)
        if rng and self.honour_range:
            start = int(rng.split("=")[1].split("-")[0])
            if start >= len(data):
                self.send_response(416)
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    _RangeHandler.served = []
    _RangeHandler.honour_range = True
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
    assert (tmp_path / "f.bin.sha256").read_text().split()[::2] == [digest, "unverified"]


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

"""Official-source downloads of the full datasets, with a cache, resume and checks of every byte.

Why: the full CIDDS-001 weeks, UGR'16 and HDFS_v1 are far too large for the
repository; a user who asks for them gets them from the publisher once, and
every later run reads the cache (``$SECGEN_BENCH_CACHE``, default the user
cache dir / ``secgen-bench``).

- **HTTPS only**, redirects included. Plain ``http://`` is refused, except to
  a loopback host (127.0.0.1, ::1, localhost) when the caller passes
  ``allow_loopback_http=True`` or sets ``SECGEN_BENCH_ALLOW_LOOPBACK_HTTP=1``:
  that is for tests with a local server, never for a publisher.
- **Checksums**: a publisher's SHA-256 is pinned on its :class:`Source` where
  one is published (none of the current publishers gives one; checksums are
  never invented). Either way the first download records its size and SHA-256
  in ``<file>.json`` beside the cached file, and every later use checks the
  cached file against the pin, else against that record: a file that changed
  since it was downloaded raises :class:`ChecksumError` instead of feeding a
  benchmark wrong bytes.
- **Resume**: downloads go to ``<file>.part`` and resume with an HTTP
  ``Range`` request. A 206 answer must start exactly where the part file ends
  (``Content-Range``), else it is an error; a server that ignores the range
  and answers 200 restarts the file; a body shorter than its
  ``Content-Length`` keeps the part for the next resume. The finished file is
  renamed into place atomically.
"""
from __future__ import annotations

import hashlib
import http.client
import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

CHUNK = 1 << 20
LOOPBACK_HOSTS = {"127.0.0.1", "::1", "localhost"}
ALLOW_LOOPBACK_ENV = "SECGEN_BENCH_ALLOW_LOOPBACK_HTTP"


class DownloadError(RuntimeError):
    """A download failed (offline, HTTP error, refused URL); the message is one line and says what to do."""


class ChecksumError(DownloadError):
    """The bytes do not have the pinned SHA-256, or a cached file no longer matches its download record."""


@dataclass(frozen=True)
class Source:
    """One published file: where it lives, what it is, and the publisher's SHA-256 when there is one."""

    name: str
    urls: tuple[str, ...]
    filename: str
    sha256: str | None = None
    size: str = ""
    licence: str = ""
    member: str | None = None      # for derived entries: suffix of a member inside the archive of ``archive``
    archive: str | None = None     # name of the Source whose archive holds ``member``


SOURCES: dict[str, Source] = {s.name: s for s in (
    Source("cidds001", ("https://www.hs-coburg.de/wp-content/uploads/2024/11/CIDDS-001.zip",
                        "https://www.hs-coburg.de/fileadmin/hscoburg/WISENT-CIDDS-001.zip"),
           "CIDDS-001.zip", None, "about 380 MB", "Hochschule Coburg, research use"),
    Source("cidds001-week3", (), "CIDDS-001-internal-week3.csv", None, "about 1.5 GB unpacked",
           "Hochschule Coburg, research use", member="internal-week3.csv", archive="cidds001"),
    Source("ugr16-march-week3", ("https://nesg.ugr.es/nesg-ugr16/download/normal/march/week3/march_week3_csv.tar.gz",),
           "march_week3_csv.tar.gz", None, "tens of GB", "UGR'16, Universidad de Granada, research use"),
    Source("hdfs_v1", ("https://zenodo.org/records/8196385/files/HDFS_v1.zip?download=1",),
           "HDFS_v1.zip", None, "about 190 MB", "loghub (cite loghub and Xu et al. SOSP'09)"),
    Source("hdfs_v1-traces", (), "HDFS_v1_Event_traces.csv", None, "unpacked from HDFS_v1.zip",
           "loghub (cite loghub and Xu et al. SOSP'09)", member="Event_traces.csv", archive="hdfs_v1"),
)}


def cache_dir() -> Path:
    env = os.environ.get("SECGEN_BENCH_CACHE")
    if env:
        return Path(env)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("secgen-bench"))


def cached_path(name: str) -> Path:
    return cache_dir() / "downloads" / source(name).filename


def is_cached(name: str) -> bool:
    return cached_path(name).exists()


def source(name: str) -> Source:
    try:
        return SOURCES[name]
    except KeyError:
        raise DownloadError(f"no download source named {name!r}; known: {', '.join(sorted(SOURCES))}") from None


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def record_path(path: Path) -> Path:
    """The JSON beside a cached file that holds its size and SHA-256 from the day it was fetched."""
    return path.with_name(path.name + ".json")


def write_record(path: Path, origin: str, pinned: bool, digest: str | None = None) -> dict:
    record = {"file": path.name, "origin": origin, "size": path.stat().st_size, "sha256": digest or sha256_of(path),
              "verified_against_publisher": pinned}
    tmp = record_path(path).with_name(record_path(path).name + ".tmp")
    tmp.write_text(json.dumps(record, indent=1) + "\n")
    os.replace(tmp, record_path(path))
    return record


def verify_cached(path: Path, sha256: str | None, log: Callable[[str], None]) -> bool:
    """Check a cached file against its pin, else its record (written now if absent); True if pinned and equal."""
    record_file = record_path(path)
    if sha256 is not None:
        _check(path, sha256, log, keep_on_mismatch=True)
        if not record_file.exists():
            write_record(path, "placed in the cache", pinned=True)
        return True
    if not record_file.exists():
        record = write_record(path, "placed in the cache", pinned=False)
        log(f"{path.name}: sha256 {record['sha256']} recorded in {record_file.name} (no published checksum: NOT verified)")
        return False
    try:
        record = json.loads(record_file.read_text())
        want_size, want_sha = int(record["size"]), str(record["sha256"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ChecksumError(f"{record_file}: unreadable download record ({type(exc).__name__}); "
                            f"delete it and {path.name} and download again") from None
    size = path.stat().st_size
    if size != want_size:
        raise ChecksumError(f"{path}: {size} bytes, but {want_size} were downloaded ({record_file.name}); "
                            f"delete it and download again")
    digest = sha256_of(path)
    if digest != want_sha:
        raise ChecksumError(f"{path}: sha256 {digest} differs from {want_sha} recorded at download "
                            f"({record_file.name}); delete it and download again")
    return False


def check_url(url: str, allow_loopback_http: bool | None = None) -> None:
    """HTTPS only; ``http://`` to a loopback host only when allowed (tests with a local server)."""
    if allow_loopback_http is None:
        allow_loopback_http = os.environ.get(ALLOW_LOOPBACK_ENV, "") == "1"
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "https":
        return
    if parts.scheme == "http" and allow_loopback_http and parts.hostname in LOOPBACK_HOSTS:
        return
    why = ("plain http is allowed only to a loopback host with " + ALLOW_LOOPBACK_ENV + "=1"
           if parts.scheme == "http" else "only https URLs are downloaded")
    raise DownloadError(f"refusing to download {url}: {why}")


_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")


def _range_start(resp, url: str, have: int) -> None:
    """A 206 answer must continue the part file exactly where it ends."""
    header = resp.headers.get("Content-Range", "")
    m = _CONTENT_RANGE.fullmatch(header.strip())
    if m is None:
        raise DownloadError(f"cannot resume {url}: partial answer without a valid Content-Range ({header!r}); "
                            f"delete the .part file and try again")
    if int(m.group(1)) != have:
        raise DownloadError(f"cannot resume {url}: asked for bytes from {have}, the server sent {header!r}; "
                            f"delete the .part file and try again")


def _complete_at_416(exc: urllib.error.HTTPError, have: int) -> bool:
    """416 on a resume means "nothing left" only when the server's total equals what we hold."""
    m = re.fullmatch(r"bytes\s+\*/(\d+)", (exc.headers.get("Content-Range", "") if exc.headers else "").strip())
    return m is None or int(m.group(1)) == have


def download(url: str, dest: Path, sha256: str | None = None, *, timeout: float = 60.0,
             log: Callable[[str], None] | None = None, allow_loopback_http: bool | None = None) -> tuple[Path, bool]:
    """Fetch ``url`` to ``dest`` (resuming ``dest.part``); returns (path, verified against a pinned checksum)."""
    log = log or (lambda msg: print(msg, file=sys.stderr))
    dest = Path(dest)
    if dest.exists():
        return dest, verify_cached(dest, sha256, log)
    check_url(url, allow_loopback_http)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    have = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"User-Agent": "secgen-bench", **({"Range": f"bytes={have}-"} if have else {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            check_url(resp.geturl(), allow_loopback_http)       # a redirect may not leave https
            status = getattr(resp, "status", 200)
            if have and status == 206:
                _range_start(resp, url, have)
                mode = "ab"
            else:
                if have:
                    log(f"{url}: server ignored the resume request; starting again")
                mode, have = "wb", 0
            length = resp.headers.get("Content-Length")
            got = 0
            with open(part, mode) as fh:
                for block in iter(lambda: resp.read(CHUNK), b""):
                    fh.write(block)
                    got += len(block)
            if length is not None and length.isdigit() and got < int(length):
                raise DownloadError(f"cannot download {url}: connection closed after {got} of {length} bytes; "
                                    f"run again to resume from {part.name}")
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have and _complete_at_416(exc, have):   # nothing left to fetch: the part file is complete
            pass
        elif exc.code == 416 and have:
            part.unlink()
            raise DownloadError(f"cannot resume {url}: the server's file is not the one {part.name} began; "
                                f"the part file was deleted, try again") from None
        else:
            raise DownloadError(f"cannot download {url}: HTTP {exc.code} {exc.reason}; place the file at {dest} by hand") from None
    except (urllib.error.URLError, http.client.HTTPException, OSError, TimeoutError) as exc:
        reason = getattr(exc, "reason", None) or repr(exc)
        raise DownloadError(f"cannot download {url}: {reason} (offline?); the partial file {part.name} is kept for resume, "
                            f"or place the file at {dest} by hand") from None
    digest = sha256_of(part)
    verified = _check(part, sha256, log, keep_on_mismatch=False, digest=digest)
    os.replace(part, dest)
    write_record(dest, url, pinned=verified, digest=digest)
    return dest, verified


def _check(path: Path, sha256: str | None, log: Callable[[str], None], *, keep_on_mismatch: bool,
           digest: str | None = None) -> bool:
    digest = digest or sha256_of(path)
    if sha256 is None:
        log(f"{path.name}: sha256 {digest} (no published checksum known to secgen-bench: NOT verified; "
            f"recorded in {record_path(path).name.replace('.part', '')} for later checks)")
        return False
    if digest.lower() != sha256.lower():
        if not keep_on_mismatch:
            path.unlink()
        raise ChecksumError(f"{path}: sha256 {digest} does not match the published {sha256}"
                            + ("" if keep_on_mismatch else "; the download was deleted, try again"))
    return True


def fetch(name: str, *, log: Callable[[str], None] | None = None) -> Path:
    """The cached file of source ``name``, downloading (or extracting) it first when needed."""
    src = source(name)
    dest = cached_path(name)
    if src.archive is not None:
        if dest.exists():
            verify_cached(dest, None, log or (lambda msg: print(msg, file=sys.stderr)))
            return dest
        archive = fetch(src.archive, log=log)
        _extract_member(archive, src.member, dest)
        write_record(dest, f"member of {archive.name}", pinned=False)
        return dest
    errors = []
    for url in src.urls:
        try:
            return download(url, dest, src.sha256, log=log)[0]
        except ChecksumError:
            raise
        except DownloadError as exc:
            errors.append(str(exc))
    raise DownloadError(errors[-1] if errors else f"{name}: no URL to download from")


def _extract_member(archive: Path, suffix: str, dest: Path) -> Path:
    try:
        with zipfile.ZipFile(archive) as zf:
            names = [n for n in zf.namelist() if n.endswith(suffix)]
            if not names:
                raise DownloadError(f"{archive}: no member ending in {suffix!r}")
            tmp = dest.with_name(dest.name + ".part")
            with zf.open(names[0]) as src, open(tmp, "wb") as out:
                for block in iter(lambda: src.read(CHUNK), b""):
                    out.write(block)
    except zipfile.BadZipFile:
        raise DownloadError(f"{archive}: not a zip archive (delete it and download again)") from None
    os.replace(tmp, dest)
    return dest

"""Official-source downloads of the full datasets, with a cache, resume and SHA-256 checks.

Why: the full CIDDS-001 weeks, UGR'16 and HDFS_v1 are far too large for the
repository; a user who asks for them gets them from the publisher once, and
every later run reads the cache (``$SECGEN_BENCH_CACHE``, default the user
cache dir / ``secgen-bench``).

Checksums are never invented. Where the publisher's SHA-256 is not known to
this project, ``sha256`` is None: the downloader computes the hash, prints it
and records it next to the file (``<file>.sha256``, marked ``unverified``) but
does not call the file verified. A mismatch with a known checksum deletes the
partial file and raises :class:`ChecksumError`.

Downloads go to ``<file>.part`` and resume with an HTTP ``Range`` request
when interrupted; the finished file is renamed into place atomically.
"""
from __future__ import annotations

import hashlib
import os
import sys
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

CHUNK = 1 << 20


class DownloadError(RuntimeError):
    """A download failed (offline, HTTP error); the message is one line and says what to do."""


class ChecksumError(DownloadError):
    """The downloaded bytes do not have the published SHA-256."""


@dataclass(frozen=True)
class Source:
    """One published file: where it lives, what it is, and its checksum when known."""

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


def download(url: str, dest: Path, sha256: str | None = None, *, timeout: float = 60.0,
             log: Callable[[str], None] | None = None) -> tuple[Path, bool]:
    """Fetch ``url`` to ``dest`` (resuming ``dest.part``); returns (path, verified)."""
    log = log or (lambda msg: print(msg, file=sys.stderr))
    dest = Path(dest)
    if dest.exists():
        return dest, _check(dest, sha256, log, keep_on_mismatch=True)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    have = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"User-Agent": "secgen-bench", **({"Range": f"bytes={have}-"} if have else {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            status = getattr(resp, "status", 200)
            mode = "ab" if have and status == 206 else "wb"
            if have and status != 206:
                log(f"{url}: server ignored the resume request; starting again")
            with open(part, mode) as fh:
                for block in iter(lambda: resp.read(CHUNK), b""):
                    fh.write(block)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:          # nothing left to fetch: the part file is complete
            pass
        else:
            raise DownloadError(f"cannot download {url}: HTTP {exc.code} {exc.reason}; place the file at {dest} by hand") from None
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DownloadError(f"cannot download {url}: {reason} (offline?); the partial file {part.name} is kept for resume, "
                            f"or place the file at {dest} by hand") from None
    verified = _check(part, sha256, log, keep_on_mismatch=False)
    os.replace(part, dest)
    if sha256 is None:
        dest.with_name(dest.name + ".sha256").write_text(f"{sha256_of(dest)}  {dest.name}  unverified\n")
    return dest, verified


def _check(path: Path, sha256: str | None, log: Callable[[str], None], *, keep_on_mismatch: bool) -> bool:
    digest = sha256_of(path)
    if sha256 is None:
        log(f"{path.name}: sha256 {digest} (no published checksum known to secgen-bench: NOT verified)")
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
            return dest
        archive = fetch(src.archive, log=log)
        return _extract_member(archive, src.member, dest)
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

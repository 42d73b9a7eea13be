"""Downloading a model file: resumable, verified while it streams, nothing sent about the user.

Not huggingface_hub: people on slow links use local mirrors, so any http(s) URL must work
(environment proxies are honoured); the sha256 is computed as bytes arrive and the file gets
its final name only when it matches; the request says nothing about the user; and a plain
local HTTP server can test every path. `<name>.part` is always a clean prefix of the remote
file, so a later call re-hashes it and asks for the rest with a Range request.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import http.client
import os
import re
import shutil
import socket
import ssl
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

from companion import __version__
from companion.errors import ModelError
from companion.i18n import t
from companion.models.progress import Progress, Reporter, human_bytes

__all__ = ["DownloadCancelled", "DownloadError", "Progress", "download", "partial_path"]

CHUNK_SIZE = 1 << 20
"""Most bytes taken per read. Reads return what has arrived, so on a slow link cancel is
still noticed within one network read rather than after a whole MiB."""
SPACE_MARGIN = 64 << 20
"""Left free on the disk after the download, so the rest of the system keeps working."""
PROGRESS_INTERVAL = 0.1

_HEX64 = re.compile(r"[0-9a-f]{64}")
_UNREACHABLE: tuple[tuple[type[BaseException], str], ...] = (  # a cause in words, not a repr
    (socket.gaierror, "model_errors.unreachable_name"),
    (ConnectionRefusedError, "model_errors.unreachable_refused"),
    (TimeoutError, "model_errors.unreachable_timeout"),
    (ssl.SSLCertVerificationError, "model_errors.unreachable_certificate"),
    (ssl.SSLError, "model_errors.unreachable_tls"),
)
_DISK_FULL = (errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC))


class DownloadError(ModelError):
    """A download failed; `str()` says what happened, what to do, and what became of the
    partial file, because the person decides whether to retry, wait, or try a mirror."""


class DownloadCancelled(DownloadError):
    """The person cancelled; the partial file is kept so the same call resumes it."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message or t("model_errors.cancelled"))


def partial_path(dest: Path) -> Path:
    """Where the bytes collect until they are verified: `dest` never holds an unchecked file."""
    return dest.with_name(dest.name + ".part")


def _where(url: str) -> tuple[str, str]:
    """(host, URL fit to show): no user:password, query or fragment, which can hold tokens."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or t("model_errors.the_server")
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    return host, f"{parts.scheme}://{netloc}{parts.path}"


def _kept(part: Path) -> str:
    """The clause telling the person an earlier partial download is still there."""
    with contextlib.suppress(OSError):
        if part.stat().st_size > 0:
            return t("model_errors.kept")
    return ""


def _check_space(folder: Path, needed: int) -> None:
    """Refuse before writing anything when the rest of the file cannot fit."""
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        free = shutil.disk_usage(probe).free
    except OSError:
        return  # cannot tell; the write itself will say if the disk fills up
    if free < needed + SPACE_MARGIN:
        raise DownloadError(t("model_errors.download_no_space", folder=folder,
                              needed=human_bytes(needed + SPACE_MARGIN),
                              margin=human_bytes(SPACE_MARGIN), free=human_bytes(free)))


def _open(url: str, offset: int, timeout: float, part: Path) -> http.client.HTTPResponse | None:
    """Send the request; None means 416 (nothing left past `offset`). Errors become sentences."""
    host, shown = _where(url)
    headers = {"User-Agent": f"companion/{__version__}", "Accept-Encoding": "identity"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    kept = _kept(part)
    try:
        opener = urllib.request.build_opener()  # proxies from the environment, redirects
        return opener.open(urllib.request.Request(url, headers=headers), timeout=timeout)
    except urllib.error.HTTPError as exc:
        exc.close()
        code = exc.code
        if code == 416 and offset:
            return None
        if code in (404, 410):
            raise DownloadError(t("model_errors.download_not_found", url=shown, code=code,
                                  kept=kept)) from None
        if 300 <= code < 400:
            loop = "loop" in str(exc.reason)
            raise DownloadError(t("model_errors.redirect_loop" if loop else
                                  "model_errors.redirect_bad", host=host, code=code,
                                  kept=kept)) from None
        if code >= 500:
            raise DownloadError(t("model_errors.server_problem_kept" if kept else
                                  "model_errors.server_problem", host=host, code=code)) from None
        raise DownloadError(t("model_errors.download_refused", host=host, code=code,
                              kept=kept)) from None
    except urllib.error.URLError as exc:
        why = next((key for kind, key in _UNREACHABLE if isinstance(exc.reason, kind)),
                    "model_errors.unreachable_default")
        raise DownloadError(t("model_errors.unreachable", host=host, why=t(why),
                              kept=kept)) from None
    except (http.client.HTTPException, OSError):  # the server hung up before answering
        raise DownloadError(t("model_errors.interrupted_before", host=host, kept=kept)) from None


def _start_and_total(response: http.client.HTTPResponse) -> tuple[int | None, int | None]:
    """Where the body starts in the file and the file's full size, from the headers."""
    length = response.headers.get("Content-Length")
    body = int(length) if length and length.isdigit() else None
    if response.status != 206:
        return 0, body
    match = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+|\*)", response.headers.get("Content-Range", ""))
    if match is None:
        return None, None
    start = int(match[1])
    total = int(match[3]) if match[3] != "*" else (start + body if body is not None else None)
    return start, total


def _hash_partial(part: Path, digest: hashlib._Hash, have: int,
                  progress: Callable[[Progress], None] | None,
                  cancel: threading.Event | None) -> int:
    """Re-hash the bytes kept from last time (hash state cannot be saved, and the file is
    untrusted until read); return how many there were."""
    report = Reporter(progress, "checking", have, PROGRESS_INTERVAL)
    report(0, force=True)
    done = 0
    try:
        with part.open("rb") as fh:
            while done < have and (chunk := fh.read(min(CHUNK_SIZE, have - done))):
                if cancel is not None and cancel.is_set():
                    raise DownloadCancelled()
                digest.update(chunk)
                done += len(chunk)
                report(done)
    except OSError as exc:
        raise DownloadError(t("model_errors.partial_unreadable", part=part,
                              reason=exc.strerror)) from None
    report(done, force=True)
    return done


def _stream(response: http.client.HTTPResponse, part: Path, digest: hashlib._Hash, offset: int,
            size: int | None, report: Reporter, cancel: threading.Event | None) -> int:
    """Append the body to `part` from `offset`, hashing as it goes; return the bytes on disk.

    Unbuffered writes, so a failure leaves a known length: the file is cut back to what was
    hashed, and hash and file always agree on which prefix they hold.
    """
    host, done = _where(response.geturl())[0], offset
    try:
        fh = open(os.open(part, os.O_RDWR | os.O_CREAT, 0o644), "r+b", buffering=0)  # noqa: SIM115
    except OSError as exc:
        raise DownloadError(t("model_errors.part_not_opened", part=part,
                              reason=exc.strerror)) from None
    with fh:
        fh.truncate(offset)
        fh.seek(offset)
        report(done, force=True)
        while True:
            if cancel is not None and cancel.is_set():
                with contextlib.suppress(OSError):
                    os.fsync(fh.fileno())
                raise DownloadCancelled()
            try:
                piece = response.read1(CHUNK_SIZE)
            except (http.client.HTTPException, OSError):
                piece = None
            if not piece:
                break
            if size is not None and done + len(piece) > size:
                return done + len(piece)  # more than the model has: the caller rejects it
            try:
                view = memoryview(piece)
                while view:
                    written = fh.write(view)
                    if not written:
                        raise OSError(errno.ENOSPC, "nothing could be written")
                    view = view[written:]
            except OSError as exc:
                with contextlib.suppress(OSError):
                    fh.truncate(done)
                if exc.errno in _DISK_FULL:
                    raise DownloadError(t("model_errors.download_disk_full",
                                          done=human_bytes(done))) from None
                raise DownloadError(t("model_errors.part_not_written", part=part,
                                      reason=exc.strerror)) from None
            digest.update(piece)
            done += len(piece)
            report(done)
        try:
            os.fsync(fh.fileno())
        except OSError as exc:
            raise DownloadError(t("model_errors.part_not_saved", part=part,
                                  reason=exc.strerror)) from None
    report(done, force=True)
    if piece is None:
        raise _interrupted(host, done)
    return done


def _interrupted(host: str, done: int) -> DownloadError:
    return DownloadError(t("model_errors.interrupted_after", host=host, done=human_bytes(done)))


def _mismatch(part: Path) -> DownloadError:
    part.unlink(missing_ok=True)
    return DownloadError(t("model_errors.sha_mismatch"))


def _move_into_place(part: Path, dest: Path) -> Path:
    try:
        os.replace(part, dest)
        dir_fd = os.open(dest.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)  # the new name survives a power cut
        finally:
            os.close(dir_fd)
    except OSError as exc:
        if not dest.exists():
            raise DownloadError(t("model_errors.rename_failed", dest=dest, reason=exc.strerror,
                                  part=part)) from None
    return dest


def download(url: str, dest: Path, *, sha256: str, size: int | None = None,
             progress: Callable[[Progress], None] | None = None,
             cancel: threading.Event | None = None, timeout: float = 30.0) -> Path:
    """Download `url` to `dest`, resuming `partial_path(dest)`, and return `dest`.

    `dest` appears only once the whole file's sha256 equals `sha256`. Every failure is a
    DownloadError whose sentence says what to do; KeyboardInterrupt propagates. Either way
    the partial file left behind is a clean prefix that the same call resumes.
    """
    dest = Path(dest)
    expected = sha256.strip().lower()
    if not _HEX64.fullmatch(expected):
        raise DownloadError(t("model_errors.bad_sha256", sha256=repr(sha256)))
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DownloadError(t("model_errors.bad_scheme"))
    host = parts.hostname
    if dest.exists():
        raise DownloadError(t("model_errors.dest_exists", dest=dest))
    part = partial_path(dest)
    have = part.stat().st_size if part.is_file() else 0
    if size is not None and have > size:
        part.unlink()
        have = 0
    if size is not None:
        _check_space(dest.parent, size - have)
    try:
        dest.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise DownloadError(t("model_errors.folder_not_created", folder=dest.parent,
                              reason=exc.strerror)) from None
    digest = hashlib.sha256()
    if have:
        have = _hash_partial(part, digest, have, progress, cancel)
        if have == size:  # finished last time but not renamed: no network needed
            if digest.hexdigest() == expected:
                return _move_into_place(part, dest)
            part.unlink()
            have, digest = 0, hashlib.sha256()

    for _attempt in range(3):
        response = _open(url, have, timeout, part)
        if response is None:  # 416: the partial may already be the whole file
            if digest.hexdigest() == expected:
                return _move_into_place(part, dest)
            part.unlink(missing_ok=True)
            have, digest = 0, hashlib.sha256()
            continue
        with response:
            start, total = _start_and_total(response)
            if start != have:  # Range ignored (200) or another range answered: start over
                have, digest = 0, hashlib.sha256()
                if start != 0:
                    continue
            if size is not None and total is not None and total != size:
                raise DownloadError(t("model_errors.size_mismatch", host=host, total=total,
                                      size=size, kept=_kept(part)))
            if size is None and total is not None:
                _check_space(dest.parent, total - have)
            report = Reporter(progress, "downloading", total if total is not None else size,
                              PROGRESS_INTERVAL)
            done = _stream(response, part, digest, have, size, report, cancel)
        if size is not None and done > size:
            raise _mismatch(part)
        expected_end = total if total is not None else size
        if expected_end is not None and done < expected_end:
            raise _interrupted(host, done)
        if digest.hexdigest() != expected:
            raise _mismatch(part)
        return _move_into_place(part, dest)
    raise DownloadError(t("model_errors.no_rest", host=host))

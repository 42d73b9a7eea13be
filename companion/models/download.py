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
from companion.models.progress import Progress, Reporter, human_bytes

__all__ = ["DownloadCancelled", "DownloadError", "Progress", "download", "partial_path"]

CHUNK_SIZE = 1 << 20
"""Most bytes taken per read. Reads return what has arrived, so on a slow link cancel is
still noticed within one network read rather than after a whole MiB."""
SPACE_MARGIN = 64 << 20
"""Left free on the disk after the download, so the rest of the system keeps working."""
PROGRESS_INTERVAL = 0.1

_CANCELLED = ("The download was cancelled; the partial download is kept, run the same "
              "command again to resume.")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_UNREACHABLE: tuple[tuple[type[BaseException], str], ...] = (  # a cause in words, not a repr
    (socket.gaierror, "its name could not be looked up"),
    (ConnectionRefusedError, "the connection was refused"),
    (TimeoutError, "it did not answer in time"),
    (ssl.SSLCertVerificationError, "its security certificate could not be verified"),
    (ssl.SSLError, "a secure connection could not be made"),
)
_DISK_FULL = (errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC))


class DownloadError(ModelError):
    """A download failed; `str()` says what happened, what to do, and what became of the
    partial file, because the person decides whether to retry, wait, or try a mirror."""


class DownloadCancelled(DownloadError):
    """The person cancelled; the partial file is kept so the same call resumes it."""


def partial_path(dest: Path) -> Path:
    """Where the bytes collect until they are verified: `dest` never holds an unchecked file."""
    return dest.with_name(dest.name + ".part")


def _where(url: str) -> tuple[str, str]:
    """(host, URL fit to show): no user:password, query or fragment, which can hold tokens."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or "the server"
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    return host, f"{parts.scheme}://{netloc}{parts.path}"


def _kept(part: Path) -> str:
    """The clause telling the person an earlier partial download is still there."""
    with contextlib.suppress(OSError):
        if part.stat().st_size > 0:
            return " (the partial download is kept)"
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
        raise DownloadError(
            f"There is not enough free space in {folder}: the download needs "
            f"{human_bytes(needed + SPACE_MARGIN)} (including {human_bytes(SPACE_MARGIN)} to "
            f"spare) but only {human_bytes(free)} is free; free some space and try again."
        )


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
            raise DownloadError(f"The model file was not found at {shown} (HTTP {code}); "
                                f"check the address or try another mirror{kept}.") from None
        if 300 <= code < 400:
            what = ("kept redirecting in a loop" if "loop" in str(exc.reason)
                    else f"sent a redirect that cannot be followed (HTTP {code})")
            raise DownloadError(f"The server at {host} {what}, so nothing was downloaded; "
                                f"try again later or try another mirror{kept}.") from None
        if code >= 500:
            rest = ("the partial download is kept, try again later to resume" if kept
                    else "try again later or try another mirror")
            raise DownloadError(
                f"The server at {host} had a problem (HTTP {code}); {rest}.") from None
        raise DownloadError(f"The server at {host} refused the download (HTTP {code}); "
                            f"check the address or try another mirror{kept}.") from None
    except urllib.error.URLError as exc:
        why = next((words for kind, words in _UNREACHABLE if isinstance(exc.reason, kind)),
                    "no connection")
        raise DownloadError(f"Could not reach {host} ({why}); "
                            f"check the connection or use --mirror{kept}.") from None
    except (http.client.HTTPException, OSError):  # the server hung up before answering
        raise DownloadError(f"The connection to {host} was interrupted before the download "
                            f"started; run the same command again{kept}.") from None


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
                    raise DownloadCancelled(_CANCELLED)
                digest.update(chunk)
                done += len(chunk)
                report(done)
    except OSError as exc:
        raise DownloadError(f"The partial download {part} cannot be read ({exc.strerror}); "
                            "delete it and try again.") from None
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
        raise DownloadError(f"Could not write {part} ({exc.strerror}); check the folder's "
                            "permissions.") from None
    with fh:
        fh.truncate(offset)
        fh.seek(offset)
        report(done, force=True)
        while True:
            if cancel is not None and cancel.is_set():
                with contextlib.suppress(OSError):
                    os.fsync(fh.fileno())
                raise DownloadCancelled(_CANCELLED)
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
                    raise DownloadError(
                        f"The disk is full (or the file is too large for it) after "
                        f"{human_bytes(done)}; the partial download is kept, free some space and "
                        "run the same command to resume.") from None
                raise DownloadError(f"Could not write {part} ({exc.strerror}); the partial "
                                    "download is kept, run the same command to resume.") from None
            digest.update(piece)
            done += len(piece)
            report(done)
        try:
            os.fsync(fh.fileno())
        except OSError as exc:
            raise DownloadError(f"Could not save {part} ({exc.strerror}); free some disk space "
                                "and run the same command to resume.") from None
    report(done, force=True)
    if piece is None:
        raise _interrupted(host, done)
    return done


def _interrupted(host: str, done: int) -> DownloadError:
    return DownloadError(f"The connection to {host} was interrupted after {human_bytes(done)}; the "
                         "partial download is kept, run the same command again to resume.")


def _mismatch(part: Path) -> DownloadError:
    part.unlink(missing_ok=True)
    return DownloadError("The downloaded file did not match the expected sha256 fingerprint, "
                         "so it was deleted; try again, or try another mirror.")


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
            raise DownloadError(f"The verified download could not be renamed to {dest} "
                                f"({exc.strerror}); it is kept as {part}.") from None
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
        raise DownloadError(f"{sha256!r} is not a sha256 fingerprint (64 hexadecimal "
                            "characters); check the model's entry.")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DownloadError("A model can only be downloaded from an http:// or https:// "
                            "address; check the URL or the mirror.")
    host = parts.hostname
    if dest.exists():
        raise DownloadError(f"{dest} already exists, so nothing was downloaded; "
                            "remove it first to download it again.")
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
        raise DownloadError(f"Could not create the folder {dest.parent} ({exc.strerror}); "
                            "check its permissions.") from None
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
                raise DownloadError(
                    f"The server at {host} offers a file of {total} bytes but the model has "
                    f"{size}, so nothing was downloaded; try another mirror{_kept(part)}.")
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
    raise DownloadError(f"The server at {host} did not send the rest of the file when asked; "
                        "try another mirror.")

"""Writing a new private file: mode 0600 from the first byte, never over another file,
whole or not at all.

Backups and plaintext exports both need this. On Linux the file is written unnamed
(O_TMPFILE) and only linked into its folder when complete, so even a power cut leaves
no half file; elsewhere a hidden temp file in the same folder is renamed into place.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import IO

from companion.errors import UsageError
from companion.i18n import t

# writing a new file: 0600, whole or not at all, never over another ------------------


def check_new_file(out: Path) -> None:
    """Refuse early, before any work or any passphrase, if OUT cannot be a new file."""
    if out.exists() or out.is_symlink():
        raise UsageError(t("vault_errors.file_exists", out=out))
    if not out.parent.is_dir():
        raise UsageError(t("vault_errors.no_folder", folder=out.parent))


def fsync_dir(folder: Path) -> None:
    """Make a rename or delete in `folder` durable; best effort where it cannot be."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_all(fd: int, write: Callable[[IO[bytes]], None]) -> None:
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "wb", closefd=False) as handle:
        write(handle)
        handle.flush()
        os.fsync(fd)


def _write_unnamed(out: Path, write: Callable[[IO[bytes]], None]) -> bool:
    """Linux: write an unnamed file and link it in when complete; False if unsupported."""
    flag = getattr(os, "O_TMPFILE", 0)
    if not flag or not Path("/proc/self/fd").is_dir():
        return False
    try:
        fd = os.open(out.parent, flag | os.O_WRONLY, 0o600)
    except OSError:
        return False  # the file system has no unnamed files (EOPNOTSUPP, EISDIR, …)
    try:
        _write_all(fd, write)
        try:
            os.link(f"/proc/self/fd/{fd}", out, follow_symlinks=True)
        except FileExistsError:
            raise
        except OSError:
            return False
    finally:
        os.close(fd)
    return True


def _write_named(out: Path, write: Callable[[IO[bytes]], None]) -> None:
    tmp = out.with_name(f".{out.name}.{secrets.token_hex(4)}.part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0),
                 0o600)
    try:
        try:
            _write_all(fd, write)
        finally:
            os.close(fd)
        try:
            os.link(tmp, out)  # fails if OUT appeared meanwhile: never replaces it
        except FileExistsError:
            raise
        except OSError:  # no hard links here (FAT, some network folders)
            if out.exists():
                raise FileExistsError(errno.EEXIST, "exists", str(out)) from None
            os.rename(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)


def write_new_file(out: Path, write: Callable[[IO[bytes]], None]) -> None:
    """Create OUT with mode 0600 holding what `write` puts in the handle it is given.

    OUT appears complete or not at all and an existing OUT is never replaced. `write`
    may be called twice (when unnamed files turn out unsupported), so it must be
    repeatable.
    """
    check_new_file(out)
    try:
        if not _write_unnamed(out, write):
            _write_named(out, write)
    except FileExistsError:
        raise UsageError(t("vault_errors.file_exists", out=out)) from None
    except OSError as exc:
        raise UsageError(t("vault_errors.not_written", out=out,
                           reason=exc.strerror or exc)) from None
    fsync_dir(out.parent)

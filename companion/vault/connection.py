"""Opening the SQLCipher database with a raw key, and proving it is really encrypted.

Plain SQLite silently ignores `PRAGMA key`, so a missing SQLCipher would store the
user's words in the clear: `cipher_version` must answer before anything is written.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlcipher3

from companion.errors import CompanionError, DiskFull, VaultDamaged
from companion.i18n import t

Connection = Any  # sqlcipher3 ships no type stubs


def open_database(path: Path, data_key: bytes) -> Connection:
    """Open (or create) the encrypted database; raise VaultDamaged naming the file.

    SQLCipher's own log lines go nowhere (they would reach the person's terminal), and
    `quick_check` reads every page at open, so damage is found here, in one sentence,
    not in the middle of a conversation.
    """
    conn = sqlcipher3.connect(str(path), isolation_level=None, check_same_thread=False)
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(f"PRAGMA key = \"x'{data_key.hex()}'\"")
        version = conn.execute("PRAGMA cipher_version").fetchone()
        if not version or not version[0]:
            raise VaultDamaged(t("vault_errors.no_sqlcipher"))
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            checked = conn.execute("PRAGMA quick_check").fetchone()
            if not checked or checked[0] != "ok":
                raise sqlcipher3.DatabaseError("quick_check")
            conn.execute("PRAGMA journal_mode = WAL")
        except sqlcipher3.DatabaseError as exc:
            if is_disk_full(exc):
                raise disk_full() from None
            raise VaultDamaged(t("vault_errors.vault_damaged", path=path)) from None
        _owner_only(path)
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA secure_delete = ON")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA temp_store = MEMORY")
    except BaseException:
        conn.close()
        raise
    return conn


def disk_full() -> DiskFull:
    """Looked up when raised, so the sentence is in the language in effect then."""
    return DiskFull(t("vault_errors.disk_full"))


def is_disk_full(exc: BaseException) -> bool:
    """SQLite's SQLITE_FULL, or the OS saying there is no space left."""
    if isinstance(exc, OSError):
        return exc.errno == 28  # ENOSPC
    return "full" in str(exc).lower()


def explain(exc: BaseException) -> CompanionError | None:
    """A database error raised mid-command, as the one sentence the person should see."""
    if is_disk_full(exc):
        return disk_full()
    if isinstance(exc, sqlcipher3.DatabaseError):
        return VaultDamaged(t("vault_errors.unreadable"))
    return None


@contextmanager
def transaction(conn: Connection) -> Iterator[Connection]:
    """One atomic unit of work: all of it lands on disk, or none of it."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _owner_only(path: Path) -> None:
    """The database and its WAL and SHM files: readable by their owner only, whatever the
    umask of the process that made them (an older version made them 0644)."""
    for suffix in ("", "-wal", "-shm"):
        try:
            os.chmod(f"{path}{suffix}", 0o600)
        except FileNotFoundError:
            continue
        except OSError:  # a file system without modes (FAT on a USB stick): nothing to do
            continue

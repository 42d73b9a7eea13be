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

from companion.errors import VaultDamaged

Connection = Any  # sqlcipher3 ships no type stubs


def open_database(path: Path, data_key: bytes) -> Connection:
    """Open (or create) the encrypted database; raise VaultDamaged naming the file."""
    conn = sqlcipher3.connect(str(path), isolation_level=None, check_same_thread=False)
    try:
        conn.execute(f"PRAGMA key = \"x'{data_key.hex()}'\"")
        version = conn.execute("PRAGMA cipher_version").fetchone()
        if not version or not version[0]:
            raise VaultDamaged(
                "This Python's SQLCipher is missing, so the vault cannot be encrypted; "
                "reinstall companion with its setup command."
            )
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlcipher3.DatabaseError:
            raise VaultDamaged(
                f"The vault {path} is damaged or does not match its key file; restore it "
                "from a backup (nothing was changed)."
            ) from None
        conn.execute("PRAGMA journal_mode = WAL")
        _owner_only(path)
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA secure_delete = ON")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA temp_store = MEMORY")
    except BaseException:
        conn.close()
        raise
    return conn


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

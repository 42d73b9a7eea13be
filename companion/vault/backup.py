"""Backups of the vault: one file that opens only with the passphrase.

The backup format (version 1) is an uncompressed POSIX tar with exactly three members:

    companion-backup.json  the manifest: {"format": "companion-backup", "version": 1,
                           "created_at", "schema_version", "files": {name: {"size",
                           "sha256"}}}; sizes and hashes of ciphertext, no words
    vault.key              the key file byte for byte: the data key wrapped by Argon2id and
                           AES-GCM, which is meant to live beside the database
    vault.db               a consistent snapshot made with SQLite's online backup API into a
                           new SQLCipher file under the same data key (rollback journal, so
                           the one file is the whole database)

Nothing in a backup is plaintext of the person's words. A backup opens with the
passphrase that was in force when it was made: changing the passphrase later re-wraps
the key inside the vault, not inside backups made before.

The file is written by `private_files.write_new_file` (0600, whole or not at all, never
over another file); restoring is `vault.restore`.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import IO

import sqlcipher3

from companion.errors import UsageError, VaultDamaged
from companion.i18n import t
from companion.vault import keys
from companion.vault.connection import Connection, open_database
from companion.vault.private_files import check_new_file, write_new_file
from companion.vault.vault import VaultStatus, vault_status

FORMAT = "companion-backup"
FORMAT_VERSION = 1
MANIFEST = "companion-backup.json"
KEY_MEMBER = "vault.key"
DB_MEMBER = "vault.db"
PLAIN_HEADER = b"SQLite format 3\x00"
"""How an unencrypted SQLite file begins; a backup must never start like this."""
CHUNK = 1024 * 1024


# backup -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    size: int
    schema_version: int
    created_at: str


def keyed(path: Path, data_key: bytes) -> Connection:
    conn = sqlcipher3.connect(str(path), isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA key = \"x'{data_key.hex()}'\"")
    return conn


def _check_snapshot(path: Path, data_key: bytes) -> int:
    """The copy must be ciphertext on disk and whole when read with the key."""
    with path.open("rb") as handle:
        if handle.read(16) == PLAIN_HEADER:
            raise VaultDamaged(t("vault_errors.backup_unencrypted"))
    conn = keyed(path, data_key)
    try:
        if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise sqlcipher3.DatabaseError("quick_check")
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    except sqlcipher3.DatabaseError:
        raise VaultDamaged(t("vault_errors.backup_unreadable")) from None
    finally:
        conn.close()


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _tar_member(tar: tarfile.TarFile, name: str, size: int, data: IO[bytes]) -> None:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = 0o600
    info.mtime = int(time.time())
    tar.addfile(info, data)


def create_backup(db_path: Path, key_path: Path, passphrase: str, out: Path) -> BackupInfo:
    """Write an encrypted backup of the vault to OUT (a new file); see the module doc."""
    check_new_file(out)
    if vault_status(db_path, key_path) is VaultStatus.NEW:
        raise UsageError(t("vault_errors.backup_no_vault", folder=db_path.parent))
    key_bytes = key_path.read_bytes()
    data_key = keys.read_key_file(key_path, passphrase)
    if key_path.read_bytes() != key_bytes:
        raise UsageError(t("vault_errors.backup_passphrase_changed"))
    created = datetime.now(timezone.utc).isoformat(timespec="seconds")
    try:
        schema = _snapshot_and_write(db_path, data_key, key_bytes, created, out)
    except (OSError, sqlcipher3.DatabaseError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise UsageError(t("vault_errors.backup_not_written", out=out, reason=reason)) from None
    return BackupInfo(out, out.stat().st_size, schema, created)


def _snapshot_and_write(db_path: Path, data_key: bytes, key_bytes: bytes, created: str,
                        out: Path) -> int:
    with tempfile.TemporaryDirectory(prefix=f".{out.name}.", dir=out.parent) as tmp:
        snapshot = Path(tmp) / DB_MEMBER
        source = open_database(db_path, data_key)
        try:
            target = keyed(snapshot, data_key)
            try:
                source.backup(target)  # one step: a consistent snapshot under a read lock
                target.execute("PRAGMA journal_mode = DELETE")  # one file, no -wal
            finally:
                target.close()
        finally:
            source.close()
        schema = _check_snapshot(snapshot, data_key)
        manifest = json.dumps({
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "created_at": created,
            "schema_version": schema,
            "files": {
                KEY_MEMBER: {"size": len(key_bytes),
                             "sha256": hashlib.sha256(key_bytes).hexdigest()},
                DB_MEMBER: {"size": snapshot.stat().st_size,
                            "sha256": _sha256_file(snapshot)},
            },
        }, indent=2).encode("utf-8")

        def write(handle: IO[bytes]) -> None:
            with tarfile.open(fileobj=handle, mode="w", format=tarfile.USTAR_FORMAT) as tar:
                _tar_member(tar, MANIFEST, len(manifest), io.BytesIO(manifest))
                _tar_member(tar, KEY_MEMBER, len(key_bytes), io.BytesIO(key_bytes))
                with snapshot.open("rb") as db:
                    _tar_member(tar, DB_MEMBER, snapshot.stat().st_size, db)

        write_new_file(out, write)
    return schema

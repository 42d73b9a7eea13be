"""Backups of the vault: one file that opens only with the passphrase, and restoring it.

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

Files written here (backups, and the plaintext exports that reuse `write_new_file`) are
0600 from the first byte, never replace an existing file, and appear whole or not at
all: on Linux they are written as an unnamed file (O_TMPFILE) and only linked into the
folder when complete, so even a power cut leaves no half file behind.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import json
import os
import secrets
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import IO

import sqlcipher3

from companion.errors import UsageError, VaultDamaged, WrongPassphrase
from companion.vault import keys
from companion.vault.connection import Connection, open_database
from companion.vault.migrations import MIGRATIONS, migrate
from companion.vault.vault import VaultStatus, vault_status

FORMAT = "companion-backup"
FORMAT_VERSION = 1
MANIFEST = "companion-backup.json"
KEY_MEMBER = "vault.key"
DB_MEMBER = "vault.db"
MEMBERS = (MANIFEST, KEY_MEMBER, DB_MEMBER)
_SMALL = 64 * 1024  # the manifest and the key file are tiny; anything bigger is not ours
_PLAIN_HEADER = b"SQLite format 3\x00"
_CHUNK = 1024 * 1024
RESTORE_PREFIX = ".restoring-"
"""Names of half-restored files in the data folder start with this (forget removes them)."""


# writing a new file: 0600, whole or not at all, never over another ------------------


def check_new_file(out: Path) -> None:
    """Refuse early, before any work or any passphrase, if OUT cannot be a new file."""
    if out.exists() or out.is_symlink():
        raise UsageError(f"{out} already exists; choose a new name (nothing was written).")
    if not out.parent.is_dir():
        raise UsageError(f"The folder {out.parent} does not exist; nothing was written.")


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
        raise UsageError(f"{out} already exists; choose a new name (nothing was written).")\
            from None
    except OSError as exc:
        raise UsageError(f"Could not write {out} ({exc.strerror or exc}); nothing was "
                         "written.") from None
    fsync_dir(out.parent)


# backup -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    size: int
    schema_version: int
    created_at: str


def _keyed(path: Path, data_key: bytes) -> Connection:
    conn = sqlcipher3.connect(str(path), isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA key = \"x'{data_key.hex()}'\"")
    return conn


def _check_snapshot(path: Path, data_key: bytes) -> int:
    """The copy must be ciphertext on disk and whole when read with the key."""
    with path.open("rb") as handle:
        if handle.read(16) == _PLAIN_HEADER:
            raise VaultDamaged("The copy of the vault came out unencrypted, so no backup was "
                               "written; check that companion's SQLCipher is installed.")
    conn = _keyed(path, data_key)
    try:
        if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise sqlcipher3.DatabaseError("quick_check")
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    except sqlcipher3.DatabaseError:
        raise VaultDamaged("The copy of the vault did not read back whole, so no backup "
                           "was written; check the disk and try again.") from None
    finally:
        conn.close()


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
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
        raise UsageError(f"There is no vault in {db_path.parent} yet, so there is nothing "
                         "to back up.")
    key_bytes = key_path.read_bytes()
    data_key = keys.read_key_file(key_path, passphrase)
    if key_path.read_bytes() != key_bytes:
        raise UsageError("The passphrase changed while the backup was starting; run it again.")
    created = datetime.now(timezone.utc).isoformat(timespec="seconds")
    try:
        schema = _snapshot_and_write(db_path, data_key, key_bytes, created, out)
    except (OSError, sqlcipher3.DatabaseError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise UsageError(f"Could not write the backup {out} ({reason}); nothing was "
                         "written.") from None
    return BackupInfo(out, out.stat().st_size, schema, created)


def _snapshot_and_write(db_path: Path, data_key: bytes, key_bytes: bytes, created: str,
                        out: Path) -> int:
    with tempfile.TemporaryDirectory(prefix=f".{out.name}.", dir=out.parent) as tmp:
        snapshot = Path(tmp) / DB_MEMBER
        source = open_database(db_path, data_key)
        try:
            target = _keyed(snapshot, data_key)
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


# restore ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RestoreInfo:
    created_at: str
    schema_from: int
    schema_to: int
    conversations: int
    journal: int


def vault_files(db_path: Path, key_path: Path) -> list[Path]:
    """Every file of the vault that exists now, the key first."""
    names = [key_path, key_path.with_name(key_path.name + ".tmp"), db_path,
             Path(f"{db_path}-wal"), Path(f"{db_path}-shm"), Path(f"{db_path}-journal")]
    found = [p for p in names if p.exists() or p.is_symlink()]
    if db_path.parent.is_dir():
        found += sorted(db_path.parent.glob(RESTORE_PREFIX + "*"))
    return found


def occupied(db_path: Path, key_path: Path) -> list[Path]:
    """The vault files that make a data folder not empty; leftovers of a restore that
    was cut short do not count (the next restore removes them)."""
    return [p for p in vault_files(db_path, key_path)
            if not p.name.startswith(RESTORE_PREFIX)]


def _not_a_backup(source: Path) -> UsageError:
    return UsageError(f"{source} is not a companion backup; nothing was changed.")


def _damaged(source: Path, what: str) -> VaultDamaged:
    return VaultDamaged(f"The backup {source} is damaged ({what}); nothing was changed.")


@dataclass(frozen=True)
class _Opened:
    tar: tarfile.TarFile
    manifest: dict[str, object]
    files: dict[str, dict[str, object]]
    key_bytes: bytes


def _read_small(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    handle = tar.extractfile(member)
    assert handle is not None
    return handle.read(_SMALL + 1)


def _open_tar(source: Path) -> tarfile.TarFile:
    if not source.is_file():
        raise UsageError(f"There is no backup file {source}; nothing was changed.")
    try:
        return tarfile.open(source, mode="r:")  # the caller closes it
    except (tarfile.TarError, OSError, EOFError):
        raise _not_a_backup(source) from None


def _open_backup(source: Path, tar: tarfile.TarFile) -> _Opened:
    """Read and check the manifest and the key file; the database is checked as written."""
    try:
        members = {m.name: m for m in tar.getmembers()}
    except (tarfile.TarError, EOFError, OSError):
        raise _damaged(source, "it ends too soon") from None
    if MANIFEST not in members:
        raise _not_a_backup(source)
    if set(members) != set(MEMBERS) or not all(m.isreg() for m in members.values()):
        raise _damaged(source, "it does not hold exactly a manifest, a key and a database")
    if members[MANIFEST].size > _SMALL or members[KEY_MEMBER].size > _SMALL:
        raise _damaged(source, "its manifest or key file is far too big")
    try:
        manifest = json.loads(_read_small(tar, members[MANIFEST]).decode("utf-8"))
    except (ValueError, tarfile.TarError, EOFError, OSError):
        raise _damaged(source, "its manifest cannot be read") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _not_a_backup(source)
    version = manifest.get("version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise UsageError(f"{source} was made by a newer companion; update companion to "
                         "restore it (nothing was changed).")
    schema = manifest.get("schema_version")
    if not isinstance(schema, int) or schema > len(MIGRATIONS):
        raise UsageError(f"{source} holds a vault from a newer companion; update "
                         "companion to restore it (nothing was changed).")
    files = manifest.get("files")
    if not isinstance(files, dict) or not all(
            isinstance(files.get(n), dict) for n in (KEY_MEMBER, DB_MEMBER)):
        raise _damaged(source, "its manifest is incomplete")
    try:
        key_bytes = _read_small(tar, members[KEY_MEMBER])
    except (tarfile.TarError, EOFError, OSError):
        raise _damaged(source, "its key file cannot be read") from None
    if hashlib.sha256(key_bytes).hexdigest() != files[KEY_MEMBER].get("sha256"):
        raise _damaged(source, "its key file does not match its manifest")
    return _Opened(tar, manifest, files, key_bytes)


def _unwrap(source: Path, key_bytes: bytes, passphrase: str) -> bytes:
    """Check the passphrase against the backup's key file, writing nothing in the home."""
    with tempfile.TemporaryDirectory(prefix="companion-restore-") as tmp:
        key_file = Path(tmp) / "vault.key"
        key_file.write_bytes(key_bytes)  # only the wrapped key: safe anywhere
        try:
            return keys.read_key_file(key_file, passphrase)
        except VaultDamaged:
            raise _damaged(source, "its key file cannot be read") from None
        except WrongPassphrase:
            raise WrongPassphrase(
                f"That passphrase does not open the backup {source} (it needs the passphrase "
                "in force when it was made); nothing was changed.") from None


def _new_private(path: Path) -> int:
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0),
                   0o600)


def _place(tmp: Path, final: Path) -> None:
    """Give `tmp` its final name without ever replacing a file that appeared meanwhile."""
    try:
        os.link(tmp, final)
    except FileExistsError:
        raise UsageError(f"{final} appeared while restoring; nothing was changed.") from None
    except OSError:
        if final.exists():
            raise UsageError(f"{final} appeared while restoring; nothing was changed.") \
                from None
        os.rename(tmp, final)
    tmp.unlink(missing_ok=True)


def restore_backup(source: Path, db_path: Path, key_path: Path,
                   passphrase: str) -> RestoreInfo:
    """Bring a backup into an empty data folder; see the module doc for the format.

    Order: refuse a folder that already holds a vault; read and check the manifest and
    key file; check the passphrase (before anything is written); write the database
    under a temporary name while checking its hash; check it opens with the key; give
    both files their names; open the restored vault, walking older schemas forward.
    """
    present = occupied(db_path, key_path)
    if present:
        raise UsageError(f"There is already a vault in {db_path.parent} ({present[0].name}); "
                         "restore only into an empty home (--home DIR), nothing was changed.")
    with _open_tar(source) as tar:
        try:
            return _restore(source, _open_backup(source, tar), db_path, key_path, passphrase)
        except OSError as exc:
            raise UsageError(f"Could not restore into {db_path.parent} "
                             f"({exc.strerror or exc}); nothing was changed.") from None


def _restore(source: Path, opened: _Opened, db_path: Path, key_path: Path,
             passphrase: str) -> RestoreInfo:
    placed: list[Path] = []
    tmp_db = db_path.with_name(f"{RESTORE_PREFIX}{secrets.token_hex(4)}-{db_path.name}")
    tmp_key = key_path.with_name(f"{RESTORE_PREFIX}{secrets.token_hex(4)}-{key_path.name}")
    try:
        data_key = _unwrap(source, opened.key_bytes, passphrase)
        for stale in vault_files(db_path, key_path):  # left by a restore cut short
            stale.unlink(missing_ok=True)
        db_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        _write_db(source, opened, tmp_db)
        _check_restored(source, tmp_db, data_key)
        fd = _new_private(tmp_key)
        with os.fdopen(fd, "wb") as handle:
            handle.write(opened.key_bytes)
            handle.flush()
            os.fsync(handle.fileno())
        _place(tmp_db, db_path)
        placed.append(db_path)
        _place(tmp_key, key_path)
        placed.append(key_path)
        fsync_dir(db_path.parent)
        conn = open_database(db_path, data_key)
        try:
            schema_from = int(conn.execute("PRAGMA user_version").fetchone()[0])
            schema_to = migrate(conn)
            counts = [int(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0])
                      for t in ("conversations", "journal")]
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()
    except BaseException:
        leftovers = [tmp_db, Path(f"{tmp_db}-wal"), Path(f"{tmp_db}-shm"), tmp_key]
        if placed:  # the folder was empty before: whatever is there now is ours
            leftovers += [*placed, Path(f"{db_path}-wal"), Path(f"{db_path}-shm")]
        for leftover in leftovers:
            leftover.unlink(missing_ok=True)
        raise
    return RestoreInfo(str(opened.manifest.get("created_at", "")), schema_from, schema_to,
                       *counts)


def _write_db(source: Path, opened: _Opened, tmp_db: Path) -> None:
    record = opened.files[DB_MEMBER]
    digest = hashlib.sha256()
    size = 0
    fd = _new_private(tmp_db)
    with os.fdopen(fd, "wb") as out:
        try:
            member = opened.tar.getmember(DB_MEMBER)
            data = opened.tar.extractfile(member)
            assert data is not None
            while chunk := data.read(_CHUNK):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
        except (tarfile.TarError, EOFError) as exc:
            raise _damaged(source, f"its database cannot be read: {exc}") from None
        out.flush()
        os.fsync(out.fileno())
    if size != record.get("size") or digest.hexdigest() != record.get("sha256"):
        raise _damaged(source, "its database does not match its manifest")


def _check_restored(source: Path, tmp_db: Path, data_key: bytes) -> None:
    with tmp_db.open("rb") as handle:
        if handle.read(16) == _PLAIN_HEADER:
            raise _damaged(source, "its database is not encrypted")
    conn = _keyed(tmp_db, data_key)
    try:
        if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise _damaged(source, "its database fails SQLite's check")
    except sqlcipher3.DatabaseError:
        raise _damaged(source, "its database does not open with its key") from None
    finally:
        conn.close()

"""Restoring a backup into an empty home, checking the passphrase before writing.

Nothing is overwritten: a data folder holding a vault is refused, the key is unwrapped
before a byte is written, both files arrive under temporary names and are checked (hash,
then opening with the key) before they take their real names, and an older schema is
migrated forward once the vault opens.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

import sqlcipher3

from companion.errors import UsageError, VaultDamaged, WrongPassphrase
from companion.i18n import t
from companion.vault import keys
from companion.vault.backup import (
    CHUNK,
    DB_MEMBER,
    FORMAT,
    FORMAT_VERSION,
    KEY_MEMBER,
    MANIFEST,
    PLAIN_HEADER,
    keyed,
)
from companion.vault.connection import open_database
from companion.vault.migrations import MIGRATIONS, migrate
from companion.vault.private_files import fsync_dir

MEMBERS = (MANIFEST, KEY_MEMBER, DB_MEMBER)
_SMALL = 64 * 1024  # the manifest and the key file are tiny; anything bigger is not ours
RESTORE_PREFIX = ".restoring-"
"""Names of half-restored files in the data folder start with this (forget removes them)."""


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
    names = [key_path, key_path.with_name(key_path.name + ".tmp"),
             keys.pending_key_path(key_path), db_path,
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
    return UsageError(t("vault_errors.not_a_backup", source=source))


def _damaged(source: Path, what: str) -> VaultDamaged:
    return VaultDamaged(t("vault_errors.backup_damaged", source=source, what=what))


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
        raise UsageError(t("vault_errors.no_backup_file", source=source))
    try:
        return tarfile.open(source, mode="r:")  # the caller closes it
    except (tarfile.TarError, OSError, EOFError):
        raise _not_a_backup(source) from None


def _open_backup(source: Path, tar: tarfile.TarFile) -> _Opened:
    """Read and check the manifest and the key file; the database is checked as written."""
    try:
        members = {m.name: m for m in tar.getmembers()}
    except (tarfile.TarError, EOFError, OSError):
        raise _damaged(source, t("vault_errors.damaged_too_short")) from None
    if MANIFEST not in members:
        raise _not_a_backup(source)
    if set(members) != set(MEMBERS) or not all(m.isreg() for m in members.values()):
        raise _damaged(source, t("vault_errors.damaged_members"))
    if members[MANIFEST].size > _SMALL or members[KEY_MEMBER].size > _SMALL:
        raise _damaged(source, t("vault_errors.damaged_too_big"))
    try:
        manifest = json.loads(_read_small(tar, members[MANIFEST]).decode("utf-8"))
    except (ValueError, tarfile.TarError, EOFError, OSError):
        raise _damaged(source, t("vault_errors.damaged_manifest_unreadable")) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _not_a_backup(source)
    version = manifest.get("version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise UsageError(t("vault_errors.backup_newer", source=source))
    schema = manifest.get("schema_version")
    if not isinstance(schema, int) or schema > len(MIGRATIONS):
        raise UsageError(t("vault_errors.backup_vault_newer", source=source))
    files = manifest.get("files")
    if not isinstance(files, dict) or not all(
            isinstance(files.get(n), dict) for n in (KEY_MEMBER, DB_MEMBER)):
        raise _damaged(source, t("vault_errors.damaged_manifest_incomplete"))
    try:
        key_bytes = _read_small(tar, members[KEY_MEMBER])
    except (tarfile.TarError, EOFError, OSError):
        raise _damaged(source, t("vault_errors.damaged_key_unreadable")) from None
    if hashlib.sha256(key_bytes).hexdigest() != files[KEY_MEMBER].get("sha256"):
        raise _damaged(source, t("vault_errors.damaged_key_mismatch"))
    return _Opened(tar, manifest, files, key_bytes)


def check_backup(source: Path) -> None:
    """Refuse a file that is not a readable backup before anyone is asked for a passphrase."""
    with _open_tar(source) as tar:
        _open_backup(source, tar)


def _unwrap(source: Path, key_bytes: bytes, passphrase: str) -> bytes:
    """Check the passphrase against the backup's key file, writing nothing in the home."""
    with tempfile.TemporaryDirectory(prefix="companion-restore-") as tmp:
        key_file = Path(tmp) / "vault.key"
        key_file.write_bytes(key_bytes)  # only the wrapped key: safe anywhere
        try:
            return keys.read_key_file(key_file, passphrase)
        except VaultDamaged:
            raise _damaged(source, t("vault_errors.damaged_key_unreadable")) from None
        except WrongPassphrase:
            raise WrongPassphrase(t("vault_errors.backup_wrong_passphrase",
                                    source=source)) from None


def _new_private(path: Path) -> int:
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0),
                   0o600)


def _place(tmp: Path, final: Path) -> None:
    """Give `tmp` its final name without ever replacing a file that appeared meanwhile."""
    try:
        os.link(tmp, final)
    except FileExistsError:
        raise UsageError(t("vault_errors.restore_appeared", path=final)) from None
    except OSError:
        if final.exists():
            raise UsageError(t("vault_errors.restore_appeared", path=final)) from None
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
        raise UsageError(t("vault_errors.restore_not_empty", folder=db_path.parent,
                           name=present[0].name))
    with _open_tar(source) as tar:
        try:
            return _restore(source, _open_backup(source, tar), db_path, key_path, passphrase)
        except OSError as exc:
            raise UsageError(t("vault_errors.restore_failed", folder=db_path.parent,
                               reason=exc.strerror or exc)) from None


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
            while chunk := data.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
        except (tarfile.TarError, EOFError) as exc:
            raise _damaged(source, t("vault_errors.damaged_database_unreadable",
                                     detail=exc)) from None
        out.flush()
        os.fsync(out.fileno())
    if size != record.get("size") or digest.hexdigest() != record.get("sha256"):
        raise _damaged(source, t("vault_errors.damaged_database_mismatch"))


def _check_restored(source: Path, tmp_db: Path, data_key: bytes) -> None:
    with tmp_db.open("rb") as handle:
        if handle.read(16) == PLAIN_HEADER:
            raise _damaged(source, t("vault_errors.damaged_not_encrypted"))
    conn = keyed(tmp_db, data_key)
    try:
        if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise _damaged(source, t("vault_errors.damaged_check_failed"))
    except sqlcipher3.DatabaseError:
        raise _damaged(source, t("vault_errors.damaged_wrong_key")) from None
    finally:
        conn.close()

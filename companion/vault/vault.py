"""Creating and unlocking the vault as a whole.

Existing data is never overwritten: a vault is created only where neither the
database nor its key file exists, and a half-present vault is reported, not repaired.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

from companion.errors import VaultDamaged
from companion.i18n import t
from companion.vault import keys
from companion.vault.care import Contacts, Exercises, SafetyPlan, Usage
from companion.vault.connection import Connection, open_database
from companion.vault.conversations import Conversations
from companion.vault.migrations import migrate
from companion.vault.pins import Pins
from companion.vault.private_files import fsync_dir
from companion.vault.records import (
    Commitments,
    Journal,
    Memories,
    Moods,
    Recalls,
    Search,
    Summaries,
)
from companion.vault.state import State
from companion.vault.status import VaultStatus, staging_folder, vault_status

__all__ = ["Vault", "VaultStatus", "vault_status"]


class Vault:
    """An open vault; one connection shared by the UI and worker threads under a lock."""

    def __init__(self, conn: Connection, db_path: Path) -> None:
        self._conn = conn
        self.path = db_path
        self.lock = threading.RLock()
        self.conversations = Conversations(conn)
        self.state = State(conn)
        self.pins = Pins(conn)
        self.journal = Journal(conn)
        self.memories = Memories(conn)
        self.summaries = Summaries(conn)
        self.commitments = Commitments(conn)
        self.moods = Moods(conn)
        self.recalls = Recalls(conn)
        self.search = Search(conn)
        self.safety_plan = SafetyPlan(conn)
        self.contacts = Contacts(conn)
        self.exercises = Exercises(conn)
        self.usage = Usage(conn)

    @classmethod
    def create(cls, db_path: Path, key_path: Path, passphrase: str,
               kdf: keys.KdfParams | None = None) -> Vault:
        """Make a new vault all or nothing: it is built in a staging folder beside and
        moved into place only when whole, so a kill at any moment leaves either no vault
        or a complete one (a move cut in two is finished by `vault_status`)."""
        if vault_status(db_path, key_path) is not VaultStatus.NEW:
            raise VaultDamaged(t("vault_errors.already_exists", db_path=db_path))
        db_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        staging = staging_folder(db_path)
        shutil.rmtree(staging, ignore_errors=True)  # never in place, so never used
        staging.mkdir(mode=0o700)
        data_key = keys.new_data_key()
        conn = open_database(staging / db_path.name, data_key)
        try:
            migrate(conn)
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()
        keys.write_key_file(staging / key_path.name, passphrase, data_key, kdf)
        fsync_dir(staging)
        os.replace(staging / db_path.name, db_path)  # the database first, then its key
        os.replace(staging / key_path.name, key_path)
        fsync_dir(db_path.parent)
        shutil.rmtree(staging, ignore_errors=True)
        return cls(open_database(db_path, data_key), db_path)

    @classmethod
    def unlock(cls, db_path: Path, key_path: Path, passphrase: keys.Secret) -> Vault:
        """Unwrap the key first, so a wrong passphrase never touches the database."""
        vault_status(db_path, key_path)
        data_key = keys.read_key_file(key_path, passphrase)
        conn = open_database(db_path, data_key)
        try:
            migrate(conn)
        except BaseException:
            conn.close()
            raise
        return cls(conn, db_path)

    def checkpoint(self) -> None:
        """Fold the WAL back into the database so deleted text leaves every file."""
        with self.lock:
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        with self.lock:
            try:
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                self._conn.close()

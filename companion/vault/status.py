"""Whether a vault is there: answered from the file system alone, before anything heavy
(SQLCipher, Argon2) is imported, so the first screen can say "create" or "unlock" at once.
"""

from __future__ import annotations

import enum
import os
from pathlib import Path

from companion.errors import VaultDamaged
from companion.i18n import t


class VaultStatus(enum.Enum):
    NEW = "new"
    EXISTS = "exists"


def staging_folder(db_path: Path) -> Path:
    """Where `Vault.create` builds a new vault before moving it into place."""
    return db_path.parent / ".vault-new"


def vault_status(db_path: Path, key_path: Path) -> VaultStatus:
    """NEW when nothing is there; EXISTS when both are; VaultDamaged when one is missing.

    A creation stopped between moving the database and its key into place is finished
    here: the key is still in the staging folder.
    """
    staged_key = staging_folder(db_path) / key_path.name
    if db_path.exists() and not key_path.exists() and staged_key.exists():
        os.replace(staged_key, key_path)
    db, key = db_path.exists(), key_path.exists()
    if db and key:
        return VaultStatus.EXISTS
    if not db and not key:
        return VaultStatus.NEW
    if db:
        raise VaultDamaged(t("vault_errors.missing_key_file", key_path=key_path,
                             db_path=db_path))
    raise VaultDamaged(t("vault_errors.missing_database", db_path=db_path))

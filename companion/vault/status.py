"""Whether a vault is there: answered from the file system alone, before anything heavy
(SQLCipher, Argon2) is imported, so the first screen can say "create" or "unlock" at once.
"""

from __future__ import annotations

import enum
from pathlib import Path

from companion.errors import VaultDamaged


class VaultStatus(enum.Enum):
    NEW = "new"
    EXISTS = "exists"


def vault_status(db_path: Path, key_path: Path) -> VaultStatus:
    """NEW when nothing is there; EXISTS when both are; VaultDamaged when one is missing."""
    db, key = db_path.exists(), key_path.exists()
    if db and key:
        return VaultStatus.EXISTS
    if not db and not key:
        return VaultStatus.NEW
    missing = key_path if db else db_path
    raise VaultDamaged(
        f"The vault is incomplete: {missing} is missing; restore it from a backup "
        "(nothing was changed)."
    )

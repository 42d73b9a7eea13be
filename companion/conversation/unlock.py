"""Getting from a passphrase to an open vault (the model is `pinned_model`'s job).

Shared by the CLI and the TUI so both give the same answers to the same mistakes.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from companion.errors import UsageError
from companion.paths import Paths
from companion.vault.status import VaultStatus, vault_status

if TYPE_CHECKING:  # asking whether a vault exists must stay light (the first frame does)
    from companion.vault import Vault


def needs_new_vault(paths: Paths) -> bool:
    return vault_status(paths.vault_db, paths.vault_key) is VaultStatus.NEW


def create_vault(paths: Paths, passphrase: str) -> Vault:
    from companion.care.personas import use_config_folder
    from companion.vault import Vault

    if not passphrase:
        raise UsageError("The passphrase cannot be empty; choose one you will remember.")
    paths.ensure()
    use_config_folder(paths.config)  # the person's own personas belong with this vault
    return Vault.create(paths.vault_db, paths.vault_key, passphrase)


def unlock_vault(paths: Paths, passphrase: str) -> Vault:
    from companion.care.personas import use_config_folder
    from companion.vault import Vault

    use_config_folder(paths.config)
    return Vault.unlock(paths.vault_db, paths.vault_key, passphrase)


def read_passphrase_file(file: Path) -> str:
    """The first line of FILE, without its line ending; spaces inside are kept."""
    try:
        with file.open(encoding="utf-8") as handle:
            line = handle.readline()
    except FileNotFoundError:
        raise UsageError(f"The passphrase file {file} does not exist.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"The passphrase file {file} cannot be read ({exc}).") from None
    return line.rstrip("\r\n")

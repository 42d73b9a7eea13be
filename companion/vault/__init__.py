"""The encrypted vault: everything companion knows, inside one SQLCipher file.

`Vault` is imported on first use (PEP 562): asking whether a vault exists must not
load SQLCipher and Argon2 before the app's first frame.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from companion.vault.status import VaultStatus, vault_status

if TYPE_CHECKING:
    from companion.vault.vault import Vault

__all__ = ["Vault", "VaultStatus", "vault_status"]


def __getattr__(name: str) -> Any:
    if name == "Vault":
        from companion.vault.vault import Vault

        return Vault
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""The encrypted vault: everything companion knows, inside one SQLCipher file."""

from companion.vault.vault import Vault, VaultStatus, vault_status

__all__ = ["Vault", "VaultStatus", "vault_status"]

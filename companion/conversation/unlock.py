"""Getting from a passphrase to an open vault (the model is `pinned_model`'s job).

Shared by the CLI and the TUI so both give the same answers to the same mistakes.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from companion.errors import CompanionError, UsageError
from companion.i18n import t
from companion.paths import Paths
from companion.vault.status import VaultStatus, vault_status

if TYPE_CHECKING:  # asking whether a vault exists must stay light (the first frame does)
    from companion.vault import Vault
    from companion.vault.keys import Secret

MAX_PASSPHRASE_BYTES = 64 * 1024
# Well-formed UTF-8 (Unicode table 3-7), what Python's strict decoder accepts: checked on
# the bytes so the passphrase never becomes a str that cannot be wiped.
_UTF8 = re.compile(rb"(?:[\x00-\x7f]|[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]"
                   rb"|[\xe1-\xec\xee\xef][\x80-\xbf]{2}|\xed[\x80-\x9f][\x80-\xbf]"
                   rb"|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
                   rb"|\xf4[\x80-\x8f][\x80-\xbf]{2})*")


def needs_new_vault(paths: Paths) -> bool:
    return vault_status(paths.vault_db, paths.vault_key) is VaultStatus.NEW


def create_vault(paths: Paths, passphrase: str) -> Vault:
    from companion.care.personas import use_config_folder
    from companion.vault import Vault

    check_new_passphrase(passphrase)
    paths.ensure()
    use_config_folder(paths.config)  # the person's own personas belong with this vault
    return Vault.create(paths.vault_db, paths.vault_key, passphrase)


def check_new_passphrase(passphrase: Secret) -> None:
    """The one rule for a new passphrase, when a vault is created and when it changes:
    not empty. (There is no minimum length; the person chooses.)"""
    if not passphrase:
        raise UsageError(t("conversation_errors.passphrase_empty"))


def unlock_vault(paths: Paths, passphrase: Secret) -> Vault:
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
        raise UsageError(t("conversation_errors.passphrase_file_missing", file=file)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(t("conversation_errors.passphrase_file_unreadable", file=file,
                           reason=exc)) from None
    return line.rstrip("\r\n")


def read_passphrase_bytes(file: Path) -> bytearray:
    """`read_passphrase_file` as a bytearray the caller can wipe: the same first line
    (ended by \\n, \\r\\n or \\r, as text mode reads it), checked to be UTF-8 without
    being decoded. Read in place, so no other copy is made; pipes work too."""
    buffer = bytearray(MAX_PASSPHRASE_BYTES)
    size, end = 0, -1
    try:
        with file.open("rb", buffering=0) as handle:
            while end < 0 and size < len(buffer):
                got = handle.readinto(memoryview(buffer)[size:])
                if not got:
                    break
                size += got
                ends = [i for i in (buffer.find(10, 0, size), buffer.find(13, 0, size))
                        if i >= 0]  # LF, CR
                end = min(ends, default=-1)
    except FileNotFoundError:
        raise UsageError(t("conversation_errors.passphrase_file_missing", file=file)) from None
    except OSError as exc:
        _wipe(buffer)
        raise UsageError(t("conversation_errors.passphrase_file_unreadable", file=file,
                           reason=exc)) from None
    if end < 0 and size == len(buffer):
        _wipe(buffer)
        raise UsageError(t("conversation_errors.passphrase_file_too_long", file=file,
                           limit=MAX_PASSPHRASE_BYTES))
    end = size if end < 0 else end
    line = bytearray(end)
    line[:] = memoryview(buffer)[:end]
    _wipe(buffer)
    if _UTF8.fullmatch(line) is None:
        _wipe(line)
        raise UsageError(t("conversation_errors.passphrase_file_not_utf8", file=file))
    return line


def _wipe(buffer: bytearray) -> None:
    buffer[:] = bytes(len(buffer))


def change_passphrase(paths: Paths, old: Secret, new: Secret) -> None:
    """Re-wrap the data key under `new` (the database is not rewritten), then open the
    vault with `new` before anyone is told it worked. A wrong `old` changes nothing."""
    from companion.vault import Vault
    from companion.vault.keys import rewrap_key_file

    check_new_passphrase(new)
    vault_status(paths.vault_db, paths.vault_key)  # half a vault is reported, not re-keyed
    rewrap_key_file(paths.vault_key, old, new)
    try:
        Vault.unlock(paths.vault_db, paths.vault_key, new).close()
    except CompanionError as exc:
        raise type(exc)(t("conversation_errors.passphrase_changed_not_opened",
                          reason=exc)) from None

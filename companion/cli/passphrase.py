"""Changing the passphrase.

    companion passphrase                      (asks the current one, then the new one twice)
    companion --passphrase-file OLD passphrase --new-passphrase-file NEW   (for scripts)

Only the 32-byte data key is wrapped again (`vault.keys.rewrap_key_file`); the database
is not rewritten, and a stop at any moment leaves the old or the new passphrase working.
Passphrases read from files stay bytearrays and are overwritten when done; typed ones are
Python strings, which cannot be (see `vault/keys.py`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from companion.errors import UsageError
from companion.i18n import t


def add_parsers(sub: Any) -> None:
    """Add this module's subcommand to the top-level parser."""
    change = sub.add_parser("passphrase", help=t("cli_help.passphrase"))
    change.add_argument("--new-passphrase-file", metavar="NEW", type=Path,
                        help=t("cli_help.new_passphrase_file"))


def cmd_passphrase(args: argparse.Namespace) -> int:
    from companion.cli.steps import settings_for
    from companion.conversation import unlock
    from companion.vault.keys import wipe

    where, _settings = settings_for(args)
    if unlock.needs_new_vault(where):
        raise UsageError(t("cli.no_vault_passphrase", folder=where.data))
    if args.new_passphrase_file is None and not sys.stdin.isatty():
        raise UsageError(t("cli.no_new_passphrase"))
    held: list[bytearray] = []  # read from files: overwritten however this ends
    try:
        new = None
        if args.new_passphrase_file is not None:  # a script's mistakes before any work
            new = unlock.read_passphrase_bytes(args.new_passphrase_file)
            held.append(new)
            unlock.check_new_passphrase(new)
        old = _current(args, where, held, check=new is None)
        if new is None:
            new = _typed_twice()
        unlock.change_passphrase(where, old, new)
    finally:
        for secret in held:
            wipe(secret)
    print(t("cli.passphrase_changed", folder=where.data))
    return 0


def _current(args: argparse.Namespace, where: Any, held: list[bytearray], *,
             check: bool) -> str | bytearray:
    """The passphrase in use; when the new one is still to be typed, it is checked first
    so nobody types a new one twice for nothing."""
    from companion.cli.steps import ask_passphrase
    from companion.conversation import unlock

    if args.passphrase_file is not None:
        old: str | bytearray = unlock.read_passphrase_bytes(args.passphrase_file)
        held.append(old)
    else:
        old = ask_passphrase(t("cli.current_prompt"))
    if check:
        unlock.unlock_vault(where, old).close()  # WrongPassphrase (exit 3) before more
    return old


def _typed_twice() -> str:
    from companion.cli.steps import ask_passphrase
    from companion.conversation import unlock

    new = ask_passphrase(t("cli.new_prompt"))
    unlock.check_new_passphrase(new)
    if ask_passphrase(t("cli.new_again_prompt")) != new:
        raise UsageError(t("cli.new_passphrases_differ"))
    return new


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {"passphrase": cmd_passphrase}
"""Subcommand name → handler; cli.main dispatches through this."""

"""Deleting, exporting, backing up and restoring the person's data.

    companion forget conversation ID [--yes]
    companion forget everything [--confirm "forget everything"]
    companion export [--format markdown|json] OUT [--yes]
    companion backup OUT
    companion restore IN

Anything that destroys data or writes plaintext asks first: on a terminal it asks a
question; in a script it needs --yes (or the phrase), and without it nothing happens
(exit 2). Prompts go to stderr so stdout stays for results.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from companion.cli.steps import passphrase_for
from companion.errors import UsageError


def add_parsers(sub: Any) -> None:
    """Add this module's subcommands to the top-level parser."""
    forget = sub.add_parser("forget", help="delete a conversation, or everything")
    what = forget.add_subparsers(dest="what", metavar="WHAT", required=True)
    one = what.add_parser("conversation",
                          help="delete one conversation and everything learned from it")
    one.add_argument("id", type=int, metavar="ID", help="its number (`companion history`)")
    one.add_argument("--yes", action="store_true", help="do not ask")
    everything = what.add_parser("everything", help="wipe the vault; models and settings stay")
    everything.add_argument("--confirm", metavar="PHRASE",
                            help='for scripts: the phrase "forget everything"')

    export = sub.add_parser("export", help="write everything to a plaintext file")
    export.add_argument("out", metavar="OUT", type=Path, help="a new file to create")
    export.add_argument("--format", choices=("markdown", "json"), default="markdown",
                        help="markdown (default) or json")
    export.add_argument("--yes", action="store_true",
                        help="do not ask (the file is readable by anyone who has it)")

    backup = sub.add_parser("backup", help="write an encrypted backup of the vault")
    backup.add_argument("out", metavar="OUT", type=Path, help="a new file to create")

    restore = sub.add_parser("restore", help="bring a backup into an empty home")
    restore.add_argument("source", metavar="IN", type=Path, help="the backup file")


# asking -------------------------------------------------------------------------------


def _interactive() -> bool:
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def _ask_line(question: str) -> str:
    sys.stderr.write(question)
    sys.stderr.flush()
    return sys.stdin.readline().strip()


def _confirm(question: str, refusal: str) -> None:
    """Go on only on an explicit yes; `refusal` is the sentence when none can be asked."""
    if not _interactive():
        raise UsageError(refusal)
    if _ask_line(f"{question} [y/N] ").lower() not in ("y", "yes"):
        raise UsageError("Nothing was changed.")


def _need_vault(where: Any, doing: str) -> None:
    from companion.conversation import unlock

    if unlock.needs_new_vault(where):
        raise UsageError(f"There is no vault in {where.data} yet, so there is nothing to "
                         f"{doing}.")


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


# forget -------------------------------------------------------------------------------


def cmd_forget(args: argparse.Namespace) -> int:
    return _forget_conversation(args) if args.what == "conversation" else _forget_all(args)


def _forget_conversation(args: argparse.Namespace) -> int:
    from companion.cli.steps import open_vault, settings_for
    from companion.vault import forget

    where, _settings = settings_for(args)
    _need_vault(where, "delete")
    vault = open_vault(args, where)
    try:
        conversation = vault.conversations.get(args.id)
        if conversation is None:
            raise UsageError(f"There is no conversation {args.id}; `companion history` lists "
                             "them (nothing was deleted).")
        if not args.yes:
            title = conversation.title or "(untitled)"
            title = title if len(title) <= 40 else title[:39] + "…"
            _confirm(f"Delete conversation {args.id} '{title}' "
                     f"({_plural(conversation.message_count, 'message')}) and everything "
                     "learned from it?",
                     "Deleting a conversation needs a yes: run it in a terminal, or add "
                     "--yes; nothing was deleted.")
        gone = forget.forget_conversation(vault, args.id)
    finally:
        vault.close()
    parts = [_plural(gone.messages, "message")]
    if gone.summaries:
        parts.append("its summary")
    parts.append(_plural(gone.memories, "memory", "memories") + " learned from it")
    if gone.commitments:
        parts.append(_plural(gone.commitments, "proposed commitment"))
    print(f"Deleted conversation {args.id} with {', '.join(parts[:-1])} and {parts[-1]}.")
    if gone.kept_commitments:
        kept = gone.kept_commitments
        print(f"Kept {_plural(kept, 'commitment')} from it that you had accepted; "
              f"{'it stays' if kept == 1 else 'they stay'} in your list of commitments.")
    return 0


def _forget_all(args: argparse.Namespace) -> int:
    from companion import paths
    from companion.vault import forget
    from companion.vault.restore import vault_files

    where = paths.resolve(args.home)
    if not vault_files(where.vault_db, where.vault_key):
        print(f"There is no vault in {where.data}; nothing was removed.")
        return 0
    phrase = args.confirm
    if phrase is None:
        if not _interactive():
            raise UsageError(f'Forgetting everything needs the phrase: run it in a terminal, '
                             f'or pass --confirm "{forget.PHRASE}"; nothing was removed.')
        sys.stderr.write(
            f"This deletes your vault in {where.data}: every conversation, journal entry, "
            "memory, summary, commitment and mood, for good. Model files and settings stay; "
            "backups you made are not touched.\n")
        phrase = _ask_line(f'Type "{forget.PHRASE}" to go on: ')
    if phrase.strip() != forget.PHRASE:
        raise UsageError(f'That is not the phrase "{forget.PHRASE}"; nothing was removed.')
    _prove_passphrase(args, where)
    removed = forget.forget_everything(where)
    print(f"Removed {', '.join(str(p) for p in removed)}.")
    print("Your vault is gone; the next start creates a new one. Model files and settings "
          "were kept.")
    return 0


def _prove_passphrase(args: argparse.Namespace, where: Any) -> None:
    """Only the person who can open the vault may wipe it. A vault nobody can open any
    more (damaged) may still be removed: it protects nothing but takes the name."""
    from companion.cli.steps import open_vault
    from companion.errors import VaultDamaged

    try:
        open_vault(args, where).close()
    except VaultDamaged:
        sys.stderr.write("companion: the vault cannot be opened (damaged); removing it.\n")


# export -------------------------------------------------------------------------------


def cmd_export(args: argparse.Namespace) -> int:
    from companion.cli.steps import open_vault, settings_for
    from companion.vault import export
    from companion.vault.private_files import check_new_file

    where, _settings = settings_for(args)
    out = args.out.expanduser()
    check_new_file(out)
    _need_vault(where, "export")
    if not args.yes:
        _confirm(f"The export {out} will be plain text: anyone who gets the file can read "
                 "your conversations, journal and memories. Write it?",
                 "An export is plain text that anyone with the file can read, so it needs a "
                 "yes: run it in a terminal, or add --yes; nothing was written.")
    vault = open_vault(args, where)
    try:
        written = export.export(vault, out, args.format)
    finally:
        vault.close()
    summary = ", ".join(_plural(n, *_NAMES[section]) for section, n in written.items())
    print(f"Wrote {out} ({args.format}, readable only by your user account): {summary}. It is "
          "not encrypted; delete it when you no longer need it.")
    return 0


_NAMES = {"conversations": ("conversation", "conversations"),
          "journal": ("journal entry", "journal entries"),
          "memories": ("memory", "memories"), "summaries": ("summary", "summaries"),
          "commitments": ("commitment", "commitments"), "moods": ("mood", "moods")}


# backup and restore -------------------------------------------------------------------


def cmd_backup(args: argparse.Namespace) -> int:
    from companion.cli.steps import settings_for
    from companion.vault.backup import create_backup
    from companion.vault.private_files import check_new_file

    where, _settings = settings_for(args)
    out = args.out.expanduser()
    check_new_file(out)
    _need_vault(where, "back up")
    info = create_backup(where.vault_db, where.vault_key, passphrase_for(args), out)
    print(f"Backed up your vault to {out} ({info.size / 1e6:.1f} MB, encrypted; it opens "
          "only with your current passphrase). Model files are not included.")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from companion.cli.steps import settings_for
    from companion.vault.restore import check_backup, occupied, restore_backup

    where, _settings = settings_for(args)
    source = args.source.expanduser()
    if occupied(where.vault_db, where.vault_key):  # refuse before asking for anything
        raise UsageError(f"There is already a vault in {where.data}; restore only into an "
                         "empty home (--home DIR), nothing was changed.")
    if not source.is_file():
        raise UsageError(f"There is no backup file {source}; nothing was changed.")
    check_backup(source)
    info = restore_backup(source, where.vault_db, where.vault_key,
                          passphrase_for(args, "Passphrase of the backup: "))
    moved = (f"; its schema was brought from version {info.schema_from} to {info.schema_to}"
             if info.schema_from != info.schema_to else "")
    print(f"Restored the backup made {info.created_at[:16].replace('T', ' ')} UTC into "
          f"{where.data}: {_plural(info.conversations, 'conversation')} and "
          f"{_plural(info.journal, 'journal entry', 'journal entries')}{moved}. Model files "
          "are not part of a backup: install or import your pinned model again.")
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "forget": cmd_forget, "export": cmd_export, "backup": cmd_backup, "restore": cmd_restore,
}
"""Subcommand name → handler; cli.main dispatches through this."""

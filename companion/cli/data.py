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

from companion.cli.steps import confirmed, counted, passphrase_for
from companion.errors import UsageError
from companion.i18n import t


def add_parsers(sub: Any) -> None:
    """Add this module's subcommands to the top-level parser."""
    forget = sub.add_parser("forget", help=t("cli_help.forget"))
    what = forget.add_subparsers(dest="what", metavar="WHAT", required=True)
    one = what.add_parser("conversation", help=t("cli_help.forget_conversation"))
    one.add_argument("id", type=int, metavar="ID", help=t("cli_help.forget_id"))
    one.add_argument("--yes", action="store_true", help=t("cli_help.yes"))
    everything = what.add_parser("everything", help=t("cli_help.forget_everything"))
    everything.add_argument("--confirm", metavar="PHRASE",
                            help=t("cli_help.forget_confirm", phrase="forget everything"))

    export = sub.add_parser("export", help=t("cli_help.export"))
    export.add_argument("out", metavar="OUT", type=Path, help=t("cli_help.new_file"))
    export.add_argument("--format", choices=("markdown", "json"), default="markdown",
                        help=t("cli_help.export_format"))
    export.add_argument("--yes", action="store_true", help=t("cli_help.export_yes"))

    backup = sub.add_parser("backup", help=t("cli_help.backup"))
    backup.add_argument("out", metavar="OUT", type=Path, help=t("cli_help.new_file"))

    restore = sub.add_parser("restore", help=t("cli_help.restore"))
    restore.add_argument("source", metavar="IN", type=Path, help=t("cli_help.restore_in"))


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
    if not confirmed(_ask_line(f"{question} [y/N] ")):
        raise UsageError(t("cli_data.nothing_changed"))


def _need_vault(where: Any, doing: str) -> None:
    """`doing` names the sentence: delete, export or backup."""
    from companion.conversation import unlock

    if unlock.needs_new_vault(where):
        raise UsageError(t(f"cli_data.no_vault_{doing}", folder=where.data))


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
            raise UsageError(t("cli_data.no_conversation", id=args.id))
        if not args.yes:
            title = conversation.title or t("cli.untitled")
            title = title if len(title) <= 40 else title[:39] + "…"
            _confirm(counted("cli_data.delete_question", conversation.message_count,
                             id=args.id, title=title), t("cli_data.delete_needs_yes"))
        gone = forget.forget_conversation(vault, args.id)
    finally:
        vault.close()
    parts = [t("cli_data.its_summary")] if gone.summaries else []
    parts.append(counted("cli_data.learned", gone.memories))
    if gone.commitments:
        parts.append(counted("cli_data.proposed", gone.commitments))
    print(counted("cli_data.deleted", gone.messages, id=args.id,
                  others="".join(", " + part for part in parts[:-1]), last=parts[-1]))
    if gone.kept_commitments:
        print(counted("cli_data.kept", gone.kept_commitments))
    return 0


def _forget_all(args: argparse.Namespace) -> int:
    from companion import paths
    from companion.vault import forget
    from companion.vault.restore import vault_files

    where = paths.resolve(args.home)
    if not vault_files(where.vault_db, where.vault_key):
        print(t("cli_data.no_vault_nothing_removed", folder=where.data))
        return 0
    phrase = args.confirm
    if phrase is None:
        if not _interactive():
            raise UsageError(t("cli_data.wipe_needs_phrase", phrase=forget.PHRASE))
        sys.stderr.write(t("cli_data.wipe_warning", folder=where.data) + "\n")
        phrase = _ask_line(t("cli_data.wipe_prompt", phrase=forget.PHRASE))
    if phrase.strip() != forget.PHRASE:
        raise UsageError(t("cli_data.wrong_phrase", phrase=forget.PHRASE))
    _prove_passphrase(args, where)
    removed = forget.forget_everything(where)
    print(t("cli_data.removed", paths=", ".join(str(p) for p in removed)))
    print(t("cli_data.wiped"))
    return 0


def _prove_passphrase(args: argparse.Namespace, where: Any) -> None:
    """Only the person who can open the vault may wipe it. A vault nobody can open any
    more (damaged) may still be removed: it protects nothing but takes the name."""
    from companion.cli.steps import open_vault
    from companion.errors import VaultDamaged

    try:
        open_vault(args, where).close()
    except VaultDamaged:
        sys.stderr.write(f"companion: {t('cli_data.removing_damaged')}\n")


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
        _confirm(t("cli_data.export_question", out=out), t("cli_data.export_needs_yes"))
    vault = open_vault(args, where)
    try:
        written = export.export(vault, out, args.format)
    finally:
        vault.close()
    summary = ", ".join(counted(f"cli_data.{section}", n) for section, n in written.items())
    print(t("cli_data.exported", out=out, format=args.format, summary=summary))
    return 0


# backup and restore -------------------------------------------------------------------


def cmd_backup(args: argparse.Namespace) -> int:
    from companion.cli.steps import settings_for
    from companion.vault.backup import create_backup
    from companion.vault.private_files import check_new_file

    where, _settings = settings_for(args)
    out = args.out.expanduser()
    check_new_file(out)
    _need_vault(where, "backup")
    info = create_backup(where.vault_db, where.vault_key, passphrase_for(args), out)
    print(t("cli_data.backed_up", out=out, size=f"{info.size / 1e6:.1f}"))
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from companion.cli.steps import settings_for
    from companion.vault.restore import check_backup, occupied, restore_backup

    where, _settings = settings_for(args)
    source = args.source.expanduser()
    if occupied(where.vault_db, where.vault_key):  # refuse before asking for anything
        raise UsageError(t("cli_data.restore_occupied", folder=where.data))
    if not source.is_file():
        raise UsageError(t("cli_data.no_backup_file", source=source))
    check_backup(source)
    info = restore_backup(source, where.vault_db, where.vault_key,
                          passphrase_for(args, t("cli_data.backup_prompt")))
    moved = (t("cli_data.schema_moved", old=info.schema_from, new=info.schema_to)
             if info.schema_from != info.schema_to else "")
    print(t("cli_data.restored", made=info.created_at[:16].replace("T", " "), folder=where.data,
            conversations=counted("cli_data.conversations", info.conversations),
            journal=counted("cli_data.journal", info.journal), moved=moved))
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "forget": cmd_forget, "export": cmd_export, "backup": cmd_backup, "restore": cmd_restore,
}
"""Subcommand name → handler; cli.main dispatches through this."""

"""`companion history`: the conversations, or one of them, as text or JSON."""

from __future__ import annotations

import argparse
import json
from typing import Any

from companion.cli.steps import Command, open_vault, settings_for
from companion.errors import UsageError
from companion.i18n import t


def add_parsers(sub: Any) -> None:
    """Add this module's subcommands to the top-level parser."""
    history = sub.add_parser("history", help=t("cli_help.history"))
    history.add_argument("--json", action="store_true", help=t("cli_help.json"))
    history.add_argument("--conversation", type=int, metavar="ID",
                         help=t("cli_help.history_conversation"))


def cmd_history(args: argparse.Namespace) -> int:
    from companion.conversation import unlock
    from companion.conversation.session import Session

    where, settings = settings_for(args)
    if unlock.needs_new_vault(where):
        raise UsageError(t("cli.no_vault_history", folder=where.data))
    vault = open_vault(args, where)
    try:
        session = Session(vault, settings)
        if args.conversation is None:
            items = session.conversations()
            if args.json:
                print(json.dumps([
                    {"id": c.id, "title": c.title, "created_at": c.created_at,
                     "updated_at": c.updated_at, "messages": c.message_count}
                    for c in items
                ], ensure_ascii=False))
            elif not items:
                print(t("cli.no_conversations"))
            else:
                for c in items:
                    count = t("cli.msgs", count=f"{c.message_count:>4}")
                    print(f"{c.id:>5}  {c.updated_at[:16].replace('T', ' ')}  "
                          f"{count}  {c.title or t('cli.untitled')}")
            return 0
        messages = session.open_conversation(args.conversation)
        if args.json:
            print(json.dumps({
                "id": args.conversation,
                "messages": [
                    {"id": m.id, "role": m.role, "content": m.content,
                     "created_at": m.created_at, "stopped": m.stopped,
                     "provenance": m.provenance.as_dict() if m.provenance else None}
                    for m in messages
                ],
            }, ensure_ascii=False))
        else:
            for m in messages:
                mark = t("cli.stopped_mark") if m.stopped else ""
                print(f"[{m.role}{mark}] {m.content}\n")
        return 0
    finally:
        vault.close()


COMMANDS: dict[str, Command] = {"history": cmd_history}

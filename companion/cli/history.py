"""`companion history`: the conversations, or one of them, as text or JSON."""

from __future__ import annotations

import argparse
import json
from typing import Any

from companion.cli.steps import Command, open_vault, settings_for
from companion.errors import UsageError


def add_parsers(sub: Any) -> None:
    """Add this module's subcommands to the top-level parser."""
    history = sub.add_parser("history", help="list conversations, or print one")
    history.add_argument("--json", action="store_true", help="print JSON")
    history.add_argument("--conversation", type=int, metavar="ID", help="print this one")


def cmd_history(args: argparse.Namespace) -> int:
    from companion.conversation import unlock
    from companion.conversation.session import Session

    where, settings = settings_for(args)
    if unlock.needs_new_vault(where):
        raise UsageError(f"There is no vault in {where.data} yet, so there is no history; "
                         "start companion once to create it.")
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
                print("No conversations yet.")
            else:
                for c in items:
                    print(f"{c.id:>5}  {c.updated_at[:16].replace('T', ' ')}  "
                          f"{c.message_count:>4} msgs  {c.title or '(untitled)'}")
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
                mark = " (stopped)" if m.stopped else ""
                print(f"[{m.role}{mark}] {m.content}\n")
        return 0
    finally:
        vault.close()


COMMANDS: dict[str, Command] = {"history": cmd_history}

"""`companion consolidate` and `companion why`: what the companion learned, and why it
said what it said."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from companion.errors import ModelError, UsageError
from companion.i18n import t


def add_parsers(sub: Any) -> None:
    reflect = sub.add_parser("consolidate", help=t("cli_help.consolidate"))
    reflect.add_argument("--conversation", type=int, metavar="ID",
                         help=t("cli_help.consolidate_conversation"))
    reflect.add_argument("--json", action="store_true", help=t("cli_help.json"))
    why = sub.add_parser("why", help=t("cli_help.why"))
    why.add_argument("message", type=int, metavar="MESSAGE_ID")
    why.add_argument("--json", action="store_true", help=t("cli_help.json"))


def _needs_vault(args: argparse.Namespace) -> tuple[Any, Any, Any]:
    from companion.cli.steps import open_vault, settings_for
    from companion.conversation import unlock

    where, settings = settings_for(args)
    if unlock.needs_new_vault(where):
        raise UsageError(t("cli_say.no_vault", folder=where.data))
    return where, settings, open_vault(args, where)


def cmd_consolidate(args: argparse.Namespace) -> int:
    from companion.conversation import pinned_model
    from companion.memory.consolidate import consolidate

    where, settings, vault = _needs_vault(args)
    try:
        loaded = pinned_model.load(where, vault, settings, cli_model=args.model)
        if loaded is None:
            raise ModelError(t("cli_say.consolidate_no_model"))
        with vault.lock:
            targets = ([args.conversation] if args.conversation is not None
                       else vault.summaries.stale_conversations())
            if args.conversation is not None and vault.conversations.get(args.conversation) \
                    is None:
                raise UsageError(t("cli_say.no_conversation", id=args.conversation))
        results = []
        for conversation_id in targets:
            done = consolidate(vault, loaded.engine, conversation_id,
                               seed=settings.seed or 0, auto_accept=settings.auto_accept)
            if done is not None:
                results.append(done)
        if args.json:
            print(json.dumps([{
                "conversation_id": r.summary.conversation_id,
                "summary": r.summary.content,
                "memories": [{"id": m.id, "kind": m.kind, "text": m.content,
                              "status": m.status, "source_message_id": m.source_id}
                             for m in r.memories],
                "commitments": [{"id": c.id, "text": c.content, "due": c.due,
                                 "status": c.status, "source_message_id": c.source_message_id}
                                for c in r.commitments],
            } for r in results], ensure_ascii=False))
        elif not results:
            print(t("cli_say.nothing_new"))
        else:
            for r in results:
                print(t("cli_say.summary", id=r.summary.conversation_id,
                        summary=r.summary.content))
                for m in r.memories:
                    print("  " + t("cli_say.memory", id=m.id, kind=m.kind, status=m.status,
                                   text=m.content))
                for c in r.commitments:
                    print("  " + t("cli_say.commitment", id=c.id, status=c.status,
                                   due=c.due or "-", text=c.content))
            print(t("cli_say.review_hint"))
        return 0
    finally:
        vault.close()


def cmd_why(args: argparse.Namespace) -> int:
    from companion.memory.recall import explain

    _where, _settings, vault = _needs_vault(args)
    try:
        items = explain(vault, args.message)
        if args.json:
            print(json.dumps([{"kind": k, "id": i, "score": s, "text": t}
                              for k, i, s, t in items], ensure_ascii=False))
        elif not items:
            print(t("cli_say.nothing_recalled", id=args.message))
        else:
            for kind, item_id, score, text in items:
                shown = text if text is not None else t("cli_say.since_forgotten")
                print(t("cli_say.recalled", kind=kind, id=item_id, score=f"{score:.2f}",
                        text=shown))
        return 0
    finally:
        vault.close()


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "consolidate": cmd_consolidate, "why": cmd_why,
}

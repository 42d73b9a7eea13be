"""Memories and commitments from the command line.

`companion memory|commitments ACTION …`. The checks and the work are in
`companion.memory.entries` (shared with the TUI); this module reads arguments, opens
the vault and prints. Text arguments may be `-` to read stdin (strictly UTF-8), which
is also the way to pass entries longer than the system allows on a command line.
Input is checked before the vault is opened, so a refused entry leaves no trace.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from companion.cli.steps import (
    counted,
    dispatch,
    indented,
    print_json,
    read_text,
    when,
    with_vault,
)
from companion.i18n import t

if TYPE_CHECKING:
    from companion.domain import Commitment, Memory
    from companion.vault import Vault

def add_parsers(sub: Any) -> None:
    """Add this module's subcommands to the top-level parser."""
    from companion.domain import MEMORY_KINDS

    memory = sub.add_parser("memory", help=t("cli_help.memory"))
    verbs = memory.add_subparsers(dest="verb", metavar="ACTION", required=True)
    listing = verbs.add_parser("list", help=t("cli_help.memory_list"))
    listing.add_argument("--proposed", action="store_true",
                         help=t("cli_help.memory_proposed"))
    listing.add_argument("--json", action="store_true", help=t("cli_help.json"))
    search = verbs.add_parser("search", help=t("cli_help.memory_search"))
    search.add_argument("query", metavar="QUERY")
    search.add_argument("--json", action="store_true", help=t("cli_help.json"))
    kinds = ", ".join(MEMORY_KINDS)
    add = verbs.add_parser("add", help=t("cli_help.memory_add"))
    add.add_argument("text", metavar="TEXT", help=t("cli_help.memory_text"))
    add.add_argument("--kind", default="fact", metavar="KIND",
                     help=t("cli_help.memory_kind", kinds=kinds))
    edit = verbs.add_parser("edit", help=t("cli_help.memory_edit"))
    edit.add_argument("id", type=int, metavar="ID")
    edit.add_argument("text", metavar="TEXT", help=t("cli_help.memory_new_text"))
    edit.add_argument("--kind", metavar="KIND", help=kinds)
    for name in ("forget", "accept", "discard"):
        verbs.add_parser(name, help=t(f"cli_help.memory_{name}")).add_argument(
            "id", type=int, metavar="ID")

    plans = sub.add_parser("commitments", help=t("cli_help.commitments"))
    verbs = plans.add_subparsers(dest="verb", metavar="ACTION", required=True)
    add = verbs.add_parser("add", help=t("cli_help.commitments_add"))
    add.add_argument("text", metavar="TEXT", help=t("cli_help.commitments_text"))
    add.add_argument("--due", metavar="DATE", help=t("cli_help.commitments_due"))
    listing = verbs.add_parser("list", help=t("cli_help.commitments_list"))
    listing.add_argument("--all", action="store_true", help=t("cli_help.commitments_all"))
    listing.add_argument("--json", action="store_true", help=t("cli_help.json"))
    for name in ("done", "drop", "accept"):
        verbs.add_parser(name, help=t(f"cli_help.commitments_{name}")).add_argument(
            "id", type=int, metavar="ID")


# memory -------------------------------------------------------------------------------


def _memory_dict(memory: Memory) -> dict[str, Any]:
    from companion.memory.entries import describe_source

    return {**asdict(memory), "source": describe_source(memory, "en")}  # data: English


def _show_memories(items: list[Memory], as_json: bool, empty: str) -> None:
    from companion.memory.entries import describe_source

    if as_json:
        print_json([_memory_dict(m) for m in items])
        return
    if not items:
        print(empty)
    for m in items:
        first, *rest = m.content.splitlines() or [""]
        mark = t("cli_memory.proposed_mark") if m.status == "proposed" else ""
        print(f"#{m.id}  {m.kind}{mark}  {first}")
        if rest:
            print(indented("\n".join(rest)))
        used = (counted("cli_memory.used", m.used_count, last=when(m.last_used_at))
                if m.used_count else t("cli_memory.not_used"))
        print(f"    {describe_source(m)}, {when(m.created_at)}; {used}")


def _memory_list(args: argparse.Namespace) -> int:
    from companion.memory import entries

    def job(vault: Vault) -> int:
        items = entries.memories(vault, proposed=args.proposed)
        if args.proposed and items and not args.json:
            print(t("cli_memory.review_hint"))
        empty = t("cli_memory.no_proposed" if args.proposed else "cli_memory.empty")
        _show_memories(items, args.json, empty)
        return 0

    return with_vault(args, job)


def _memory_search(args: argparse.Namespace) -> int:
    from companion.memory import entries

    entries.match_query(args.query)

    def job(vault: Vault) -> int:
        _show_memories(entries.search_memories(vault, args.query), args.json,
                       t("cli_memory.no_match"))
        return 0

    return with_vault(args, job)


def _memory_add(args: argparse.Namespace) -> int:
    from companion.memory import entries

    kind = entries.parse_kind(args.kind)
    text = read_text(args.text, "memory")

    def job(vault: Vault) -> int:
        memory = entries.add_memory(vault, text, kind)
        print(t("cli_memory.added", id=memory.id, kind=memory.kind))
        return 0

    return with_vault(args, job, create=True)


def _memory_edit(args: argparse.Namespace) -> int:
    from companion.memory import entries

    kind = entries.parse_kind(args.kind) if args.kind is not None else None
    text = read_text(args.text, "memory")

    def job(vault: Vault) -> int:
        memory = entries.edit_memory(vault, args.id, text, kind)
        print(t("cli_memory.edited", id=memory.id, kind=memory.kind))
        return 0

    return with_vault(args, job)


def _memory_forget(args: argparse.Namespace) -> int:
    from companion.memory import entries

    def job(vault: Vault) -> int:
        entries.forget_memory(vault, args.id)
        print(t("cli_memory.forgotten", id=args.id))
        return 0

    return with_vault(args, job)


def _memory_accept(args: argparse.Namespace) -> int:
    from companion.memory import entries

    def job(vault: Vault) -> int:
        before = entries.get_memory(vault, args.id).status
        entries.accept_memory(vault, args.id)
        if before == "proposed":
            print(t("cli_memory.accepted", id=args.id))
        else:
            print(t("cli_memory.already_kept", id=args.id))
        return 0

    return with_vault(args, job)


def _memory_discard(args: argparse.Namespace) -> int:
    from companion.memory import entries

    def job(vault: Vault) -> int:
        entries.discard_memory(vault, args.id)
        print(t("cli_memory.discarded", id=args.id))
        return 0

    return with_vault(args, job)


# commitments --------------------------------------------------------------------------


def _commitments_add(args: argparse.Namespace) -> int:
    from companion.memory import entries

    text = read_text(args.text, "commitment")
    due = entries.parse_due(args.due) if args.due is not None else None

    def job(vault: Vault) -> int:
        item = entries.add_commitment(vault, text, due)
        print(t("cli_memory.commitment_saved_due", id=item.id, due=item.due) if item.due
              else t("cli_memory.commitment_saved", id=item.id))
        return 0

    return with_vault(args, job, create=True)


def _show_commitments(items: list[Commitment], as_json: bool, empty: str) -> None:
    if as_json:
        print_json([asdict(c) for c in items])
        return
    if not items:
        print(empty)
    for c in items:
        due = t("cli_memory.due", due=c.due) if c.due else t("cli_memory.no_date")
        first, *rest = c.content.splitlines() or [""]
        print(f"#{c.id}  [{c.status}]  {due}  {first}")
        if rest:
            print(indented("\n".join(rest)))


def _commitments_list(args: argparse.Namespace) -> int:
    from companion.memory import entries

    def job(vault: Vault) -> int:
        _show_commitments(entries.commitments(vault, include_all=args.all), args.json,
                          t("cli_memory.no_commitments" if args.all else
                            "cli_memory.no_open_commitments"))
        return 0

    return with_vault(args, job)


def _commitment_step(action: str) -> Callable[[argparse.Namespace], int]:
    def command(args: argparse.Namespace) -> int:
        from companion.memory import entries

        operations = {"done": entries.complete_commitment, "drop": entries.drop_commitment,
                      "accept": entries.accept_commitment}
        def job(vault: Vault) -> int:
            item = operations[action](vault, args.id)
            print(t(f"cli_memory.commitment_{action}", id=item.id))
            return 0

        return with_vault(args, job)

    return command


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "memory": dispatch({"list": _memory_list, "search": _memory_search, "add": _memory_add,
                         "edit": _memory_edit, "forget": _memory_forget,
                         "accept": _memory_accept, "discard": _memory_discard}),
    "commitments": dispatch({"add": _commitments_add, "list": _commitments_list,
                              "done": _commitment_step("done"),
                              "drop": _commitment_step("drop"),
                              "accept": _commitment_step("accept")}),
}
"""Subcommand name → handler; cli.main dispatches through this."""

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

from companion.cli.steps import dispatch, indented, print_json, read_text, when, with_vault

if TYPE_CHECKING:
    from companion.domain import Commitment, Memory
    from companion.vault import Vault

def add_parsers(sub: Any) -> None:
    """Add this module's subcommands to the top-level parser."""
    from companion.domain import MEMORY_KINDS

    memory = sub.add_parser("memory", help="what the companion knows about you")
    verbs = memory.add_subparsers(dest="verb", metavar="ACTION", required=True)
    listing = verbs.add_parser("list", help="memories, with where each came from")
    listing.add_argument("--proposed", action="store_true",
                         help="the proposals waiting for your review instead")
    listing.add_argument("--json", action="store_true", help="print JSON")
    search = verbs.add_parser("search", help="find memories by their words")
    search.add_argument("query", metavar="QUERY")
    search.add_argument("--json", action="store_true", help="print JSON")
    kinds = ", ".join(MEMORY_KINDS)
    add = verbs.add_parser("add", help="tell the companion something to remember")
    add.add_argument("text", metavar="TEXT", help="the memory; - reads it from stdin")
    add.add_argument("--kind", default="fact", metavar="KIND", help=f"{kinds} (default fact)")
    edit = verbs.add_parser("edit", help="change a memory's words or kind")
    edit.add_argument("id", type=int, metavar="ID")
    edit.add_argument("text", metavar="TEXT", help="the new words; - reads them from stdin")
    edit.add_argument("--kind", metavar="KIND", help=kinds)
    for name, text in (("forget", "delete a memory for good"),
                       ("accept", "keep a proposed memory"),
                       ("discard", "throw a proposed memory away")):
        verbs.add_parser(name, help=text).add_argument("id", type=int, metavar="ID")

    plans = sub.add_parser("commitments", help="things you mean to do, and follow-ups")
    verbs = plans.add_subparsers(dest="verb", metavar="ACTION", required=True)
    add = verbs.add_parser("add", help="something you mean to do")
    add.add_argument("text", metavar="TEXT", help="what; - reads it from stdin")
    add.add_argument("--due", metavar="DATE", help="YYYY-MM-DD, today or tomorrow")
    listing = verbs.add_parser("list", help="open and proposed commitments")
    listing.add_argument("--all", action="store_true", help="done and dropped ones too")
    listing.add_argument("--json", action="store_true", help="print JSON")
    for name, text in (("done", "mark one done"), ("drop", "let one go"),
                       ("accept", "keep a proposed one")):
        verbs.add_parser(name, help=text).add_argument("id", type=int, metavar="ID")


# memory -------------------------------------------------------------------------------


def _memory_dict(memory: Memory) -> dict[str, Any]:
    from companion.memory.entries import describe_source

    return {**asdict(memory), "source": describe_source(memory)}


def _show_memories(items: list[Memory], as_json: bool, empty: str) -> None:
    from companion.memory.entries import describe_source

    if as_json:
        print_json([_memory_dict(m) for m in items])
        return
    if not items:
        print(empty)
    for m in items:
        first, *rest = m.content.splitlines() or [""]
        mark = "  (proposed)" if m.status == "proposed" else ""
        print(f"#{m.id}  {m.kind}{mark}  {first}")
        if rest:
            print(indented("\n".join(rest)))
        used = (f"used {m.used_count} time{'s' if m.used_count != 1 else ''}, last "
                f"{when(m.last_used_at)}" if m.used_count else "not used yet")
        print(f"    {describe_source(m)}, {when(m.created_at)}; {used}")


def _memory_list(args: argparse.Namespace) -> int:
    from companion.memory import entries

    def job(vault: Vault) -> int:
        items = entries.memories(vault, proposed=args.proposed)
        if args.proposed and items and not args.json:
            print("Waiting for your review: `companion memory accept ID` keeps one, "
                  "`companion memory discard ID` throws it away.")
        empty = ("No proposed memories are waiting." if args.proposed else
                 "No memories yet; `companion memory add TEXT` tells the companion one.")
        _show_memories(items, args.json, empty)
        return 0

    return with_vault(args, job)


def _memory_search(args: argparse.Namespace) -> int:
    from companion.memory import entries

    entries.match_query(args.query)

    def job(vault: Vault) -> int:
        _show_memories(entries.search_memories(vault, args.query), args.json,
                       "No memory matches.")
        return 0

    return with_vault(args, job)


def _memory_add(args: argparse.Namespace) -> int:
    from companion.memory import entries

    kind = entries.parse_kind(args.kind)
    text = read_text(args.text, "memory")

    def job(vault: Vault) -> int:
        memory = entries.add_memory(vault, text, kind)
        print(f"Remembered as memory #{memory.id} ({memory.kind}).")
        return 0

    return with_vault(args, job, create=True)


def _memory_edit(args: argparse.Namespace) -> int:
    from companion.memory import entries

    kind = entries.parse_kind(args.kind) if args.kind is not None else None
    text = read_text(args.text, "memory")

    def job(vault: Vault) -> int:
        memory = entries.edit_memory(vault, args.id, text, kind)
        print(f"Memory #{memory.id} ({memory.kind}) now reads as you wrote it.")
        return 0

    return with_vault(args, job)


def _memory_forget(args: argparse.Namespace) -> int:
    from companion.memory import entries

    def job(vault: Vault) -> int:
        entries.forget_memory(vault, args.id)
        print(f"Memory #{args.id} is forgotten: deleted from the vault and its search index.")
        return 0

    return with_vault(args, job)


def _memory_accept(args: argparse.Namespace) -> int:
    from companion.memory import entries

    def job(vault: Vault) -> int:
        before = entries.get_memory(vault, args.id).status
        entries.accept_memory(vault, args.id)
        if before == "proposed":
            print(f"Memory #{args.id} is kept; the companion may recall it now.")
        else:
            print(f"Memory #{args.id} was already kept; nothing changed.")
        return 0

    return with_vault(args, job)


def _memory_discard(args: argparse.Namespace) -> int:
    from companion.memory import entries

    def job(vault: Vault) -> int:
        entries.discard_memory(vault, args.id)
        print(f"Proposed memory #{args.id} is thrown away.")
        return 0

    return with_vault(args, job)


# commitments --------------------------------------------------------------------------


def _commitments_add(args: argparse.Namespace) -> int:
    from companion.memory import entries

    text = read_text(args.text, "commitment")
    due = entries.parse_due(args.due) if args.due is not None else None

    def job(vault: Vault) -> int:
        item = entries.add_commitment(vault, text, due)
        when = f", due {item.due}" if item.due else ""
        print(f"Saved commitment #{item.id}{when}.")
        return 0

    return with_vault(args, job, create=True)


def _show_commitments(items: list[Commitment], as_json: bool, empty: str) -> None:
    if as_json:
        print_json([asdict(c) for c in items])
        return
    if not items:
        print(empty)
    for c in items:
        due = f"due {c.due}" if c.due else "no date"
        first, *rest = c.content.splitlines() or [""]
        print(f"#{c.id}  [{c.status}]  {due}  {first}")
        if rest:
            print(indented("\n".join(rest)))


def _commitments_list(args: argparse.Namespace) -> int:
    from companion.memory import entries

    def job(vault: Vault) -> int:
        _show_commitments(entries.commitments(vault, include_all=args.all), args.json,
                          "No commitments." if args.all else
                          "No open commitments; `--all` shows done and dropped ones.")
        return 0

    return with_vault(args, job)


def _commitment_step(action: str) -> Callable[[argparse.Namespace], int]:
    def command(args: argparse.Namespace) -> int:
        from companion.memory import entries

        operations = {"done": entries.complete_commitment, "drop": entries.drop_commitment,
                      "accept": entries.accept_commitment}
        words = {"done": "done", "drop": "dropped", "accept": "open"}

        def job(vault: Vault) -> int:
            item = operations[action](vault, args.id)
            print(f"Commitment #{item.id} is {words[action]}.")
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

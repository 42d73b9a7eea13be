"""Journal, memories, commitments and moods from the command line.

`companion journal|memory|commitments|mood ACTION …`. The checks and the work are in
`companion.memory.entries` (shared with the TUI); this module reads arguments, opens
the vault and prints. Text arguments may be `-` to read stdin (strictly UTF-8), which
is also the way to pass entries longer than the system allows on a command line.
Input is checked before the vault is opened, so a refused entry leaves no trace.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from companion.errors import UsageError

if TYPE_CHECKING:
    from companion.domain import Commitment, JournalEntry, Memory, Mood
    from companion.vault import Vault

Job = Callable[["Vault"], int]


def add_parsers(sub: Any) -> None:
    """Add this module's subcommands to the top-level parser."""
    from companion.domain import MEMORY_KINDS

    journal = sub.add_parser("journal", help="write in your journal, read it, search it")
    verbs = journal.add_subparsers(dest="verb", metavar="ACTION", required=True)
    add = verbs.add_parser("add", help="save an entry (no reply is written)")
    add.add_argument("text", metavar="TEXT", help="the entry; - reads it from stdin")
    remember = add.add_mutually_exclusive_group()
    remember.add_argument("--remember", dest="remember", action="store_true", default=None,
                          help="the companion may recall it in conversation (the default)")
    remember.add_argument("--no-remember", dest="remember", action="store_false",
                          help="keep it out of conversations")
    listing = verbs.add_parser("list", help="your entries, newest first")
    listing.add_argument("--limit", type=int, metavar="N", help="only the newest N")
    listing.add_argument("--json", action="store_true", help="print JSON")
    search = verbs.add_parser("search", help="find entries by their words")
    search.add_argument("query", metavar="QUERY")
    search.add_argument("--json", action="store_true", help="print JSON")

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

    mood = sub.add_parser("mood", help="note how you feel, 1 to 5")
    verbs = mood.add_subparsers(dest="verb", metavar="ACTION", required=True)
    add = verbs.add_parser("add", help="note your mood now")
    add.add_argument("score", metavar="N", help="1 (very low) to 5 (very good)")
    add.add_argument("note", metavar="NOTE", nargs="?", default="", help="a few words")
    listing = verbs.add_parser("list", help="your moods, newest first")
    listing.add_argument("--json", action="store_true", help="print JSON")


# shared steps -------------------------------------------------------------------------


def _with_vault(args: argparse.Namespace, job: Job, create: bool = False) -> int:
    """Open the vault for a job; only the `add` actions may create it."""
    from companion import startup
    from companion.cli import open_vault, settings_for

    where, _settings = settings_for(args)
    if not create and startup.needs_new_vault(where):
        raise UsageError(f"There is no vault in {where.data} yet, so there is nothing to "
                         "show; `companion journal add TEXT` or starting companion creates it.")
    vault = open_vault(args, where)
    try:
        return job(vault)
    finally:
        vault.close()


def _text(value: str, what: str) -> str:
    """The text argument, or stdin for `-`, checked before anything is opened."""
    from companion.memory import entries

    if value == "-":
        value = entries.decode_input(sys.stdin.buffer.read(), what)
    return entries.clean_text(value, what)


def _json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False))


def _when(stamp: str | None) -> str:
    return stamp[:16].replace("T", " ") if stamp else ""


def _indented(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines() or [""])


def _dispatch(handlers: dict[str, Callable[[argparse.Namespace], int]]
              ) -> Callable[[argparse.Namespace], int]:
    def command(args: argparse.Namespace) -> int:
        return handlers[args.verb](args)

    return command


# journal ------------------------------------------------------------------------------


def _journal_add(args: argparse.Namespace) -> int:
    from companion.memory import entries

    text = _text(args.text, "journal entry")
    if args.remember is None:
        from companion import config, paths

        settings, _warning = config.load_or_default(paths.resolve(args.home).config_file)
        remember = settings.remember_journal
    else:
        remember = args.remember

    def job(vault: Vault) -> int:
        entry = entries.add_journal(vault, text, remember=remember)
        away = "" if remember else " The companion will not bring it up in conversation."
        print(f"Saved journal entry #{entry.id}.{away}")
        return 0

    return _with_vault(args, job, create=True)


def _show_journal(items: list[JournalEntry], as_json: bool, empty: str) -> None:
    if as_json:
        _json([asdict(e) for e in items])
        return
    if not items:
        print(empty)
    for entry in items:
        away = "  (not recalled in conversation)" if not entry.remember else ""
        print(f"#{entry.id}  {_when(entry.created_at)}{away}")
        print(_indented(entry.content) + "\n")


def _journal_list(args: argparse.Namespace) -> int:
    from companion.memory import entries

    if args.limit is not None and args.limit < 1:
        raise UsageError("--limit must be 1 or more.")

    def job(vault: Vault) -> int:
        _show_journal(entries.journal_entries(vault, args.limit), args.json,
                      "No journal entries yet; `companion journal add TEXT` writes one.")
        return 0

    return _with_vault(args, job)


def _journal_search(args: argparse.Namespace) -> int:
    from companion.memory import entries

    entries.match_query(args.query)  # a query with no words is refused before unlocking

    def job(vault: Vault) -> int:
        _show_journal(entries.search_journal(vault, args.query), args.json,
                      "No journal entry matches.")
        return 0

    return _with_vault(args, job)


# memory -------------------------------------------------------------------------------


def _memory_dict(memory: Memory) -> dict[str, Any]:
    from companion.memory.entries import describe_source

    return {**asdict(memory), "source": describe_source(memory)}


def _show_memories(items: list[Memory], as_json: bool, empty: str) -> None:
    from companion.memory.entries import describe_source

    if as_json:
        _json([_memory_dict(m) for m in items])
        return
    if not items:
        print(empty)
    for m in items:
        first, *rest = m.content.splitlines() or [""]
        mark = "  (proposed)" if m.status == "proposed" else ""
        print(f"#{m.id}  {m.kind}{mark}  {first}")
        if rest:
            print(_indented("\n".join(rest)))
        used = (f"used {m.used_count} time{'s' if m.used_count != 1 else ''}, last "
                f"{_when(m.last_used_at)}" if m.used_count else "not used yet")
        print(f"    {describe_source(m)}, {_when(m.created_at)}; {used}")


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

    return _with_vault(args, job)


def _memory_search(args: argparse.Namespace) -> int:
    from companion.memory import entries

    entries.match_query(args.query)

    def job(vault: Vault) -> int:
        _show_memories(entries.search_memories(vault, args.query), args.json,
                       "No memory matches.")
        return 0

    return _with_vault(args, job)


def _memory_add(args: argparse.Namespace) -> int:
    from companion.memory import entries

    kind = entries.parse_kind(args.kind)
    text = _text(args.text, "memory")

    def job(vault: Vault) -> int:
        memory = entries.add_memory(vault, text, kind)
        print(f"Remembered as memory #{memory.id} ({memory.kind}).")
        return 0

    return _with_vault(args, job, create=True)


def _memory_edit(args: argparse.Namespace) -> int:
    from companion.memory import entries

    kind = entries.parse_kind(args.kind) if args.kind is not None else None
    text = _text(args.text, "memory")

    def job(vault: Vault) -> int:
        memory = entries.edit_memory(vault, args.id, text, kind)
        print(f"Memory #{memory.id} ({memory.kind}) now reads as you wrote it.")
        return 0

    return _with_vault(args, job)


def _memory_forget(args: argparse.Namespace) -> int:
    from companion.memory import entries

    def job(vault: Vault) -> int:
        entries.forget_memory(vault, args.id)
        print(f"Memory #{args.id} is forgotten: deleted from the vault and its search index.")
        return 0

    return _with_vault(args, job)


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

    return _with_vault(args, job)


def _memory_discard(args: argparse.Namespace) -> int:
    from companion.memory import entries

    def job(vault: Vault) -> int:
        entries.discard_memory(vault, args.id)
        print(f"Proposed memory #{args.id} is thrown away.")
        return 0

    return _with_vault(args, job)


# commitments --------------------------------------------------------------------------


def _commitments_add(args: argparse.Namespace) -> int:
    from companion.memory import entries

    text = _text(args.text, "commitment")
    due = entries.parse_due(args.due) if args.due is not None else None

    def job(vault: Vault) -> int:
        item = entries.add_commitment(vault, text, due)
        when = f", due {item.due}" if item.due else ""
        print(f"Saved commitment #{item.id}{when}.")
        return 0

    return _with_vault(args, job, create=True)


def _show_commitments(items: list[Commitment], as_json: bool, empty: str) -> None:
    if as_json:
        _json([asdict(c) for c in items])
        return
    if not items:
        print(empty)
    for c in items:
        due = f"due {c.due}" if c.due else "no date"
        first, *rest = c.content.splitlines() or [""]
        print(f"#{c.id}  [{c.status}]  {due}  {first}")
        if rest:
            print(_indented("\n".join(rest)))


def _commitments_list(args: argparse.Namespace) -> int:
    from companion.memory import entries

    def job(vault: Vault) -> int:
        _show_commitments(entries.commitments(vault, include_all=args.all), args.json,
                          "No commitments." if args.all else
                          "No open commitments; `--all` shows done and dropped ones.")
        return 0

    return _with_vault(args, job)


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

        return _with_vault(args, job)

    return command


# moods --------------------------------------------------------------------------------


def _mood_add(args: argparse.Namespace) -> int:
    from companion.memory import entries

    score = entries.parse_score(args.score)
    note = entries.clean_note(args.note)

    def job(vault: Vault) -> int:
        mood = entries.add_mood(vault, score, note)
        print(f"Noted: {mood.score}/5 at {_when(mood.created_at)}.")
        return 0

    return _with_vault(args, job, create=True)


def _show_moods(items: list[Mood], as_json: bool) -> None:
    if as_json:
        _json([asdict(m) for m in items])
        return
    if not items:
        print("No moods noted yet; `companion mood add N` notes one (1 to 5).")
    for m in items:
        print(f"#{m.id}  {_when(m.created_at)}  {m.score}/5  {m.note}".rstrip())


def _mood_list(args: argparse.Namespace) -> int:
    from companion.memory import entries

    def job(vault: Vault) -> int:
        _show_moods(entries.moods(vault), args.json)
        return 0

    return _with_vault(args, job)


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "journal": _dispatch({"add": _journal_add, "list": _journal_list,
                          "search": _journal_search}),
    "memory": _dispatch({"list": _memory_list, "search": _memory_search, "add": _memory_add,
                         "edit": _memory_edit, "forget": _memory_forget,
                         "accept": _memory_accept, "discard": _memory_discard}),
    "commitments": _dispatch({"add": _commitments_add, "list": _commitments_list,
                              "done": _commitment_step("done"),
                              "drop": _commitment_step("drop"),
                              "accept": _commitment_step("accept")}),
    "mood": _dispatch({"add": _mood_add, "list": _mood_list}),
}
"""Subcommand name → handler; cli.main dispatches through this."""

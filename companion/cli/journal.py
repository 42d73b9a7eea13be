"""The journal and moods from the command line: `companion journal|mood ACTION …`.

Entries get no reply. The checks and the work are in `companion.memory.entries`; the
steps every command shares (vault, stdin, output) are in `companion.cli.steps`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from companion.cli.steps import dispatch, indented, print_json, read_text, when, with_vault
from companion.errors import UsageError

if TYPE_CHECKING:
    from companion.domain import JournalEntry, Mood
    from companion.vault import Vault


def add_parsers(sub: Any) -> None:
    """Add `journal` and `mood` to the top-level parser."""
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

    mood = sub.add_parser("mood", help="note how you feel, 1 to 5")
    verbs = mood.add_subparsers(dest="verb", metavar="ACTION", required=True)
    add = verbs.add_parser("add", help="note your mood now")
    add.add_argument("score", metavar="N", help="1 (very low) to 5 (very good)")
    add.add_argument("note", metavar="NOTE", nargs="?", default="", help="a few words")
    listing = verbs.add_parser("list", help="your moods, newest first")
    listing.add_argument("--json", action="store_true", help="print JSON")
    chart = verbs.add_parser("chart", help="your mood over the last days as a line, in words too")
    chart.add_argument("--days", type=int, default=30, metavar="N",
                       help="how many days back, today included (default 30)")


# journal ------------------------------------------------------------------------------


def _journal_add(args: argparse.Namespace) -> int:
    from companion.memory import entries

    text = read_text(args.text, "journal entry")
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

    return with_vault(args, job, create=True)


def _show_journal(items: list[JournalEntry], as_json: bool, empty: str) -> None:
    if as_json:
        print_json([asdict(e) for e in items])
        return
    if not items:
        print(empty)
    for entry in items:
        away = "  (not recalled in conversation)" if not entry.remember else ""
        print(f"#{entry.id}  {when(entry.created_at)}{away}")
        print(indented(entry.content) + "\n")


def _journal_list(args: argparse.Namespace) -> int:
    from companion.memory import entries

    if args.limit is not None and args.limit < 1:
        raise UsageError("--limit must be 1 or more.")

    def job(vault: Vault) -> int:
        _show_journal(entries.journal_entries(vault, args.limit), args.json,
                      "No journal entries yet; `companion journal add TEXT` writes one.")
        return 0

    return with_vault(args, job)


def _journal_search(args: argparse.Namespace) -> int:
    from companion.memory import entries

    entries.match_query(args.query)  # a query with no words is refused before unlocking

    def job(vault: Vault) -> int:
        _show_journal(entries.search_journal(vault, args.query), args.json,
                      "No journal entry matches.")
        return 0

    return with_vault(args, job)


# moods --------------------------------------------------------------------------------


def _mood_add(args: argparse.Namespace) -> int:
    from companion.memory import entries

    score = entries.parse_score(args.score)
    note = entries.clean_note(args.note)

    def job(vault: Vault) -> int:
        mood = entries.add_mood(vault, score, note)
        print(f"Noted: {mood.score}/5 at {when(mood.created_at)}.")
        return 0

    return with_vault(args, job, create=True)


def _show_moods(items: list[Mood], as_json: bool) -> None:
    if as_json:
        print_json([asdict(m) for m in items])
        return
    if not items:
        print("No moods noted yet; `companion mood add N` notes one (1 to 5).")
    for m in items:
        print(f"#{m.id}  {when(m.created_at)}  {m.score}/5  {m.note}".rstrip())


def _mood_list(args: argparse.Namespace) -> int:
    from companion.memory import entries

    def job(vault: Vault) -> int:
        _show_moods(entries.moods(vault), args.json)
        return 0

    return with_vault(args, job)


def _mood_chart(args: argparse.Namespace) -> int:
    from companion.cli import mood_chart

    days = mood_chart.check_days(args.days)

    def job(vault: Vault) -> int:
        mood_chart.show(vault, days)
        return 0

    return with_vault(args, job)


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "journal": dispatch({"add": _journal_add, "list": _journal_list,
                         "search": _journal_search}),
    "mood": dispatch({"add": _mood_add, "list": _mood_list, "chart": _mood_chart}),
}
"""Subcommand name → handler; cli.main dispatches through this."""

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
from companion.i18n import t

if TYPE_CHECKING:
    from companion.domain import JournalEntry, Mood
    from companion.vault import Vault


def add_parsers(sub: Any) -> None:
    """Add `journal` and `mood` to the top-level parser."""
    journal = sub.add_parser("journal", help=t("cli_help.journal"))
    verbs = journal.add_subparsers(dest="verb", metavar="ACTION", required=True)
    add = verbs.add_parser("add", help=t("cli_help.journal_add"))
    add.add_argument("text", metavar="TEXT", help=t("cli_help.journal_text"))
    remember = add.add_mutually_exclusive_group()
    remember.add_argument("--remember", dest="remember", action="store_true", default=None,
                          help=t("cli_help.journal_remember"))
    remember.add_argument("--no-remember", dest="remember", action="store_false",
                          help=t("cli_help.journal_no_remember"))
    listing = verbs.add_parser("list", help=t("cli_help.journal_list"))
    listing.add_argument("--limit", type=int, metavar="N", help=t("cli_help.journal_limit"))
    listing.add_argument("--json", action="store_true", help=t("cli_help.json"))
    search = verbs.add_parser("search", help=t("cli_help.journal_search"))
    search.add_argument("query", metavar="QUERY")
    search.add_argument("--json", action="store_true", help=t("cli_help.json"))

    mood = sub.add_parser("mood", help=t("cli_help.mood"))
    verbs = mood.add_subparsers(dest="verb", metavar="ACTION", required=True)
    add = verbs.add_parser("add", help=t("cli_help.mood_add"))
    add.add_argument("score", metavar="N", help=t("cli_help.mood_score"))
    add.add_argument("note", metavar="NOTE", nargs="?", default="", help=t("cli_help.mood_note"))
    listing = verbs.add_parser("list", help=t("cli_help.mood_list"))
    listing.add_argument("--json", action="store_true", help=t("cli_help.json"))
    chart = verbs.add_parser("chart", help=t("cli_help.mood_chart"))
    chart.add_argument("--days", type=int, default=30, metavar="N",
                       help=t("cli_help.mood_days"))


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
        print(t("cli_journal.saved" if remember else "cli_journal.saved_away", id=entry.id))
        return 0

    return with_vault(args, job, create=True)


def _show_journal(items: list[JournalEntry], as_json: bool, empty: str) -> None:
    if as_json:
        print_json([asdict(e) for e in items])
        return
    if not items:
        print(empty)
    for entry in items:
        away = t("cli_journal.not_recalled") if not entry.remember else ""
        print(f"#{entry.id}  {when(entry.created_at)}{away}")
        print(indented(entry.content) + "\n")


def _journal_list(args: argparse.Namespace) -> int:
    from companion.memory import entries

    if args.limit is not None and args.limit < 1:
        raise UsageError(t("cli_journal.limit"))

    def job(vault: Vault) -> int:
        _show_journal(entries.journal_entries(vault, args.limit), args.json,
                      t("cli_journal.empty"))
        return 0

    return with_vault(args, job)


def _journal_search(args: argparse.Namespace) -> int:
    from companion.memory import entries

    entries.match_query(args.query)  # a query with no words is refused before unlocking

    def job(vault: Vault) -> int:
        _show_journal(entries.search_journal(vault, args.query), args.json,
                      t("cli_journal.no_match"))
        return 0

    return with_vault(args, job)


# moods --------------------------------------------------------------------------------


def _mood_add(args: argparse.Namespace) -> int:
    from companion.memory import entries

    score = entries.parse_score(args.score)
    note = entries.clean_note(args.note)

    def job(vault: Vault) -> int:
        mood = entries.add_mood(vault, score, note)
        print(t("cli_journal.mood_noted", score=mood.score, when=when(mood.created_at)))
        return 0

    return with_vault(args, job, create=True)


def _show_moods(items: list[Mood], as_json: bool) -> None:
    if as_json:
        print_json([asdict(m) for m in items])
        return
    if not items:
        print(t("cli_journal.no_moods"))
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

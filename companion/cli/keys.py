"""`companion keys [--json]`: the app's key bindings by id, for `[keys]` in config.toml.

A keymap is only usable when people can see the ids to remap, so this lists every
screen's bindings as the app would apply them, with the person's own `[keys]` checked
the same way the app checks them (ui/keys.py).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from companion.i18n import t


def add_parsers(sub: Any) -> None:
    """Add this module's subcommands to the top-level parser."""
    keys = sub.add_parser("keys", help=t("cli_help.keys"))
    keys.add_argument("--json", action="store_true", help=t("cli_help.json"))


def cmd_keys(args: argparse.Namespace) -> int:
    from companion.cli.steps import settings_for
    from companion.ui.app import CompanionApp
    from companion.ui.keys import binding_table, check

    _where, settings = settings_for(args)
    table = binding_table(CompanionApp)
    safe, problems = check(settings.keys, table)
    for problem in problems:
        print(f"companion: {problem}", file=sys.stderr)
    rows: dict[str, dict[str, str]] = {}
    for where, bindings in table.items():
        for bound in bindings:
            if bound.id and bound.id not in rows:
                rows[bound.id] = {"id": bound.id,
                                  "keys": safe.get(bound.id, ",".join(bound.keys)),
                                  "description": bound.description, "where": where}
    if args.json:
        print(json.dumps({"keys": sorted(rows.values(), key=lambda r: r["id"]),
                          "problems": problems}, ensure_ascii=False, indent=2))
        return 0
    for row in sorted(rows.values(), key=lambda r: r["id"]):
        words = t(f"keys.{row['id']}")  # the key hint as the app shows it, when worded
        words = row["description"] if words == f"keys.{row['id']}" else words
        where = t("cli.keys_the_app") if row["where"] == "the app" else row["where"]
        print(f"{row['id']:<24} {row['keys']:<16} {words} ({where})")
    print("\n" + t("cli.keys_hint"))
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {"keys": cmd_keys}

"""`companion languages [--json]`: the languages the app's own words come in.

Each row says how much of the English catalogue the language translates (`complete`,
0 to 1), so a person can see before choosing `ui_language` what they will get.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from companion.i18n import t


def add_parsers(sub: Any) -> None:
    """Add this module's subcommands to the top-level parser."""
    languages = sub.add_parser("languages", help=t("cli_help.languages"))
    languages.add_argument("--json", action="store_true", help=t("cli_help.json"))


def cmd_languages(args: argparse.Namespace) -> int:
    from rich.cells import cell_len

    from companion import i18n
    from companion.cli.steps import settings_for

    _where, settings = settings_for(args)
    chosen = i18n.choose(settings.ui_language, settings.language)
    rows = [{"code": code, "name": i18n.name_of(code), "complete": i18n.complete(code),
             "current": code == chosen} for code in i18n.codes()]
    if args.json:
        print(json.dumps({"languages": rows}, ensure_ascii=False, indent=2))
        return 0
    for row in rows:
        mark = "*" if row["current"] else " "
        name = str(row["name"])
        pad = " " * max(1, 24 - cell_len(name))  # Hindi, Korean, Chinese: wide cells
        print(f"{mark} {row['code']:<6} {name}{pad}{row['complete']:.0%}")
    print("\n" + t("cli.languages_hint"))
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {"languages": cmd_languages}

"""Personas from the command line: `companion personas list [--json]`.

No passphrase is needed: persona files live in the config folder, not in the vault. A
persona file of the person's own that cannot be used is named (file, line, key) on
stderr and skipped, as in the app.
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
    personas = sub.add_parser("personas", help=t("cli_help.personas"))
    verbs = personas.add_subparsers(dest="verb", metavar="ACTION", required=True)
    listing = verbs.add_parser("list", help=t("cli_help.personas_list"))
    listing.add_argument("--json", action="store_true", help=t("cli_help.json"))


def cmd_personas(args: argparse.Namespace) -> int:
    from companion.care import personas
    from companion.cli.steps import settings_for

    where, settings = settings_for(args)
    folder = personas.user_dir(where.config)
    known = personas.load_personas(folder)
    for problem in known.problems:
        print(f"companion: {problem}", file=sys.stderr)
    if args.json:
        print(json.dumps({"personas": [p.as_dict() for p in known.personas.values()],
                          "folder": str(folder), "problems": list(known.problems),
                          "config_persona": settings.persona_name},
                         ensure_ascii=False, indent=2))
        return 0
    for persona in known.personas.values():
        whose = t("cli.builtin") if persona.builtin else persona.source
        language = t("cli.answers_in", language=persona.language) if persona.language else ""
        print(f"{persona.name:<20} {persona.label} ({whose}{language})")
    print("\n" + t("cli.personas_hint", folder=folder))
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {"personas": cmd_personas}

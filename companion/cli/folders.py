"""`companion paths`: where companion keeps its files."""

from __future__ import annotations

import argparse
import json
from typing import Any

from companion.cli.steps import Command
from companion.i18n import t


def add_parsers(sub: Any) -> None:
    """Add this module's subcommands to the top-level parser."""
    where = sub.add_parser("paths", help=t("cli_help.paths"))
    where.add_argument("--json", action="store_true", help=t("cli_help.json"))


def cmd_paths(args: argparse.Namespace) -> int:
    """Needs no passphrase: folder names reveal nothing the user wrote."""
    from companion import paths

    where = paths.resolve(args.home)
    folders = {"config": where.config, "data": where.data, "models": where.models,
               "cache": where.cache, "log": where.log}
    if args.json:
        print(json.dumps({name: str(path) for name, path in folders.items()}))
    else:
        for name, path in folders.items():
            print(f"{name:<7} {path}")
    return 0


COMMANDS: dict[str, Command] = {"paths": cmd_paths}

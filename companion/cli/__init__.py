"""The command line: the TUI by default, plus scriptable subcommands.

Contract (scripts and tests rely on it): global options come before the subcommand;
exit codes are 0 ok, 2 usage, 3 wrong passphrase, 4 model problem, 5 vault damaged,
6 the model no longer matches the pin;
every failure prints one plain sentence on stderr and never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from companion import __version__
from companion.cli import (
    data,
    desktop,
    folders,
    history,
    journal,
    keys,
    languages,
    memory,
    models,
    passphrase,
    personas,
    prompt,
    recall,
    say,
    tui,
)
from companion.cli.steps import Command
from companion.errors import CompanionError

# Each module adds its subcommands and names the function behind each (order = --help).
GROUPS = (say, prompt, folders, history, models, journal, memory, data, passphrase, recall,
          personas, keys, languages, desktop)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"companion: {message}; run `companion --help` to see what it accepts.\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="companion",
        description="A local-first, offline companion for journaling and emotional support.",
    )
    parser.add_argument("--version", action="version", version=f"companion {__version__}")
    parser.add_argument("--home", metavar="DIR", help="keep all of companion's files under DIR")
    parser.add_argument("--model", metavar="PATH", help="the GGUF model file to talk with")
    parser.add_argument("--engine", metavar="URL",
                        help="answer from your own llama.cpp server at URL (docs/ENGINES.md)")
    parser.add_argument("--passphrase-file", metavar="FILE", type=Path,
                        help="read the passphrase from the first line of FILE (for scripts)")
    parser.add_argument("--seed", type=int, metavar="N", help="fixed sampling seed")
    parser.add_argument("--temperature", type=float, metavar="T", help="sampling temperature")
    parser.add_argument("--theme", metavar="NAME", help="the look of the app")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    for group in GROUPS:
        group.add_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from companion.vault.hardening import harden_process

    harden_process()  # before any key exists in memory or any file is written
    args = build_parser().parse_args(argv)
    commands: dict[str | None, Command] = {None: tui.cmd_tui}
    for group in GROUPS:
        commands.update(group.COMMANDS)
    try:
        return commands[args.command](args)
    except CompanionError as exc:
        print(f"companion: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("companion: stopped.", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`| head`); nothing more to say to it
        return 141
    except Exception as exc:
        from companion import logs
        from companion.vault.connection import explain

        known = explain(exc)
        if known is not None:  # a damaged page or a full disk found mid-command
            print(f"companion: {known}", file=sys.stderr)
            return known.exit_code
        logs.log_unexpected(exc)
        print(
            f"companion: something unexpected went wrong ({type(exc).__name__}); messages "
            "already sent are saved, and details (without your words) are in the log file.",
            file=sys.stderr,
        )
        return 1

"""The command line: the TUI by default, plus scriptable subcommands.

Contract (scripts and tests rely on it): global options come before the subcommand;
exit codes are 0 ok, 2 usage, 3 wrong passphrase, 4 model problem, 5 vault damaged,
6 the model no longer matches the pin;
every failure prints one plain sentence on stderr and never a traceback.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from companion import (
    __version__,
    cli_care,
    cli_data,
    cli_journal,
    cli_memory,
    cli_models,
    cli_recall,
    cli_say,
)
from companion.errors import CompanionError, UsageError

if TYPE_CHECKING:  # heavy-ish imports stay out of `companion --help`
    from companion.config import Settings
    from companion.paths import Paths
    from companion.vault import Vault


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
    parser.add_argument("--passphrase-file", metavar="FILE", type=Path,
                        help="read the passphrase from the first line of FILE (for scripts)")
    parser.add_argument("--seed", type=int, metavar="N", help="fixed sampling seed")
    parser.add_argument("--temperature", type=float, metavar="T", help="sampling temperature")
    parser.add_argument("--theme", metavar="NAME", help="the look of the app")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    cli_say.add_parsers(sub)

    where = sub.add_parser("paths", help="show where companion keeps its files")
    where.add_argument("--json", action="store_true", help="print JSON")

    history = sub.add_parser("history", help="list conversations, or print one")
    history.add_argument("--json", action="store_true", help="print JSON")
    history.add_argument("--conversation", type=int, metavar="ID", help="print this one")
    cli_models.add_parsers(sub)
    cli_journal.add_parsers(sub)
    cli_memory.add_parsers(sub)
    cli_data.add_parsers(sub)
    cli_recall.add_parsers(sub)
    cli_care.add_parsers(sub)
    return parser


# shared steps -----------------------------------------------------------------------


def settings_for(args: argparse.Namespace) -> tuple[Paths, Settings]:
    from companion import config, logs, paths

    where = paths.resolve(args.home)
    where.ensure()
    logs.setup(where.log_file)
    settings, warning = config.load_or_default(where.config_file)
    if warning:
        print(f"companion: {warning}", file=sys.stderr)
    if args.temperature is not None and args.temperature < 0:
        raise UsageError("The temperature must be 0 or more.")
    settings = replace(
        settings,
        seed=args.seed if args.seed is not None else settings.seed,
        theme=args.theme or settings.theme,
    )
    return where, settings


def overrides(args: argparse.Namespace) -> dict[str, float]:
    """Sampling changes asked for on this command line; they apply to this run only,
    on top of the pinned parameters."""
    return {} if args.temperature is None else {"temperature": args.temperature}


def _ask(prompt: str) -> str:
    if not sys.stdin.isatty():  # getpass would fall back to echoing, with a warning
        raise UsageError(
            "No passphrase was given; run in a terminal or pass --passphrase-file FILE."
        )
    try:
        return getpass.getpass(prompt)
    except (EOFError, OSError):
        raise UsageError(
            "No passphrase was given; run in a terminal or pass --passphrase-file FILE."
        ) from None


def open_vault(args: argparse.Namespace, where: Paths) -> Vault:
    from companion import startup

    new = startup.needs_new_vault(where)
    if args.passphrase_file is not None:
        passphrase = startup.read_passphrase_file(args.passphrase_file)
    elif new:
        passphrase = _ask("Choose a passphrase for your new vault: ")
        if _ask("Type it once more: ") != passphrase:
            raise UsageError("The two passphrases differ; nothing was created. Try again.")
    else:
        passphrase = _ask("Passphrase: ")
    if new:
        return startup.create_vault(where, passphrase)
    return startup.unlock_vault(where, passphrase)


# subcommands ------------------------------------------------------------------------


def cmd_history(args: argparse.Namespace) -> int:
    from companion import startup
    from companion.session import Session

    where, settings = settings_for(args)
    if startup.needs_new_vault(where):
        raise UsageError(f"There is no vault in {where.data} yet, so there is no history; "
                         "start companion once to create it.")
    vault = open_vault(args, where)
    try:
        session = Session(vault, settings)
        if args.conversation is None:
            items = session.conversations()
            if args.json:
                print(json.dumps([
                    {"id": c.id, "title": c.title, "created_at": c.created_at,
                     "updated_at": c.updated_at, "messages": c.message_count}
                    for c in items
                ], ensure_ascii=False))
            elif not items:
                print("No conversations yet.")
            else:
                for c in items:
                    print(f"{c.id:>5}  {c.updated_at[:16].replace('T', ' ')}  "
                          f"{c.message_count:>4} msgs  {c.title or '(untitled)'}")
            return 0
        messages = session.open_conversation(args.conversation)
        if args.json:
            print(json.dumps({
                "id": args.conversation,
                "messages": [
                    {"id": m.id, "role": m.role, "content": m.content,
                     "created_at": m.created_at, "stopped": m.stopped,
                     "provenance": m.provenance.as_dict() if m.provenance else None}
                    for m in messages
                ],
            }, ensure_ascii=False))
        else:
            for m in messages:
                mark = " (stopped)" if m.stopped else ""
                print(f"[{m.role}{mark}] {m.content}\n")
        return 0
    finally:
        vault.close()


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


def cmd_tui(args: argparse.Namespace) -> int:
    from companion import startup
    from companion.ui.app import CompanionApp

    where, settings = settings_for(args)
    settings = replace(settings, model=args.model or settings.model)
    passphrase = None
    if args.passphrase_file is not None:
        passphrase = startup.read_passphrase_file(args.passphrase_file)
    app = CompanionApp(where, settings, passphrase=passphrase, overrides=overrides(args))
    app.run()
    return app.return_code or 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    commands = {"say": cli_say.cmd_say, "history": cmd_history, "paths": cmd_paths,
                "models": cli_models.cmd_models, "pin": cli_models.cmd_pin,
                **cli_journal.COMMANDS, **cli_memory.COMMANDS, **cli_data.COMMANDS,
                **cli_recall.COMMANDS, **cli_care.COMMANDS,
                None: cmd_tui}
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

        logs.log_unexpected(exc)
        print(
            f"companion: something unexpected went wrong ({type(exc).__name__}); messages "
            "already sent are saved, and details (without your words) are in the log file.",
            file=sys.stderr,
        )
        return 1

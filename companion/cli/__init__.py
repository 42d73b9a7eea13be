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
from typing import Any, NoReturn

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
from companion.i18n import t

# Each module adds its subcommands and names the function behind each (order = --help).
GROUPS = (say, prompt, folders, history, models, journal, memory, data, passphrase, recall,
          personas, keys, languages, desktop)


class _Formatter(argparse.HelpFormatter):
    """argparse writes "usage: " itself (Python ships no translations of its words)."""

    def add_usage(self, usage: str | None, actions: Any, groups: Any,
                  prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups,
                          prefix if prefix is not None else t("cli_argparse.usage") + " ")


class _Parser(argparse.ArgumentParser):
    """Every parser and subparser (argparse builds subparsers with the parent's class):
    its own -h in the person's language, and usage mistakes as one plain sentence."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        helps = kwargs.pop("add_help", True)
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, add_help=False, **kwargs)
        self._positionals.title = t("cli_argparse.positionals")  # argparse's own headings
        self._optionals.title = t("cli_argparse.options")
        if helps:
            self.add_argument("-h", "--help", action="help", help=t("cli_help.help"))

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"companion: {t('cli.usage_error', message=message)}\n")


def build_parser() -> argparse.ArgumentParser:
    """Built when it is needed, after the language is chosen, so --help speaks it."""
    parser = _Parser(prog="companion", description=t("cli_help.description"))
    parser.add_argument("--version", action="version", version=f"companion {__version__}",
                        help=t("cli_help.version"))
    parser.add_argument("--home", metavar="DIR", help=t("cli_help.home"))
    parser.add_argument("--model", metavar="PATH", help=t("cli_help.model"))
    parser.add_argument("--engine", metavar="URL", help=t("cli_help.engine"))
    parser.add_argument("--passphrase-file", metavar="FILE", type=Path,
                        help=t("cli_help.passphrase_file"))
    parser.add_argument("--seed", type=int, metavar="N", help=t("cli_help.seed"))
    parser.add_argument("--temperature", type=float, metavar="T",
                        help=t("cli_help.temperature"))
    parser.add_argument("--theme", metavar="NAME", help=t("cli_help.theme"))
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    for group in GROUPS:
        group.add_parsers(sub)
    return parser


def _choose_language(argv: Sequence[str] | None) -> None:
    """The person's language before the parser is built (its help texts are made then):
    `ui_language` or `language` from the config of the --home given, read quietly (the
    command's own `settings_for` says what is wrong with it), else the environment."""
    from companion import i18n

    words = list(sys.argv[1:] if argv is None else argv)
    home: str | None = None
    for i, word in enumerate(words):
        if word == "--":
            break
        if word == "--home" and i + 1 < len(words):
            home = words[i + 1]
            break
        if word.startswith("--home="):
            home = word.split("=", 1)[1]
            break
    ui_language = language = ""
    try:
        from companion import config, paths

        settings, _warning = config.load_or_default(paths.resolve(home).config_file)
        ui_language, language = settings.ui_language, settings.language
    except Exception:  # a config that cannot be read is reported by the command itself
        pass
    i18n.use(i18n.choose(ui_language, language))


def main(argv: Sequence[str] | None = None) -> int:
    from companion.vault.hardening import harden_process

    harden_process()  # before any key exists in memory or any file is written
    _choose_language(argv)
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
        print(f"companion: {t('cli.stopped')}", file=sys.stderr)
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
        print(f"companion: {t('cli.unexpected', error=type(exc).__name__)}", file=sys.stderr)
        return 1

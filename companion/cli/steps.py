"""The steps every command shares: settings from the arguments, the passphrase, the vault,
reading text or stdin, printing JSON.

Command modules import this one; it imports none of them (nor `companion.cli`), so the
package has no circle.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from companion.errors import UsageError
from companion.i18n import t

if TYPE_CHECKING:  # heavy-ish imports stay out of `companion --help`
    from companion.config import Settings
    from companion.paths import Paths
    from companion.vault import Vault

Job = Callable[["Vault"], int]
Command = Callable[[argparse.Namespace], int]


def settings_for(args: argparse.Namespace) -> tuple[Paths, Settings]:
    from companion import config, i18n, logs, paths

    where = paths.resolve(args.home)
    where.ensure()
    logs.setup(where.log_file)
    settings, warning = config.load_or_default(where.config_file)
    i18n.use(i18n.choose(settings.ui_language, settings.language))  # from here on, theirs
    if warning:
        print(f"companion: {warning}", file=sys.stderr)
    if args.temperature is not None and args.temperature < 0:
        raise UsageError(t("cli.temperature"))
    settings = replace(
        settings,
        seed=args.seed if args.seed is not None else settings.seed,
        theme=args.theme or settings.theme,
        engine=getattr(args, "engine", None) or settings.engine,
    )
    return where, settings


def overrides(args: argparse.Namespace) -> dict[str, float]:
    """Sampling changes asked for on this command line; they apply to this run only,
    on top of the pinned parameters."""
    return {} if args.temperature is None else {"temperature": args.temperature}


def ask_passphrase(prompt: str) -> str:
    """Typed at the terminal without echo; refused without a terminal, where getpass
    would fall back to echoing the passphrase."""
    if not sys.stdin.isatty():
        raise UsageError(t("cli.no_passphrase"))
    try:
        return getpass.getpass(prompt)
    except (EOFError, OSError):
        raise UsageError(t("cli.no_passphrase")) from None


def passphrase_for(args: argparse.Namespace, prompt: str | None = None) -> str:
    """From --passphrase-file when given, else asked at the terminal ("Passphrase: ")."""
    from companion.conversation import unlock

    if args.passphrase_file is not None:
        return unlock.read_passphrase_file(args.passphrase_file)
    return ask_passphrase(prompt or t("cli.passphrase_prompt"))


def open_vault(args: argparse.Namespace, where: Paths) -> Vault:
    from companion.conversation import unlock

    new = unlock.needs_new_vault(where)
    if args.passphrase_file is not None:
        passphrase = unlock.read_passphrase_file(args.passphrase_file)
    elif new:
        passphrase = ask_passphrase(t("cli.new_vault_prompt"))
        if ask_passphrase(t("cli.again_prompt")) != passphrase:
            raise UsageError(t("cli.passphrases_differ"))
    else:
        passphrase = ask_passphrase(t("cli.passphrase_prompt"))
    if new:
        return unlock.create_vault(where, passphrase)
    vault = unlock.unlock_vault(where, passphrase)
    _speak_as_chosen(where, vault)
    return vault


def _speak_as_chosen(where: Paths, vault: Vault) -> None:
    """Once the vault is open, the language chosen in onboarding counts too, as in the app
    (the setting and the environment still come first)."""
    from companion import config, i18n
    from companion.care.profile import ui_language

    settings, _warning = config.load_or_default(where.config_file)
    i18n.use(ui_language(settings, vault))


def with_vault(args: argparse.Namespace, job: Job, create: bool = False) -> int:
    """Open the vault for a job; only the `add` actions may create it."""
    from companion.conversation import unlock

    where, _settings = settings_for(args)
    if not create and unlock.needs_new_vault(where):
        raise UsageError(t("cli.no_vault_show", folder=where.data))
    vault = open_vault(args, where)
    try:
        return job(vault)
    finally:
        vault.close()


def read_text(value: str, what: str) -> str:
    """The text argument, or stdin for `-`, checked before anything is opened."""
    from companion.memory import entries

    if value == "-":
        value = entries.decode_input(sys.stdin.buffer.read(), what)
    return entries.clean_text(value, what)


def print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False))


def when(stamp: str | None) -> str:
    return stamp[:16].replace("T", " ") if stamp else ""


def indented(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines() or [""])


def counted(key: str, n: int, **values: Any) -> str:
    """`{key}_one`, `_few` or `_many` with `n`, by the current language's plural rule.

    Russian needs three forms; every catalogue writes all three (English's `_few` is its
    `_many`), so the parity check holds and no language is forced into English's two."""
    from companion import i18n

    return t(f"{key}_{i18n.plural_form(n)}", n=n, **values)


def confirmed(answer: str) -> bool:
    """An explicit yes: y or yes always, and the person's own words for it."""
    words = {"y", "yes", *(w.strip() for w in t("cli.yes_words").split(","))}
    return answer.strip().lower() in words - {""}


def dispatch(handlers: dict[str, Callable[[argparse.Namespace], int]]
              ) -> Callable[[argparse.Namespace], int]:
    def command(args: argparse.Namespace) -> int:
        return handlers[args.verb](args)

    return command

"""`companion prompt`: exactly what the model would see for the next message.

Nothing hidden goes to the model: this prints the whole rendered prompt (persona,
mode rules, the conversation, recalled context, notes) for TEXT as the next message in
the current conversation, without storing TEXT or asking the model anything. Under
--json, `control_tokens` counts the template's markup tokens, so anyone can check that
stored words never turn into chat control.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from companion.errors import ModelError
from companion.i18n import t


def add_parsers(sub: Any) -> None:
    prompt = sub.add_parser("prompt", help=t("cli_help.prompt"))
    prompt.add_argument("text", metavar="TEXT", nargs="?", default="",
                        help=t("cli_help.prompt_text"))
    prompt.add_argument("--json", action="store_true", help=t("cli_help.json_one"))


def cmd_prompt(args: argparse.Namespace) -> int:
    from companion.cli.steps import open_vault, overrides, print_json, settings_for
    from companion.conversation import pinned_model
    from companion.conversation.session import Session

    where, settings = settings_for(args)
    text = args.text
    if text == "-":
        from companion.cli.steps import read_text

        text = read_text(text, "the message")
    vault = open_vault(args, where)
    try:
        loaded = pinned_model.load(where, vault, settings, cli_model=args.model,
                                   overrides=overrides(args))
        if loaded is None:
            raise ModelError(t("cli.prompt_no_model"))
        session = Session(vault, settings, loaded.engine)
        view = session.preview(text)
    finally:
        vault.close()
    if args.json:
        print_json({"conversation_id": session.conversation_id, "text": view.text,
                    "tokens": view.tokens, "control_tokens": view.control_tokens,
                    "template": view.template})
    else:
        print(view.text)
        print("\n" + t("cli.prompt_tokens", tokens=view.tokens,
                        control=view.control_tokens))
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {"prompt": cmd_prompt}

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


def add_parsers(sub: Any) -> None:
    prompt = sub.add_parser("prompt", help="show exactly what the model would see for the "
                                           "next message (nothing is sent or saved)")
    prompt.add_argument("text", metavar="TEXT", nargs="?", default="",
                        help="the next message; - reads it from stdin (optional)")
    prompt.add_argument("--json", action="store_true", help="print one JSON object")


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
            raise ModelError("No model is set, so there is no prompt to show; run again with "
                             "--model PATH to a .gguf file.")
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
        print(f"\n({view.tokens} tokens, {view.control_tokens} of them the template's "
              "markup)")
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {"prompt": cmd_prompt}

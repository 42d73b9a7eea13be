"""What companion is and is not, where its files are, and how to delete them (F1).

The same plain sentences open onboarding; this page stays one key away afterwards.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

WHAT_IT_IS = (
    "What companion is and is not\n\n"
    "• It runs only on this computer. Nothing you write is sent anywhere; it is kept in a "
    "vault encrypted with your passphrase.\n"
    "• It is not a therapist and cannot diagnose anyone.\n"
    "• It can be wrong. Take what it says as one voice to think with, not as facts or "
    "orders.\n"
    "• You can delete anything at any time: a conversation, a memory, or everything.\n"
    "• If you might be in danger, please reach a person as well: someone you trust, a "
    "local crisis line, or emergency services."
)


def on_a_server(engine_url: str) -> str:
    """The first promise, made true when replies come from the person's own server."""
    return (f"• Replies come from your own server at {engine_url}: what is needed for each "
            "reply (what `companion prompt` shows) is sent there, nothing else. Everything "
            "is kept here, in a vault encrypted with your passphrase.")


def what_it_is(engine_url: str = "") -> str:
    if not engine_url:
        return WHAT_IT_IS
    first = WHAT_IT_IS.split("\n")[2]
    return WHAT_IT_IS.replace(first, on_a_server(engine_url))


def where_and_how(paths: Any) -> str:
    """Where the files are and how to delete them, with this computer's real folders."""
    return (
        "Where your data lives\n\n"
        f"• Your vault (conversations, journal, memories, your profile): {paths.vault_db} "
        f"and its key file {paths.vault_key}. Both are encrypted; without your passphrase "
        "they cannot be read.\n"
        f"• Settings, themes and your own personas: {paths.config}. These are plain text "
        "files, not encrypted; keep private details out of them.\n"
        f"• Models: {paths.models}.\n"
        f"• The log (problems only, never your words): {paths.log_file}.\n\n"
        "How to delete it\n\n"
        "• One conversation with everything learned from it: the command palette (Ctrl+P), "
        "'Delete this conversation', or `companion forget conversation ID` in a terminal.\n"
        "• A memory or a commitment: Memories (Ctrl+Y), then Forget.\n"
        "• Everything in the vault: `companion forget everything` (models and settings "
        "stay).\n"
        "• Nothing at all left behind: quit companion and delete the folders above."
    )


class LimitsScreen(Screen[None]):
    """A page to read; Esc or F1 goes back to where the person was."""

    BINDINGS = [
        Binding("escape", "close", "Back", id="close_limits"),
        Binding("f1", "close", "Back", id="limits_back", show=False),
    ]

    def compose(self) -> ComposeResult:
        paths = getattr(self.app, "paths", None)
        with VerticalScroll(id="limits-box"):
            settings = getattr(self.app, "settings", None)
            yield Static(what_it_is(getattr(settings, "engine", "")), id="limits-what",
                         markup=False)
            if paths is not None:
                yield Static(where_and_how(paths), id="limits-where", markup=False)
            yield Static("Esc or F1 goes back.", id="limits-hint", markup=False)
        yield Footer()

    def action_close(self) -> None:
        self.dismiss(None)

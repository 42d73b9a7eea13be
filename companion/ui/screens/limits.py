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

from companion.i18n import t
from companion.ui.binding_words import Worded


def what_it_is(engine_url: str = "") -> str:
    """What companion is and is not; the first promise made true when replies come from
    the person's own server."""
    first = t("limits.server", engine=engine_url) if engine_url else t("limits.local")
    bullets = [first, *(t(f"limits.{k}") for k in ("therapist", "wrong", "delete", "danger"))]
    return t("limits.heading") + "\n\n" + "\n".join(bullets)


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


class LimitsScreen(Worded, Screen[None]):
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
            yield Static(t("limits.hint"), id="limits-hint", markup=False)
        yield Footer()

    def action_close(self) -> None:
        self.dismiss(None)

"""What covers the app the moment it locks, while a reply in progress is finished.

Locking (ui/lock.py) must hide the person's words at once, but a reply being written is
finished and saved before the vault closes, and that can take a few seconds. This
screen covers everything meanwhile; it holds no words of theirs, only what is going on.
The unlock screen replaces it once the vault is closed.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Label, Static

from companion.i18n import t
from companion.ui.binding_words import Worded


class LockingScreen(Worded, Screen[None]):
    """An opaque cover with no words of the person's; nothing here reads the vault."""

    BINDINGS = [Binding("ctrl+q", "app.quit", "Quit", id="quit")]

    def compose(self) -> ComposeResult:
        with Center(), Vertical(id="unlock-box"):
            yield Label(t("lock.title"), id="unlock-title")
            yield Static(t("lock.text"), id="locking-text")
        yield Footer()

"""Creating or unlocking the vault: the first thing a person sees.

Key derivation (Argon2id) takes a moment by design, so it runs in a thread worker and
the screen stays responsive; a wrong passphrase is a calm sentence and another try.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, Static

from companion.errors import CompanionError, WrongPassphrase

if TYPE_CHECKING:
    from companion.paths import Paths

INTRO = (
    "companion is a place to think out loud. It runs only on this computer: nothing you "
    "write leaves it, and everything is kept in a vault encrypted with your passphrase.\n\n"
    "It is not a therapist and cannot diagnose anyone, and it can be wrong. "
    "You can delete anything at any time."
)
FORGET_WARNING = "There is no way to recover the vault without this passphrase."


class UnlockScreen(Screen["Vault"]):
    """Asks for a passphrase (twice when creating) and dismisses with the open vault."""

    BINDINGS = [Binding("ctrl+q", "app.quit", "Quit", id="quit")]

    def __init__(self, paths: Paths, *, create: bool) -> None:
        super().__init__()
        self.paths = paths
        self.create = create

    def compose(self) -> ComposeResult:
        with Center(), Vertical(id="unlock-box"):
            if self.create:
                yield Label("Welcome to companion", id="unlock-title")
                engine = getattr(getattr(self.app, "settings", None), "engine", "")
                yield Static(INTRO if not engine else INTRO.replace(
                    INTRO.split("\n")[0], "companion is a place to think out loud. Replies "
                    f"come from your own server at {engine}; everything else stays on this "
                    "computer, in a vault encrypted with your passphrase."), id="intro")
                yield Label("Choose a passphrase for your vault:")
                yield Input(password=True, id="passphrase", placeholder="passphrase")
                yield Label("Type it once more:")
                yield Input(password=True, id="confirm", placeholder="the same passphrase")
                yield Static(FORGET_WARNING, id="hint")
                yield Button("Create my vault", id="submit", variant="primary")
            else:
                yield Label("Welcome back", id="unlock-title")
                yield Label("Your passphrase:")
                yield Input(password=True, id="passphrase", placeholder="passphrase")
                yield Button("Unlock", id="submit", variant="primary")
            yield Static("", id="unlock-error")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#passphrase", Input).focus()

    def _error(self, text: str) -> None:
        self.query_one("#unlock-error", Static).update(text)

    @on(Input.Submitted, "#passphrase")
    def _next_field(self) -> None:
        if self.create:
            self.query_one("#confirm", Input).focus()
        else:
            self.submit()

    @on(Input.Submitted, "#confirm")
    @on(Button.Pressed, "#submit")
    def submit(self) -> None:
        passphrase = self.query_one("#passphrase", Input).value
        if not passphrase:
            self._error("Type a passphrase first.")
            return
        if self.create and self.query_one("#confirm", Input).value != passphrase:
            self._error("The two passphrases differ; type them again.")
            self.query_one("#confirm", Input).value = ""
            self.query_one("#confirm", Input).focus()
            return
        for field in self.query(Input):  # taken: no widget keeps it once the vault opens
            field.value = ""
        self._error("Opening your vault…" if not self.create else "Creating your vault…")
        self.query_one("#submit", Button).disabled = True
        self._open(passphrase)

    @work(thread=True, exclusive=True, group="unlock")
    def _open(self, passphrase: str) -> None:
        from companion.conversation import unlock

        try:
            if self.create:
                vault = unlock.create_vault(self.paths, passphrase)
            else:
                vault = unlock.unlock_vault(self.paths, passphrase)
        except WrongPassphrase as exc:
            self.app.call_from_thread(self._failed, str(exc), retry=True)
            return
        except CompanionError as exc:
            self.app.call_from_thread(self._failed, str(exc), retry=False)
            return
        self.app.call_from_thread(self.dismiss, vault)

    def _failed(self, text: str, *, retry: bool) -> None:
        self._error(text)
        field = self.query_one("#passphrase", Input)
        field.value = ""
        self.query_one("#submit", Button).disabled = not retry
        field.disabled = not retry
        if retry:
            field.focus()

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
from companion.i18n import t
from companion.ui.binding_words import Worded

if TYPE_CHECKING:
    from companion.paths import Paths



def intro(engine: str = "") -> str:
    """What companion is, in two short paragraphs; true also when an engine answers."""
    first = t("unlock.intro_server", engine=engine) if engine else t("unlock.intro")
    return f"{first}\n\n{t('unlock.intro_limits')}"



class UnlockScreen(Worded, Screen["Vault"]):
    """Asks for a passphrase (twice when creating) and dismisses with the open vault."""

    BINDINGS = [Binding("ctrl+q", "app.quit", "Quit", id="quit")]

    def __init__(self, paths: Paths, *, create: bool) -> None:
        super().__init__()
        self.paths = paths
        self.create = create

    def compose(self) -> ComposeResult:
        with Center(), Vertical(id="unlock-box"):
            if self.create:
                yield Label(t("unlock.title_new"), id="unlock-title")
                engine = getattr(getattr(self.app, "settings", None), "engine", "")
                yield Static(intro(engine), id="intro")
                yield Label(t("unlock.choose"))
                yield Input(password=True, id="passphrase", placeholder=t("unlock.placeholder"))
                yield Label(t("unlock.again"))
                yield Input(password=True, id="confirm",
                            placeholder=t("unlock.placeholder_again"))
                yield Static(t("unlock.forget_warning"), id="hint")
                yield Button(t("unlock.create"), id="submit", variant="primary")
            else:
                yield Label(t("unlock.title_back"), id="unlock-title")
                yield Label(t("unlock.yours"))
                yield Input(password=True, id="passphrase", placeholder=t("unlock.placeholder"))
                yield Button(t("unlock.unlock"), id="submit", variant="primary")
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
            self._error(t("unlock.empty"))
            return
        if self.create and self.query_one("#confirm", Input).value != passphrase:
            self._error(t("unlock.differ"))
            self.query_one("#confirm", Input).value = ""
            self.query_one("#confirm", Input).focus()
            return
        for field in self.query(Input):  # taken: no widget keeps it once the vault opens
            field.value = ""
        self._error(t("unlock.creating") if self.create else t("unlock.opening"))
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

"""Changing the passphrase from the app (palette "Change passphrase").

The same change as `companion passphrase` (`conversation.unlock.change_passphrase`): the
data key is wrapped again, the database is not rewritten. Argon2id takes a moment by
design, so the work runs in a thread worker. The fields are emptied once their values
are taken, so no widget keeps a passphrase; the strings themselves cannot be overwritten
(see `vault/keys.py`).
"""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from companion.errors import CompanionError
from companion.i18n import t
from companion.logs import log_unexpected
from companion.ui.binding_words import Worded

FIELDS = ("#passphrase-old", "#passphrase-new", "#passphrase-repeat")


class PassphraseScreen(Worded, ModalScreen[bool]):
    """Dismisses with True once the new passphrase is in place and opened the vault."""

    DEFAULT_CSS = """
    PassphraseScreen { align: center middle; }
    #passphrase-box Input { margin-bottom: 1; }
    #passphrase-title { text-style: bold; color: $primary; margin-bottom: 1; }
    #passphrase-hint { color: $text-muted; margin-bottom: 1; }
    #passphrase-error { color: $error; margin-top: 1; height: auto; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="passphrase_cancel")]

    def __init__(self) -> None:
        super().__init__()
        self.working = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="passphrase-box"):
            yield Label(t("app.passphrase_title"), id="passphrase-title")
            yield Label(t("app.passphrase_current"))
            yield Input(password=True, id="passphrase-old",
                        placeholder=t("app.passphrase_current_placeholder"))
            yield Label(t("app.passphrase_new"))
            yield Input(password=True, id="passphrase-new",
                        placeholder=t("app.passphrase_new_placeholder"))
            yield Label(t("app.passphrase_repeat"))
            yield Input(password=True, id="passphrase-repeat",
                        placeholder=t("app.passphrase_repeat_placeholder"))
            yield Static(t("app.passphrase_hint"), id="passphrase-hint")
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("app.passphrase_change"), id="passphrase-change",
                             variant="primary")
                yield Button(t("app.passphrase_cancel"), id="passphrase-cancel")
            yield Static("", id="passphrase-error", markup=False)

    def on_mount(self) -> None:
        self.query_one("#passphrase-old", Input).focus()

    def _field(self, selector: str) -> Input:
        return self.query_one(selector, Input)

    def _say(self, text: str) -> None:
        self.query_one("#passphrase-error", Static).update(text)

    def _clear(self, *selectors: str) -> None:
        for selector in selectors:
            self._field(selector).value = ""

    @on(Input.Submitted, "#passphrase-old")
    def _to_new(self) -> None:
        self._field("#passphrase-new").focus()

    @on(Input.Submitted, "#passphrase-new")
    def _to_repeat(self) -> None:
        self._field("#passphrase-repeat").focus()

    @on(Input.Submitted, "#passphrase-repeat")
    @on(Button.Pressed, "#passphrase-change")
    def submit(self) -> None:
        from companion.conversation.unlock import check_new_passphrase

        if self.working:
            return
        old, new = self._field("#passphrase-old").value, self._field("#passphrase-new").value
        if not old:
            self._say(t("app.passphrase_empty"))
            self._field("#passphrase-old").focus()
            return
        try:
            check_new_passphrase(new)
        except CompanionError as exc:
            self._say(str(exc))
            self._field("#passphrase-new").focus()
            return
        if self._field("#passphrase-repeat").value != new:
            self._say(t("app.passphrase_differ"))
            self._clear("#passphrase-repeat")
            self._field("#passphrase-repeat").focus()
            return
        self._clear(*FIELDS)  # taken: no widget keeps them from here on
        self._busy(True)
        self._say(t("app.passphrase_changing"))
        self._change(old, new)

    def _busy(self, busy: bool) -> None:
        self.working = busy
        for selector in FIELDS:
            self._field(selector).disabled = busy
        self.query_one("#passphrase-change", Button).disabled = busy

    @work(thread=True, exclusive=True, group="passphrase")
    def _change(self, old: str, new: str) -> None:
        from companion.conversation import unlock

        app: Any = self.app
        try:
            unlock.change_passphrase(app.paths, old, new)
        except CompanionError as exc:  # a wrong current passphrase changed nothing
            self.app.call_from_thread(self._failed, str(exc))
            return
        except Exception as exc:
            log_unexpected(exc)
            self.app.call_from_thread(self._failed, t("app.passphrase_failed",
                                                      error=type(exc).__name__))
            return
        self.app.call_from_thread(self._done)

    def _failed(self, text: str) -> None:
        self._busy(False)
        self._say(text)
        self._field("#passphrase-old").focus()

    def _done(self) -> None:
        self._busy(False)
        self.app.notify(t("app.passphrase_done"), timeout=12)
        self.dismiss(True)

    @on(Button.Pressed, "#passphrase-cancel")
    def action_cancel(self) -> None:
        """Esc leaves without a change; not while one is being written."""
        if self.working:
            return
        self._clear(*FIELDS)
        self.dismiss(False)

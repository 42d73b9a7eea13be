"""Creating or unlocking the vault: the first thing a person sees.

Key derivation (Argon2id) takes a moment by design, so it runs in a thread worker and
the screen stays responsive; a wrong passphrase is a calm sentence and another try.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.message import Message
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



class PassphraseField(Input):
    """A password Input that keeps keys and pastes that arrive all at once in order.

    A password manager types "passphrase⏎passphrase⏎" in one burst. Input's Enter is a
    binding, run only after the key has bubbled up to the app, by which time the rest of
    the burst is already in this field, and focus moves later still. So this field takes
    Enter itself, in the order of its keys, and hands every key after it to the field named
    `then` until the person puts the focus back here. Textual's Input also keeps only the
    first line of a paste: a paste of several lines goes to the screen, which fills the
    fields in order.
    """

    class PastedLines(Message):
        def __init__(self, field: PassphraseField, lines: list[str], submit: bool) -> None:
            super().__init__()
            self.field, self.lines, self.submit = field, lines, submit

    def __init__(self, *, then: str = "", **options: Any) -> None:
        super().__init__(password=True, **options)
        self.then = then
        self._handing_on = False

    async def _on_key(self, event: events.Key) -> None:
        if self._handing_on:
            event.stop()
            event.prevent_default()
            after = self.screen.query_one(f"#{self.then}", PassphraseField)
            if event.key == "enter":
                await after.action_submit()
            elif event.is_printable and event.character:
                after.insert_text_at_cursor(event.character)
            return
        if event.key == "enter" and self.then:
            event.stop()
            event.prevent_default()
            self._handing_on = True
            self.post_message(self.Submitted(self, self.value))
            return
        await super()._on_key(event)

    def _on_focus(self, event: events.Focus) -> None:
        self._handing_on = False
        super()._on_focus(event)

    def _on_paste(self, event: events.Paste) -> None:
        lines = event.text.splitlines()
        if len(lines) < 2 and not event.text.endswith(("\n", "\r")):
            super()._on_paste(event)
            return
        event.stop()
        self.post_message(self.PastedLines(self, lines or [""],
                                           event.text.endswith(("\n", "\r"))))


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
                yield PassphraseField(id="passphrase", then="confirm" if self.create else "",
                                      placeholder=t("unlock.placeholder"))
                yield Label(t("unlock.again"))
                yield PassphraseField(id="confirm",
                            placeholder=t("unlock.placeholder_again"))
                yield Static(t("unlock.forget_warning"), id="hint")
                yield Button(t("unlock.create"), id="submit", variant="primary")
            else:
                yield Label(t("unlock.title_back"), id="unlock-title")
                yield Label(t("unlock.yours"))
                yield PassphraseField(id="passphrase", then="confirm" if self.create else "",
                                      placeholder=t("unlock.placeholder"))
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

    @on(PassphraseField.PastedLines)
    def _pasted_lines(self, event: PassphraseField.PastedLines) -> None:
        """A paste of several lines fills the fields from the one pasted into, in order; a
        line break after the last field's line submits, as Enter there would."""
        fields = list(self.query(PassphraseField))
        start = fields.index(event.field)
        filled = fields[start:start + len(event.lines)]
        for field, line in zip(filled, event.lines, strict=False):
            field.value = line
        if filled[-1] is fields[-1] and (event.submit or len(event.lines) > len(filled)):
            self.submit()
        else:
            fields[min(start + len(filled), len(fields) - 1)].focus()

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

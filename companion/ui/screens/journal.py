"""The journal: writing for oneself, with no reply from the model.

Some people "scream into the bot, and don't want to get anything back"; an entry here
is stored exactly as written and never sent to the model. Whether the companion may
recall it later is the person's choice, per entry. The unsaved draft lives in the vault
(debounced), so Esc, quitting or a crash never loses words in the middle of a thought.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Button, Checkbox, Footer, Input, Static, TextArea

from companion.domain import JournalEntry
from companion.errors import CompanionError
from companion.i18n import t
from companion.memory import entries
from companion.ui.binding_words import Worded

DRAFT_KEY = "journal_draft"
DRAFT_SAVE_DELAY = 0.8
SHOWN = 100
"""Entries drawn at once; older ones are found with the search."""


def local_time(stamp: str) -> str:
    """A stored UTC timestamp as the person's local date and minute."""
    try:
        return datetime.fromisoformat(stamp).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return stamp[:16]


def entry_text(entry: JournalEntry) -> str:
    private = "" if entry.remember else t("journal.not_remembered")
    return f"{local_time(entry.created_at)}{private}\n{entry.content}"


class JournalScreen(Worded, Screen[None]):
    """A writing area, past entries newest first, and a search over them."""

    BINDINGS = [
        Binding("escape", "close", "Close", id="close_journal"),
        Binding("ctrl+s", "save", "Save", id="save_journal", priority=True),
        Binding("ctrl+f", "search", "Search", id="search_journal"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._draft = ""
        self._draft_timer: Timer | None = None

    @property
    def vault(self) -> Any:
        """The app's open vault (typed loosely: importing the app would be a cycle)."""
        return getattr(self.app, "vault", None)

    def _remember_default(self) -> bool:
        """On, unless the person set `remember_journal = false` (the CLI honours it too)."""
        settings = getattr(self.app, "settings", None)
        return bool(getattr(settings, "remember_journal", True))

    def compose(self) -> ComposeResult:
        with Horizontal(id="journal-main"):
            with Vertical(id="journal-write"):
                yield Static(t("journal.intro"), id="journal-intro")
                yield TextArea(id="journal-text", soft_wrap=True)
                with Horizontal(id="journal-controls"):
                    yield Checkbox(t("journal.remember"), self._remember_default(),
                                   id="journal-remember")
                    yield Button(t("journal.save"), id="journal-save", variant="primary")
                yield Static("", id="journal-message", markup=False)
            with Vertical(id="journal-past"):
                yield Input(placeholder=t("journal.search"), id="journal-search")
                yield Static("", id="journal-count", markup=False)
                yield VerticalScroll(id="journal-entries")
        yield Footer()

    async def on_mount(self) -> None:
        with self.vault.lock:
            self._draft = self.vault.state.get(DRAFT_KEY) or ""
        area = self.query_one("#journal-text", TextArea)
        area.load_text(self._draft)
        area.move_cursor(area.document.end)
        area.focus()
        await self.show_entries()

    def say(self, text: str, *, error: bool = False) -> None:
        message = self.query_one("#journal-message", Static)
        message.update(text)
        message.set_class(error, "error")

    # the draft ----------------------------------------------------------------------

    @on(TextArea.Changed, "#journal-text")
    def _changed(self, event: TextArea.Changed) -> None:
        self._draft = event.text_area.text
        if self._draft_timer is not None:
            self._draft_timer.stop()
        self._draft_timer = self.set_timer(DRAFT_SAVE_DELAY, self.save_draft)

    def save_draft(self) -> None:
        """Keep the unsaved words; an empty area leaves no draft behind."""
        if self._draft_timer is not None:
            self._draft_timer.stop()
            self._draft_timer = None
        vault = self.vault
        if vault is None:  # the app is closing and the vault is already shut
            return
        with vault.lock:
            if self._draft:
                vault.state.set(DRAFT_KEY, self._draft)
            else:
                vault.state.delete(DRAFT_KEY)

    def on_unmount(self) -> None:
        self.save_draft()

    # saving and listing -------------------------------------------------------------

    @on(Button.Pressed, "#journal-save")
    async def action_save(self) -> None:
        area = self.query_one("#journal-text", TextArea)
        remember = self.query_one("#journal-remember", Checkbox).value
        try:
            entry = entries.add_journal(self.vault, area.text, remember)
        except CompanionError as exc:
            self.say(str(exc), error=True)
            area.focus()
            return
        area.load_text("")
        self._draft = ""
        self.save_draft()
        kept = t("journal.recall") if entry.remember else t("journal.no_recall")
        self.say(t("journal.saved", kept=kept))
        area.focus()
        await self.show_entries()

    @on(Input.Changed, "#journal-search")
    async def show_entries(self) -> None:
        """Newest first, or the best matches for the words in the search box."""
        query = self.query_one("#journal-search", Input).value
        count = self.query_one("#journal-count", Static)
        try:
            if query.strip():
                found = entries.search_journal(self.vault, query, SHOWN)
                count.update(t("journal.found", count=len(found)) if found
                             else t("journal.no_match"))
            else:
                found = entries.journal_entries(self.vault, SHOWN)
                count.update("" if found else t("journal.empty"))
        except CompanionError as exc:
            found = []
            count.update(str(exc))
        box = self.query_one("#journal-entries", VerticalScroll)
        await box.remove_children()
        await box.mount_all([Static(entry_text(e), markup=False, classes="journal-entry")
                             for e in found])

    def action_search(self) -> None:
        self.query_one("#journal-search", Input).focus()

    def action_close(self) -> None:
        self.save_draft()
        self.dismiss()

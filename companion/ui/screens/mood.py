"""A mood check-in that costs one keystroke: 1 to 5, then an optional word.

Kept small on purpose so it is cheap to do often; it is recorded with the conversation
open at the time, so a mood can later be read beside what was said. The Moods tab of
the memory screen (MoodPane, here beside the check-in) lists them.
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Static

from companion.domain import Mood
from companion.errors import CompanionError
from companion.i18n import t
from companion.memory import entries
from companion.ui.binding_words import Worded
from companion.ui.screens.journal import local_time
from companion.ui.widgets.table_pane import TablePane, buttons

SCORES = (1, 2, 3, 4, 5)


def score_word(score: int) -> str:
    """"very low" to "very good", in the person's language."""
    return t(f"mood.score_{score}") if score in SCORES else "?"


def mood_label(score: int) -> str:
    return f"{score} · {score_word(score)}"


class MoodScreen(Worded, ModalScreen[Mood | None]):
    """Dismisses with the stored Mood, or None when the person skipped it."""

    BINDINGS = [
        Binding("escape", "skip", "Skip", id="mood_skip"),
        Binding("enter", "save", "Save", id="mood_save"),
        *(Binding(str(n), f"score({n})", str(n), id=f"mood_{n}", show=False)
          for n in SCORES),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.score: int | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="mood-box"):
            yield Static(t("mood.question"), id="mood-question")
            with Horizontal(id="mood-scores"):
                for n in SCORES:
                    button = Button(f"{n} {score_word(n)}", id=f"mood-{n}", name=str(n))
                    button.can_focus = False  # digits and Enter belong to the screen
                    yield button
            yield Input(placeholder=t("mood.placeholder"), id="mood-word", disabled=True)
            yield Static("", id="mood-message", markup=False)

    @on(Button.Pressed, "#mood-scores Button")
    def _clicked(self, event: Button.Pressed) -> None:
        self.action_score(int(str(event.button.name)))

    def action_score(self, score: int) -> None:
        self.score = score
        for button in self.query("#mood-scores Button"):
            button.set_class(button.name == str(score), "-chosen")
        self.query_one("#mood-question", Static).update(t("mood.chosen", mood=mood_label(score)))
        word = self.query_one("#mood-word", Input)
        word.disabled = False
        word.focus()

    @on(Input.Submitted, "#mood-word")
    def action_save(self) -> None:
        if self.score is None:
            self.query_one("#mood-message", Static).update(t("mood.first"))
            return
        app: Any = self.app
        conversation_id = app.session.conversation_id if app.session is not None else None
        try:
            score = entries.parse_score(self.score)
            note = entries.clean_note(self.query_one("#mood-word", Input).value.strip())
        except CompanionError as exc:
            self.query_one("#mood-message", Static).update(str(exc))
            return
        with app.vault.lock:
            mood: Mood = app.vault.moods.add(score, note, conversation_id)
        label = mood_label(mood.score)
        app.notify(t("mood.saved_note", mood=label, note=note) if note
                   else t("mood.saved", mood=label), timeout=4, markup=False)
        self.dismiss(mood)

    def action_skip(self) -> None:
        self.dismiss(None)


class MoodPane(TablePane):
    """Past check-ins, newest first; n starts another."""

    BINDINGS = [Binding("n", "check_in", "Check in", id="mood_check_in")]

    def compose(self) -> ComposeResult:
        yield DataTable(id="mood-table", cursor_type="row", zebra_stripes=True)
        yield buttons(("check_in", t("mood.check_in")))

    def on_mount(self) -> None:
        self.table.add_columns(t("mood.col_when"), t("mood.col_mood"), t("mood.col_word"))

    def refresh_rows(self) -> None:
        self.fill([(str(m.id), (local_time(m.created_at), mood_label(m.score), m.note))
                   for m in entries.moods(self.vault)])

    def action_check_in(self) -> None:
        self.app.push_screen(MoodScreen(), lambda _mood: self.refresh_rows())

"""A problem that stops the app from going on (a damaged vault, a home that cannot be
used), said plainly, with the way out; it needs nothing but Textual."""

from __future__ import annotations

from typing import Any

from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static

from companion.i18n import t
from companion.ui.binding_words import Worded


class ProblemScreen(Worded, Screen[None]):
    """A problem that stops the app from going on, said plainly, with the way out."""

    BINDINGS = [Binding("ctrl+q,escape,enter", "app.quit", "Quit", id="quit")]

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> Any:
        yield Static(self.text + "\n\n" + t("app.problem_quit"), id="problem", markup=False)

"""A tab of records: a table, a form under it, and buttons that mirror the keys.

The memory screens are several such panes in one TabbedContent; each pane carries its
own bindings, so the footer shows only the keys that apply to the tab in view, and a
vault operation's sentence (or its refusal) always lands on the same message line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import on
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Input, Static

from companion.errors import CompanionError

MESSAGE = "#memories-message"
"""The screen's message line, where every pane speaks."""


class TablePane(Vertical):
    """One tab: a table, a form under it, and buttons that mirror the keys."""

    def __init__(self) -> None:
        super().__init__()
        self.editing: Any = None

    @property
    def vault(self) -> Any:
        return getattr(self.app, "vault", None)

    @property
    def table(self) -> DataTable[Any]:
        return self.query_one(DataTable)

    def selected(self) -> str | None:
        table = self.table
        if not table.row_count:
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def say(self, text: str, *, error: bool = False) -> None:
        message = self.screen.query_one(MESSAGE, Static)
        message.update(text)
        message.set_class(error, "error")

    def fill(self, rows: list[tuple[str, tuple[str, ...]]]) -> None:
        """Replace the rows (user text as plain Text: no markup), keeping the selection."""
        table, keep = self.table, self.selected()
        table.clear()
        for key, cells in rows:
            table.add_row(*(Text(c, no_wrap=True, overflow="ellipsis") for c in cells), key=key)
        if keep is not None and any(key == keep for key, _ in rows):
            table.move_cursor(row=table.get_row_index(keep))

    def apply(self, operation: Callable[[], str]) -> bool:
        """Run a vault operation; its sentence or its refusal goes to the message line."""
        try:
            sentence = operation()
        except CompanionError as exc:
            self.say(str(exc), error=True)
            return False
        self.say(sentence)
        self.screen.refresh_all()  # type: ignore[attr-defined]
        return True

    def refresh_rows(self) -> None:
        raise NotImplementedError

    def reset_form(self) -> None:
        self.editing = None
        for box in self.query(Input):
            box.value = ""

    def cancel_form(self) -> bool:
        """Esc inside this pane's form abandons it instead of closing the screen."""
        focused = self.screen.focused
        if focused is None or self not in focused.ancestors or focused is self.table:
            return False
        self.reset_form()
        self.table.focus()
        return True

    @on(Button.Pressed, ".pane-buttons Button")
    async def _button(self, event: Button.Pressed) -> None:
        await self.run_action(str(event.button.name))


def buttons(*pairs: tuple[str, str]) -> Horizontal:
    """A row of buttons for mouse users; each button's name is the pane action it runs."""
    return Horizontal(*(Button(label, name=name) for name, label in pairs),
                      classes="pane-buttons")

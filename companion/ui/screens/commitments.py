"""The Commitments tab: what the person means to do, with due dates.

"Next time try these three things and in a week we catch up": a commitment is only
useful if it is easy to add, finish or let go of, and a date the app cannot read is
refused with a sentence rather than guessed at.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Input

from companion.domain import Commitment
from companion.errors import UsageError
from companion.memory import entries
from companion.ui.screens.journal import local_time
from companion.ui.widgets.table_pane import TablePane, buttons


def discard_commitment(vault: Any, commitment_id: int) -> Commitment:
    """Throw a proposed commitment away, like a discarded memory: its words leave the vault."""
    with vault.lock:
        item = entries.get_commitment(vault, commitment_id)
        if item.status != "proposed":
            raise UsageError(f"Commitment #{commitment_id} is {item.status}, not a proposal.")
        vault.commitments.delete(commitment_id)
        vault.checkpoint()
    return item


def accept_edited_commitment(vault: Any, commitment_id: int, text: str) -> Commitment:
    """Accept a proposal in the person's own words; due date and origin stay."""
    text = entries.clean_text(text, "commitment")
    with vault.lock:
        item = entries.get_commitment(vault, commitment_id)
        if item.status != "proposed":
            raise UsageError(f"Commitment #{commitment_id} is {item.status}, not a proposal.")
        new = vault.commitments.add(text, item.due, source_message_id=item.source_message_id,
                                    conversation_id=item.conversation_id)
        vault.commitments.delete(commitment_id)
        vault.checkpoint()
    return new


class CommitmentPane(TablePane):
    """Open commitments, soonest due first; proposed ones wait in the review tab."""

    BINDINGS = [
        Binding("d", "done", "Done", id="commitment_done"),
        Binding("x", "drop", "Drop", id="commitment_drop"),
        Binding("a", "add", "Add", id="commitment_add"),
    ]

    def compose(self) -> ComposeResult:
        yield DataTable(id="commitment-table", cursor_type="row", zebra_stripes=True)
        with Horizontal(classes="pane-form"):
            yield Input(placeholder="Something you mean to do", id="commitment-text")
            yield Input(placeholder="due: YYYY-MM-DD, today, tomorrow (optional)",
                        id="commitment-due")
        yield buttons(("done", "Done"), ("drop", "Drop"), ("add", "Add"))

    def on_mount(self) -> None:
        self.table.add_column("due")
        self.table.add_column("commitment", width=50)
        self.table.add_column("since")

    def refresh_rows(self) -> None:
        self.fill([(str(c.id), (c.due or "—", c.content, local_time(c.created_at)[:10]))
                   for c in entries.commitments(self.vault) if c.status == "open"])

    def _step(self, change: Callable[[Any, int], Commitment], said: str) -> None:
        key, vault = self.selected(), self.vault
        if key is None:
            self.say("There is no open commitment to choose.")
            return
        self.apply(lambda: f"{said}: {change(vault, int(key)).content}")

    def action_done(self) -> None:
        self._step(entries.complete_commitment, "Marked done")

    def action_drop(self) -> None:
        self._step(entries.drop_commitment, "Dropped")

    def action_add(self) -> None:
        text = self.query_one("#commitment-text", Input)
        if not text.value.strip() or not text.has_focus:
            text.focus()
            if not text.value.strip():
                return
        self._add()

    @on(Input.Submitted, ".pane-form Input")
    def _add(self) -> None:
        text = self.query_one("#commitment-text", Input).value
        due = self.query_one("#commitment-due", Input).value.strip() or None
        vault = self.vault

        def add() -> str:
            item = entries.add_commitment(vault, text, due)
            return f"Added: {item.content}" + (f", due {item.due}." if item.due else ".")

        if self.apply(add):
            self.reset_form()
            self.table.focus()

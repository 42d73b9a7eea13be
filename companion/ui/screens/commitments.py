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
from companion.i18n import t
from companion.memory import entries
from companion.ui.screens.journal import local_time
from companion.ui.widgets.table_pane import TablePane, buttons


def not_a_proposal(item: Commitment) -> UsageError:
    """The refusal to accept or discard what is no longer a proposal, in the person's words."""
    key = f"commitments.status_{item.status}"
    status = t(key)
    return UsageError(t("commitments.not_proposal", id=item.id,
                        status=item.status if status == key else status))


def discard_commitment(vault: Any, commitment_id: int) -> Commitment:
    """Throw a proposed commitment away, like a discarded memory: its words leave the vault."""
    with vault.lock:
        item = entries.get_commitment(vault, commitment_id)
        if item.status != "proposed":
            raise not_a_proposal(item)
        vault.commitments.delete(commitment_id)
        vault.checkpoint()
    return item


def accept_edited_commitment(vault: Any, commitment_id: int, text: str) -> Commitment:
    """Accept a proposal in the person's own words; due date and origin stay."""
    text = entries.clean_text(text, "commitment")
    with vault.lock:
        item = entries.get_commitment(vault, commitment_id)
        if item.status != "proposed":
            raise not_a_proposal(item)
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
            yield Input(placeholder=t("commitments.placeholder"), id="commitment-text")
            yield Input(placeholder=t("commitments.due_placeholder"), id="commitment-due")
        yield buttons(("done", t("commitments.done")), ("drop", t("commitments.drop")),
                      ("add", t("commitments.add")))

    def on_mount(self) -> None:
        self.table.add_column(t("commitments.col_due"))
        self.table.add_column(t("commitments.col_commitment"), width=50)
        self.table.add_column(t("commitments.col_since"))

    def refresh_rows(self) -> None:
        self.fill([(str(c.id), (c.due or "—", c.content, local_time(c.created_at)[:10]))
                   for c in entries.commitments(self.vault) if c.status == "open"])

    def _step(self, change: Callable[[Any, int], Commitment], said: str) -> None:
        """`said` is the catalogue key of the sentence, filled in with the commitment."""
        key, vault = self.selected(), self.vault
        if key is None:
            self.say(t("commitments.none_open"))
            return
        self.apply(lambda: t(said, text=change(vault, int(key)).content))

    def action_done(self) -> None:
        self._step(entries.complete_commitment, "commitments.marked_done")

    def action_drop(self) -> None:
        self._step(entries.drop_commitment, "commitments.dropped")

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
            if item.due:
                return t("commitments.added_due", text=item.content, due=item.due)
            return t("commitments.added", text=item.content)

        if self.apply(add):
            self.reset_form()
            self.table.focus()

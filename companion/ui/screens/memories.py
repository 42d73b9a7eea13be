"""What the companion keeps about the person, and the person's hand on all of it.

"What's the point of telling it about my day every day if it's not going to build up a
picture of my life?" — but the picture must stay theirs: every memory shows where it
came from and how often it was used, nothing the model proposed is recalled before
the person accepts it, and forgetting deletes the words from the vault's files.
Each tab is a pane with its own keys, so the footer shows only what applies.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Select, Static, TabbedContent, TabPane

from companion.domain import MEMORY_KINDS
from companion.errors import CompanionError
from companion.i18n import t
from companion.memory import entries
from companion.ui.binding_words import Worded
from companion.ui.screens.commitments import (
    CommitmentPane,
    accept_edited_commitment,
    discard_commitment,
)
from companion.ui.screens.journal import local_time
from companion.ui.screens.mood import MoodPane
from companion.ui.widgets.jobs import Confirm
from companion.ui.widgets.table_pane import TablePane, buttons


def kind_word(kind: str) -> str:
    """A memory's kind in the person's language; the stored value stays as it is."""
    key = f"memories.kind_{kind}"
    text = t(key)
    return kind if text == key else text


class MemoryPane(TablePane):
    """Accepted memories; one input serves add, edit and search (the mode says which)."""

    BINDINGS = [
        Binding("a", "add", "Add", id="memory_add"),
        Binding("e", "edit", "Edit", id="memory_edit"),
        Binding("f", "forget", "Forget", id="memory_forget"),
        Binding("slash", "search", "Search", id="memory_search"),
    ]
    mode = "add"
    words = ""

    def compose(self) -> ComposeResult:
        yield DataTable(id="memory-table", cursor_type="row", zebra_stripes=True)
        with Horizontal(classes="pane-form"):
            yield Select([(kind_word(k), k) for k in MEMORY_KINDS], value="fact",
                         allow_blank=False, id="memory-kind")
            yield Input(placeholder=t("memories.placeholder"), id="memory-text")
        yield buttons(("add", t("memories.add")), ("edit", t("memories.edit")),
                      ("forget", t("memories.forget")), ("search", t("memories.search")))

    def on_mount(self) -> None:
        self.table.add_column(t("memories.col_kind"))
        self.table.add_column(t("memories.col_memory"), width=44)
        self.table.add_columns(t("memories.col_source"), t("memories.col_when"),
                               t("memories.col_used"))

    def refresh_rows(self) -> None:
        try:
            found = (entries.search_memories(self.vault, self.words, 200) if self.words.strip()
                     else entries.memories(self.vault))
        except CompanionError as exc:
            self.say(str(exc), error=True)
            found = []
        self.fill([(str(m.id), (kind_word(m.kind), m.content, entries.describe_source(m),
                                local_time(m.created_at),
                                t("memories.used_times", count=m.used_count)))
                   for m in found])

    def _start(self, mode: str, value: str, hint: str) -> None:
        self.mode = mode
        box = self.query_one("#memory-text", Input)
        box.value, box.placeholder = value, hint
        box.focus()

    def action_add(self) -> None:
        self._start("add", "", t("memories.hint_add"))

    def action_search(self) -> None:
        self._start("search", self.words, t("memories.hint_search"))

    def action_edit(self) -> None:
        key = self.selected()
        memory = entries.get_memory(self.vault, int(key)) if key else None
        if memory is None:
            self.say(t("memories.choose_first"), error=True)
            return
        self.editing = memory.id
        self.query_one("#memory-kind", Select).value = memory.kind
        self._start("edit", memory.content, t("memories.hint_edit"))

    @on(Input.Submitted, "#memory-text")
    def _submitted(self, event: Input.Submitted) -> None:
        text, kind = event.value, str(self.query_one("#memory-kind", Select).value)
        if self.mode == "search":
            self.words = text
            self.reset_form()
            self.refresh_rows()
            self.say(t("memories.matching", words=text) if text.strip() else t("memories.all"))
            self.table.focus()
            return
        vault, ident = self.vault, self.editing
        if self.mode == "edit" and ident is not None:
            done = self.apply(lambda: t("memories.changed", text=entries.edit_memory(
                vault, ident, text, kind).content))
        else:
            done = self.apply(lambda: t("memories.remembered", text=entries.add_memory(
                vault, text, kind).content))
        if done:
            self.reset_form()
            self.mode = "add"
            self.table.focus()

    def action_forget(self) -> None:
        key = self.selected()
        memory = entries.get_memory(self.vault, int(key)) if key else None
        if memory is None:
            self.say(t("memories.choose_first"), error=True)
            return

        def forget() -> str:
            entries.forget_memory(self.vault, memory.id)
            return t("memories.forgotten", id=memory.id)

        def answered(yes: bool | None) -> None:
            if yes:
                self.apply(forget)
            else:
                self.say(t("memories.nothing_forgotten"))

        self.app.push_screen(Confirm(t("memories.forget_question", text=memory.content),
                                     t("memories.forget_yes"), t("memories.keep")), answered)


class ReviewPane(TablePane):
    """What the model proposed after a conversation; nothing is recalled until accepted."""

    BINDINGS = [
        Binding("a", "accept", "Accept", id="review_accept"),
        Binding("e", "edit", "Edit, then accept", id="review_edit"),
        Binding("d", "discard", "Discard", id="review_discard"),
    ]

    def compose(self) -> ComposeResult:
        yield DataTable(id="review-table", cursor_type="row", zebra_stripes=True)
        yield Input(placeholder=t("memories.review_placeholder"), id="review-text")
        yield buttons(("accept", t("memories.accept")), ("edit", t("memories.edit_accept")),
                      ("discard", t("memories.discard")))

    def on_mount(self) -> None:
        self.table.add_column(t("memories.col_proposed"))
        self.table.add_column(t("memories.col_text"), width=50)
        self.table.add_columns(t("memories.col_due"), t("memories.col_source"))

    def refresh_rows(self) -> None:
        memories = entries.memories(self.vault, proposed=True)
        commitments = [c for c in entries.commitments(self.vault) if c.status == "proposed"]
        self.fill([(f"memory:{m.id}", (t("memories.proposed_memory", kind=kind_word(m.kind)),
                                       m.content, "", entries.describe_source(m)))
                   for m in memories]
                  + [(f"commitment:{c.id}", (t("memories.proposed_commitment"), c.content,
                                             c.due or "", t("memories.from_conversation",
                                                            id=c.conversation_id)))
                     for c in commitments])

    def _target(self) -> tuple[str, int] | None:
        key = self.selected()
        if key is None:
            self.say(t("memories.nothing_to_review"))
            return None
        kind, _, ident = key.partition(":")
        return kind, int(ident)

    def action_accept(self) -> None:
        target, vault = self._target(), self.vault
        if target is None:
            return
        kind, ident = target
        if kind == "memory":
            self.apply(lambda: t("memories.accepted_memory",
                                 text=entries.accept_memory(vault, ident).content))
        else:
            self.apply(lambda: t("memories.accepted_commitment",
                                 text=entries.accept_commitment(vault, ident).content))

    def action_edit(self) -> None:
        target = self._target()
        if target is None:
            return
        self.editing = target
        box = self.query_one("#review-text", Input)
        box.value = self.table.get_row(f"{target[0]}:{target[1]}")[1].plain
        box.focus()

    @on(Input.Submitted, "#review-text")
    def _submitted(self, event: Input.Submitted) -> None:
        if self.editing is None:
            self.say(t("memories.press_e_first"), error=True)
            return
        (kind, ident), vault, text = self.editing, self.vault, event.value

        def memory() -> str:
            entries.edit_memory(vault, ident, text)
            return t("memories.accepted_edited", text=entries.accept_memory(vault, ident).content)

        def commitment() -> str:
            return t("memories.accepted_edited",
                     text=accept_edited_commitment(vault, ident, text).content)

        if self.apply(memory if kind == "memory" else commitment):
            self.reset_form()
            self.table.focus()

    def action_discard(self) -> None:
        target, vault = self._target(), self.vault
        if target is None:
            return
        kind, ident = target
        discard = entries.discard_memory if kind == "memory" else discard_commitment
        self.apply(lambda: t("memories.discarded", text=discard(vault, ident).content))


class MemoriesScreen(Worded, Screen[None]):
    """Memories, proposals to review, commitments and moods, one tab each."""

    BINDINGS = [
        Binding("escape", "close", "Close", id="close_memories"),
        *(Binding(str(n), f"show('{tab}')", tab, id=f"tab_{tab}", show=False)
          for n, tab in enumerate(("memories", "review", "commitments", "moods"), 1)),
    ]

    def compose(self) -> ComposeResult:
        yield Static(t("memories.intro"), id="memories-intro")
        with TabbedContent(id="memories-tabs"):
            for tab, pane in (("memories", MemoryPane()), ("review", ReviewPane()),
                              ("commitments", CommitmentPane()), ("moods", MoodPane())):
                with TabPane(t(f"memories.tab_{tab}"), id=tab):
                    yield pane
        yield Static("", id="memories-message", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_all()
        self.query_one(MemoryPane).table.focus()

    def refresh_all(self) -> None:
        for pane in self.query(TablePane):
            pane.refresh_rows()
        waiting = self.query_one(ReviewPane).table.row_count
        tabs = self.query_one(TabbedContent)
        tabs.get_tab("review").label = (t("memories.tab_review_count", count=waiting)
                                        if waiting else t("memories.tab_review"))

    @on(TabbedContent.TabActivated)
    def _activated(self, event: TabbedContent.TabActivated) -> None:
        event.pane.query_one(DataTable).focus()

    def action_show(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab

    def action_close(self) -> None:
        if not any(pane.cancel_form() for pane in self.query(TablePane)):
            self.dismiss()

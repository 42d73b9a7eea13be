"""The journal, memory and mood screens, driven by Pilot on the real app and a real vault.

No model is needed: these screens never ask one for anything, so the app starts
without --model, exactly as a person who has not chosen a model yet would see it.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from textual import events
from textual.app import _character_to_key
from textual.widgets import Checkbox, DataTable, Input, Select, Static, TextArea

from companion import paths
from companion.config import Settings
from companion.ui.app import CompanionApp
from companion.ui.screens.chat import ChatScreen
from companion.ui.screens.journal import DRAFT_KEY, JournalScreen
from companion.ui.screens.memories import MemoriesScreen
from companion.ui.screens.mood import MoodScreen
from companion.ui.widgets.jobs import Confirm
from companion.vault import Vault
from tests.conftest import PASSPHRASE
from tests.test_tui import wait_for

SIZE = (120, 40)
ENTRY = "Heute war schwer 😔\nשלום, مرحبا — [b]not bold[/b] 🌧️ x"  # noqa: RUF001
"""Emoji (one with a variation selector), Hebrew and Arabic, and text that looks like markup."""


async def type_text(pilot, text: str) -> None:
    """Type as a terminal does, one Key event per character. Pilot's press() drops
    characters whose key name is not a Unicode name (most emoji, the em dash)."""
    for char in text:
        if char == "\n":
            await pilot.press("enter")
            continue
        key = char if char.isalnum() else _character_to_key(char)
        pilot.app.post_message(events.Key(key, char))
        await pilot.pause()


def new_app(home: Path, prepare=None, settings: Settings | None = None,
            clock=None) -> CompanionApp:
    where = paths.resolve(home)
    if not where.vault_db.exists():
        where.ensure()
        vault = Vault.create(where.vault_db, where.vault_key, PASSPHRASE)
        try:
            if prepare is not None:
                prepare(vault)
        finally:
            vault.close()
    return CompanionApp(where, settings or Settings(), passphrase=PASSPHRASE, clock=clock)


async def open_chat(pilot, app: CompanionApp) -> None:
    await wait_for(pilot, lambda: isinstance(app.screen, ChatScreen))
    await wait_for(pilot, lambda: app.engine_state == "none")


def message(app: CompanionApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def select_row(pilot, table: DataTable, key: str) -> None:
    table.move_cursor(row=table.get_row_index(key))
    table.focus()
    await pilot.pause()


# the journal ----------------------------------------------------------------------------


async def test_journal_entries_are_saved_as_written(home: Path) -> None:
    app = new_app(home)
    async with app.run_test(size=SIZE) as pilot:
        await open_chat(pilot, app)
        await pilot.press("ctrl+j")
        await wait_for(pilot, lambda: isinstance(app.screen, JournalScreen))

        # nothing but whitespace: refused in a sentence, nothing stored
        await type_text(pilot, "  ")
        await pilot.press("enter", "ctrl+s")
        assert "empty" in message(app, "#journal-message")
        assert app.vault.journal.count() == 0

        area = app.screen.query_one("#journal-text", TextArea)
        area.clear()
        await type_text(pilot, ENTRY)
        await pilot.press("tab", "space")  # "Companion may remember this" off
        assert app.screen.query_one("#journal-remember", Checkbox).value is False
        await pilot.press("ctrl+s")
        saved = app.vault.journal.list()
        assert [(e.content, e.remember) for e in saved] == [(ENTRY, False)]
        assert area.text == ""

        assert area.has_focus  # ready for the next entry
        await pilot.click("#journal-remember")  # remember this one
        area.focus()
        await type_text(pilot, "tea with Dana")
        await pilot.press("ctrl+s")
        saved = app.vault.journal.list()
        assert [(e.content, e.remember) for e in saved] == [("tea with Dana", True),
                                                            (ENTRY, False)]
        shown = [str(s.render()) for s in app.screen.query(".journal-entry")]
        assert len(shown) == 2 and shown[0].endswith("tea with Dana")
        assert shown[1].endswith(ENTRY)  # markup off: the brackets are shown as typed
        assert "not remembered" in shown[1]

        await pilot.press("ctrl+f")
        await type_text(pilot, "dana OR*")  # FTS syntax is only words here
        await pilot.pause()
        shown = [str(s.render()) for s in app.screen.query(".journal-entry")]
        assert len(shown) == 1 and shown[0].endswith("tea with Dana")
        await pilot.press("ctrl+q")


async def test_journal_draft_survives_escape_and_a_restart(home: Path) -> None:
    draft = "half a thought ✨ نصف"
    app = new_app(home)
    async with app.run_test(size=SIZE) as pilot:
        await open_chat(pilot, app)
        await pilot.press("ctrl+j")
        await wait_for(pilot, lambda: isinstance(app.screen, JournalScreen))
        await type_text(pilot, draft)
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ChatScreen))
        assert app.vault.state.get(DRAFT_KEY) == draft
        assert app.vault.journal.count() == 0  # a draft is not an entry
        await pilot.press("ctrl+j")
        await wait_for(pilot, lambda: isinstance(app.screen, JournalScreen))
        assert app.screen.query_one("#journal-text", TextArea).text == draft
        await type_text(pilot, "!")
        await pilot.pause(1.2)  # debounced: saved while the screen is still open
        assert app.vault.state.get(DRAFT_KEY) == draft + "!"
        await type_text(pilot, "?")
        await pilot.press("ctrl+q")  # before the debounce: kept on the way out

    again = new_app(home, settings=Settings(remember_journal=False))
    async with again.run_test(size=SIZE) as pilot:
        await open_chat(pilot, again)
        await pilot.press("ctrl+j")
        await wait_for(pilot, lambda: isinstance(again.screen, JournalScreen))
        assert again.screen.query_one("#journal-text", TextArea).text == draft + "!?"
        assert not again.screen.query_one("#journal-remember", Checkbox).value  # the setting
        await pilot.press("ctrl+s")
        assert again.vault.journal.list()[0].content == draft + "!?"
        assert not again.vault.journal.list()[0].remember
        assert again.vault.state.get(DRAFT_KEY) is None  # saved, so the draft is gone
        await pilot.press("ctrl+q")


# memories -------------------------------------------------------------------------------


def with_records(vault: Vault) -> None:
    conversation = vault.conversations.create()
    vault.memories.add("preference", "likes green tea")
    vault.memories.add("person", "has a sister, Dana", status="proposed",
                       source_kind="message", source_id=1, conversation_id=conversation.id)
    vault.memories.add("fact", "owns a [red]bike[/red]", status="proposed",
                       source_kind="summary", source_id=1, conversation_id=conversation.id)
    vault.commitments.add("call Dana", "2030-01-01", status="proposed",
                          conversation_id=conversation.id)
    vault.commitments.add("swim on Friday", "2030-02-01", status="proposed",
                          conversation_id=conversation.id)
    vault.commitments.add("never eat cake", None, status="proposed",
                          conversation_id=conversation.id)


async def open_memories(pilot, app: CompanionApp, key: str = "ctrl+y") -> MemoriesScreen:
    await open_chat(pilot, app)
    await pilot.press(key)
    await wait_for(pilot, lambda: isinstance(app.screen, MemoriesScreen))
    return app.screen  # type: ignore[return-value]


def memory_id(app: CompanionApp, text: str, status: str = "accepted") -> int:
    return next(m.id for m in app.vault.memories.list(status) if m.content == text)


async def test_memories_add_edit_forget(home: Path) -> None:
    app = new_app(home, with_records)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_memories(pilot, app)
        table = screen.query_one("#memory-table", DataTable)
        assert table.row_count == 1
        tea = memory_id(app, "likes green tea")
        assert "added by you" in str(table.get_row(str(tea)))

        await pilot.press("a")
        assert screen.query_one("#memory-text", Input).has_focus
        screen.query_one("#memory-kind", Select).value = "goal"
        await type_text(pilot, "run 5 km 🏃")
        await pilot.press("enter")
        added = app.vault.memories.list()[0]
        assert (added.content, added.kind, added.source_kind) == ("run 5 km 🏃", "goal",
                                                                   "manual")
        assert table.row_count == 2 and table.has_focus

        await select_row(pilot, table, str(tea))
        await pilot.press("e")
        box = screen.query_one("#memory-text", Input)
        assert box.value == "likes green tea"
        await pilot.press("end")
        await type_text(pilot, " and jasmine")
        await pilot.press("enter")
        assert app.vault.memories.get(tea).content == "likes green tea and jasmine"
        assert app.vault.memories.get(tea).kind == "preference"

        await pilot.press("a", "enter")  # an empty memory is refused
        assert "empty" in message(app, "#memories-message")
        assert app.vault.memories.count() == 4
        await pilot.press("escape")  # leaves the form, not the screen
        assert isinstance(app.screen, MemoriesScreen) and table.has_focus

        await pilot.press("slash")
        await type_text(pilot, "jasmine")
        await pilot.press("enter")
        assert [str(k.value) for k in table.rows] == [str(tea)]
        await pilot.press("slash", "ctrl+u", "enter")
        assert table.row_count == 2

        await select_row(pilot, table, str(tea))
        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, Confirm))
        await pilot.click("#confirm-no")
        await wait_for(pilot, lambda: isinstance(app.screen, MemoriesScreen))
        assert app.vault.memories.get(tea) is not None
        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, Confirm))
        await pilot.click("#confirm-yes")
        await wait_for(pilot, lambda: isinstance(app.screen, MemoriesScreen))
        assert app.vault.memories.get(tea) is None
        assert table.row_count == 1
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ChatScreen))
        await pilot.press("ctrl+q")


async def test_proposals_are_accepted_edited_or_discarded(home: Path) -> None:
    app = new_app(home, with_records)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_memories(pilot, app)
        await pilot.press("2")
        table = screen.query_one("#review-table", DataTable)
        assert table.has_focus and table.row_count == 5
        sister = memory_id(app, "has a sister, Dana", "proposed")
        bike = memory_id(app, "owns a [red]bike[/red]", "proposed")
        call, swim, cake = (c.id for c in app.vault.commitments.list(("proposed",)))

        await select_row(pilot, table, f"memory:{sister}")
        await pilot.press("a")
        assert app.vault.memories.get(sister).status == "accepted"
        await select_row(pilot, table, f"memory:{bike}")
        await pilot.press("d")
        assert app.vault.memories.get(bike) is None
        await select_row(pilot, table, f"commitment:{cake}")
        await pilot.press("d")
        assert app.vault.commitments.get(cake) is None  # discarded: gone, not kept as dropped
        await select_row(pilot, table, f"commitment:{call}")
        await pilot.press("a")
        assert app.vault.commitments.get(call).status == "open"
        await select_row(pilot, table, f"commitment:{swim}")
        await pilot.press("e")
        assert screen.query_one("#review-text", Input).value == "swim on Friday"
        await pilot.press("end")
        await type_text(pilot, " morning")
        await pilot.press("enter")
        assert app.vault.commitments.get(swim) is None  # replaced by the person's words
        opened = {c.content: c.due for c in app.vault.commitments.list(("open",))}
        assert opened == {"call Dana": "2030-01-01", "swim on Friday morning": "2030-02-01"}
        assert table.row_count == 0

        await pilot.press("1")
        memories = screen.query_one("#memory-table", DataTable)
        assert memories.row_count == 2  # the accepted proposal is a memory now
        await pilot.press("3")
        assert screen.query_one("#commitment-table", DataTable).row_count == 2
        await pilot.press("ctrl+q")


async def test_commitments_add_with_due_dates_done_and_drop(home: Path) -> None:
    app = new_app(home)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_memories(pilot, app, "f3")
        await pilot.press("3")
        table = screen.query_one("#commitment-table", DataTable)
        assert table.has_focus
        await pilot.press("a")
        await type_text(pilot, "walk by the river")
        await pilot.press("tab")
        await type_text(pilot, "next blursday")
        await pilot.press("enter")
        assert "not a date I can read" in message(app, "#memories-message")
        assert app.vault.commitments.count() == 0
        due = screen.query_one("#commitment-due", Input)
        due.value = ""
        await type_text(pilot, "tomorrow")
        await pilot.press("enter")
        [walk] = app.vault.commitments.list()
        assert (walk.content, walk.due) == ("walk by the river",
                                            (date.today() + timedelta(days=1)).isoformat())
        assert table.has_focus and table.row_count == 1

        await pilot.press("a")
        await type_text(pilot, "write to Sam")
        await pilot.press("tab")
        await type_text(pilot, "2031-02-30")  # no such day
        await pilot.press("enter")
        assert "not a date I can read" in message(app, "#memories-message")
        due.value = "2031-02-28"
        await pilot.press("enter")
        sam = next(c for c in app.vault.commitments.list() if c.content == "write to Sam")
        assert sam.due == "2031-02-28"

        await select_row(pilot, table, str(walk.id))
        await pilot.press("d")
        assert app.vault.commitments.get(walk.id).status == "done"
        await select_row(pilot, table, str(sam.id))
        await pilot.press("x")
        assert app.vault.commitments.get(sam.id).status == "dropped"
        assert table.row_count == 0
        await pilot.press("ctrl+q")


# moods ----------------------------------------------------------------------------------


async def test_mood_check_in_from_the_chat(home: Path) -> None:
    app = new_app(home)
    async with app.run_test(size=SIZE) as pilot:
        await open_chat(pilot, app)
        await type_text(pilot, "a message, so there is a conversation")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.session.conversation_id is not None)

        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert {"Journal", "Memories", "Mood check-in"} <= titles
        await pilot.press("ctrl+e")  # even while the composer has the focus
        await wait_for(pilot, lambda: isinstance(app.screen, MoodScreen))
        await pilot.press("enter")  # no score yet: nothing saved
        assert app.vault.moods.count() == 0
        await pilot.press("3")
        await type_text(pilot, "tired 😴")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ChatScreen))
        [mood] = app.vault.moods.list()
        assert (mood.score, mood.note) == (3, "tired 😴")
        assert mood.conversation_id == app.session.conversation_id

        await pilot.press("ctrl+e")
        await wait_for(pilot, lambda: isinstance(app.screen, MoodScreen))
        await pilot.press("5", "escape")  # Esc skips: nothing saved
        await wait_for(pilot, lambda: isinstance(app.screen, ChatScreen))
        assert app.vault.moods.count() == 1

        await pilot.press("ctrl+y")
        await wait_for(pilot, lambda: isinstance(app.screen, MemoriesScreen))
        screen = app.screen
        await pilot.press("4")
        moods = screen.query_one("#mood-table", DataTable)
        assert moods.row_count == 1 and "tired 😴" in str(moods.get_row(str(mood.id)))
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, MoodScreen))
        await pilot.press("1", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, MemoriesScreen))
        assert [m.score for m in app.vault.moods.list()] == [1, 3]
        assert moods.row_count == 2
        await pilot.press("ctrl+q")

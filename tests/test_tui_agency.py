"""Agency and boundaries in the real app (Pilot), with a real vault and the tiny model:
edit the last message and ask again, delete any message, nudges, the daily limit's
pause and "continue anyway", quiet hours and the time-spent screen; plus the non-UI
API the command line can use."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from companion import paths
from companion.care.boundaries import FakeClock
from companion.config import Settings
from companion.conversation import agency
from companion.conversation.session import Session
from companion.domain import SamplingParams
from companion.errors import UsageError
from companion.ui.app import CompanionApp
from companion.ui.screens.chat import ChatScreen
from companion.ui.screens.usage import UsageScreen
from companion.ui.widgets.jobs import Confirm
from companion.ui.widgets.message import MessageView
from companion.vault import Vault
from tests.conftest import PASSPHRASE
from tests.test_tui import chat_screen, notice, send, views, wait_for

SIZE = (100, 34)
ZONE = timezone(timedelta(hours=2))
START = datetime(2025, 3, 10, 14, 0, tzinfo=ZONE)


def make_app(home: Path, settings: Settings, clock: FakeClock | None = None,
             prepare=None) -> CompanionApp:
    where = paths.resolve(home)
    if prepare is not None:
        where.ensure()
        vault = Vault.create(where.vault_db, where.vault_key, PASSPHRASE)
        try:
            prepare(vault)
        finally:
            vault.close()
    return CompanionApp(where, settings, passphrase=PASSPHRASE, clock=clock or FakeClock(START))


def with_model(tiny_model: Path, **care) -> Settings:
    return Settings(model=str(tiny_model), seed=3, sampling=SamplingParams(max_tokens=12),
                    **care)


async def ready(pilot, app: CompanionApp, state: str = "ready") -> None:
    await wait_for(pilot, lambda: isinstance(app.screen, ChatScreen))
    await wait_for(pilot, lambda: app.engine_state == state)
    def composer_focused() -> bool:
        found = app.screen.query("#composer")  # the screen may still be changing
        return bool(found) and app.focused is found.first()

    await wait_for(pilot, composer_focused)
    if state == "none":
        await wait_for(pilot, lambda: "--model" in notice(app))


def settled(app: CompanionApp, count: int):
    return lambda: len(app.session.messages()) == count and not chat_screen(app).replying


def stored(app: CompanionApp) -> list[tuple[str, str]]:
    return [(m.role, m.content) for m in app.session.messages()]


# edit the last message -----------------------------------------------------------------


async def test_edit_last_message_and_regenerate(home: Path, tiny_model: Path) -> None:
    app = make_app(home, with_model(tiny_model))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app)
        await send(pilot, "I said it wrong")
        await wait_for(pilot, settled(app, 2))
        old_reply = app.session.messages()[1]
        await pilot.press("f4")
        composer = app.screen.query_one("#composer")
        assert composer.value == "I said it wrong"
        assert "Editing" in notice(app)
        await pilot.press("ctrl+u", *"what I meant", "enter")
        await wait_for(pilot, lambda: chat_screen(app).replying
                       or len(app.session.messages()) == 2)
        await wait_for(pilot, settled(app, 2))
        messages = app.session.messages()
        assert (messages[0].role, messages[0].content) == ("user", "what I meant")
        # a new reply (SQLite may give it the freed id): written after the edit
        assert messages[1].role == "assistant" and messages[1].content
        assert messages[1].created_at > old_reply.created_at
        assert messages[1].provenance.seed == 3
        assert not chat_screen(app).replying and not views(app)[1].stopped
        shown = views(app)
        assert [v.content for v in shown][:1] == ["what I meant"] and len(shown) == 2
        assert shown[1].message_id == messages[1].id
        assert app.session.conversations()[0].title == "what I meant"
        assert composer.value == ""


async def test_edit_without_a_reply_only_edits_and_esc_leaves_it(home: Path) -> None:
    app = make_app(home, Settings())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app, "none")
        await send(pilot, "first try")
        await wait_for(pilot, lambda: stored(app) == [("user", "first try")])
        await pilot.press(*"a draft")
        await pilot.press("f4")
        composer = app.screen.query_one("#composer")
        assert composer.value == "first try"
        await pilot.press("escape")  # leaves it as it was, and the draft comes back
        assert composer.value == "a draft"
        assert stored(app) == [("user", "first try")]
        await pilot.press("f4", "ctrl+u", *"second try", "enter")
        await wait_for(pilot, lambda: stored(app) == [("user", "second try")])
        assert [v.content for v in views(app)] == ["second try"]
        assert composer.value == "a draft"
        assert "changed" in notice(app)


# delete a message ----------------------------------------------------------------------


async def test_delete_a_chosen_message_and_the_last_one(home: Path, tiny_model: Path) -> None:
    app = make_app(home, with_model(tiny_model))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app)
        await send(pilot, "keep this")
        await wait_for(pilot, settled(app, 2))
        await send(pilot, "regret this")
        await wait_for(pilot, settled(app, 4))
        before = app.session.messages()
        regret = before[2]
        assert regret.content == "regret this"

        views(app)[2].focus()
        await pilot.press("delete")
        await wait_for(pilot, lambda: isinstance(app.screen, Confirm))
        await pilot.press("escape")  # keep it
        await pilot.pause()
        assert len(app.session.messages()) == 4

        views(app)[2].focus()
        await pilot.press("delete")
        await wait_for(pilot, lambda: isinstance(app.screen, Confirm))
        assert "regret this" in str(app.screen.query_one("#confirm-question").render())
        await pilot.click("#confirm-yes")
        await wait_for(pilot, lambda: len(app.session.messages()) == 3)
        assert app.session.vault.conversations.message(regret.id) is None
        assert [v.content for v in views(app)][:2] == ["keep this", before[1].content]
        assert "deleted" in notice(app)

        # F8 with nothing chosen: the last message (the streamed reply, id known)
        app.screen.query_one("#composer").focus()
        await pilot.press("f8")
        await wait_for(pilot, lambda: isinstance(app.screen, Confirm))
        await pilot.click("#confirm-yes")
        await wait_for(pilot, lambda: len(app.session.messages()) == 2)
        assert [m.id for m in app.session.messages()] == [m.id for m in before[:2]]

    raw = paths.resolve(home).vault_db.read_bytes()
    assert b"regret this" not in raw  # encrypted anyway; and checkpointed, nothing left over


def test_agency_api_without_a_ui(home: Path, tiny_model: Path) -> None:
    """What the command line can use: delete with what was learned, edit and ask again."""
    from companion.engine.llama import LlamaEngine
    from companion.models.files import inspect_model

    where = paths.resolve(home)
    where.ensure()
    vault = Vault.create(where.vault_db, where.vault_key, PASSPHRASE)
    engine = LlamaEngine.load(inspect_model(tiny_model))
    try:
        session = Session(vault, with_model(tiny_model), engine)
        with pytest.raises(UsageError):
            agency.edit_last(vault, session.conversation_id, "nothing to edit yet")
        first = session.turn("my sister Ana visited")
        user = session.messages()[0]
        memory = vault.memories.add("fact", "has a sister, Ana", source_kind="message",
                                    source_id=user.id, conversation_id=user.conversation_id)
        vault.summaries.put(user.conversation_id, "They talked about Ana.", first.message.id)
        vault.commitments.add("call Ana", status="proposed", source_message_id=user.id,
                              conversation_id=user.conversation_id)

        pieces: list[str] = []
        edited, reply = agency.edit_and_regenerate(session, "my brother visited",
                                                   on_text=pieces.append)
        assert edited.had_reply and edited.removed.messages == (first.message.id,)
        assert (edited.removed.memories, edited.removed.summaries,
                edited.removed.commitments) == (1, 1, 1)
        assert vault.memories.get(memory.id) is None
        assert vault.summaries.for_conversation(user.conversation_id) is None
        assert vault.commitments.list(("proposed",)) == []
        assert reply is not None and reply.text == "".join(pieces)
        assert [(m.role, m.content) for m in session.messages()] == [
            ("user", "my brother visited"), ("assistant", reply.text)]
        assert vault.conversations.get(user.conversation_id).title == "my brother visited"

        # with no reply after it, an edit is only an edit
        session.add_user_message("and then")
        edited, again = agency.edit_and_regenerate(session, "and then nothing")
        assert again is None and not edited.had_reply
        assert session.messages()[-1].content == "and then nothing"

        gone = agency.delete_message(vault, user.id)
        assert gone.messages == (user.id,)
        assert [m.content for m in session.messages()] == [reply.text, "and then nothing"]
        assert vault.conversations.get(user.conversation_id).title == "and then nothing"
        with pytest.raises(UsageError):
            agency.delete_message(vault, user.id)
    finally:
        engine.close()
        vault.close()


# boundaries ----------------------------------------------------------------------------


async def be_here(pilot, app: CompanionApp, clock: FakeClock, minutes: int) -> None:
    """Someone at the keyboard: a key every few minutes, and the app's tick."""
    for _ in range(0, minutes, 3):
        clock.advance(minutes=3)
        await pilot.press("right")
        await app.boundary_watch.tick()


async def test_a_nudge_appears_after_the_time_set(home: Path) -> None:
    clock = FakeClock(START)
    app = make_app(home, Settings(nudge_minutes=45), clock)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app, "none")
        await be_here(pilot, app, clock, 42)
        assert "talked" not in notice(app)
        await be_here(pilot, app, clock, 6)
        assert "We've talked for 45 minutes — a break, or a message to someone you trust?" \
            in notice(app)
        chat_screen(app).notice("")
        await be_here(pilot, app, clock, 30)
        assert notice(app) == ""  # once per threshold
        # left alone all night: the idle cap stops the count
        clock.advance(hours=8)
        await app.boundary_watch.tick()
        assert app.boundary_watch.boundaries.session_seconds < 85 * 60


async def test_the_daily_limit_holds_a_reply_until_the_pause_ends(home: Path,
                                                                   tiny_model: Path) -> None:
    clock = FakeClock(START)
    app = make_app(home, with_model(tiny_model, daily_limit_minutes=60, cooldown_minutes=10),
                   clock, prepare=lambda vault: vault.usage.add("2025-03-10", 3600))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app)
        await send(pilot, "one more thing")
        await wait_for(pilot, lambda: chat_screen(app).held_reply)
        assert stored(app) == [("user", "one more thing")]  # saved, not answered
        assert "replies wait 10 minutes" in notice(app) and "Ctrl+G" in notice(app)
        assert [v.role for v in views(app)] == ["user"]
        await pilot.pause(0.3)
        assert len(app.session.messages()) == 1
        clock.advance(minutes=5)
        await app.boundary_watch.tick()
        assert chat_screen(app).held_reply and len(app.session.messages()) == 1
        clock.advance(minutes=6)
        await app.boundary_watch.tick()  # the pause is over: the reply comes
        await wait_for(pilot, settled(app, 2))
        assert app.session.messages()[1].role == "assistant"
        await send(pilot, "and another")  # said once a day; replies as usual now
        await wait_for(pilot, settled(app, 4))


async def test_continue_anyway_releases_a_held_reply(home: Path, tiny_model: Path) -> None:
    clock = FakeClock(START)
    app = make_app(home, with_model(tiny_model, daily_limit_minutes=30, cooldown_minutes=60),
                   clock, prepare=lambda vault: vault.usage.add("2025-03-10", 1900))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app)
        await send(pilot, "I want to go on")
        await wait_for(pilot, lambda: chat_screen(app).held_reply)
        assert len(app.session.messages()) == 1
        await pilot.press("ctrl+g")
        await wait_for(pilot, settled(app, 2))
        assert not chat_screen(app).held_reply
        assert [v.role for v in views(app)] == ["user", "assistant"]


async def test_nothing_holds_a_reply_to_someone_in_crisis(home: Path, tiny_model: Path) -> None:
    clock = FakeClock(START)
    app = make_app(home, with_model(tiny_model, daily_limit_minutes=30, cooldown_minutes=60),
                   clock, prepare=lambda vault: vault.usage.add("2025-03-10", 1900))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app)
        await send(pilot, "still here")
        await wait_for(pilot, lambda: chat_screen(app).held_reply)
        await send(pilot, "I want to kill myself")  # the pause is still on
        await wait_for(pilot, settled(app, 3))
        assert [m.role for m in app.session.messages()] == ["user", "user", "assistant"]
        assert not chat_screen(app).held_reply
        assert "wait" not in notice(app)  # and no suggestion to take a break
        assert app.boundary_watch.holding()  # the pause itself goes on for what follows
        await send(pilot, "ok")
        await wait_for(pilot, lambda: chat_screen(app).held_reply)
        # the hook for a crisis scan elsewhere (or the model's check) lets it through too
        chat_screen(app).crisis_now = True
        await send(pilot, "it is all too much")
        await wait_for(pilot, settled(app, 6))
        assert not chat_screen(app).held_reply


async def test_quiet_hours_suggest_rest_after_midnight(home: Path) -> None:
    clock = FakeClock(datetime(2025, 3, 10, 22, 55, tzinfo=ZONE))
    app = make_app(home, Settings(quiet_hours="23:00-06:00"), clock)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app, "none")
        await be_here(pilot, app, clock, 3)
        assert "quiet hours" not in notice(app)
        clock.set(datetime(2025, 3, 11, 0, 40, tzinfo=ZONE))
        await pilot.press("right")
        await app.boundary_watch.tick()
        assert "00:40, inside the quiet hours you set (23:00-06:00)" in notice(app)


async def test_time_spent_accumulates_and_is_shown_per_day(home: Path) -> None:
    clock = FakeClock(START)

    def earlier_days(vault: Vault) -> None:
        vault.usage.add("2025-03-08", 90 * 60)
        vault.usage.add("2025-02-20", 20 * 60)
        vault.usage.add("2025-01-01", 500 * 60)  # older than four weeks

    app = make_app(home, Settings(nudge_minutes=45, quiet_hours="23:00-06:00"), clock,
                   prepare=earlier_days)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app, "none")
        await be_here(pilot, app, clock, 12)
        assert app.vault.usage.day("2025-03-10") == pytest.approx(12 * 60)
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: isinstance(app.screen, UsageScreen))
        chart = str(app.screen.query_one("#usage-chart").render())
        lines = [line for line in chart.splitlines() if line.strip()]
        assert len(lines) == 28
        assert lines[-1].startswith("Mon 10 Mar") and lines[-1].endswith("12 minutes")
        assert lines[-3].startswith("Sat 08 Mar") and "█" * 40 in lines[-3]
        assert lines[-3].endswith("1 hour 30 minutes")
        assert any(line.startswith("Thu 20 Feb") and line.endswith("20 minutes")
                   for line in lines)
        assert not any("Jan" in line for line in lines)
        summary = str(app.screen.query_one("#usage-summary").render())
        assert "Today 12 minutes" in summary and "this session 12 minutes" in summary
        settings = str(app.screen.query_one("#usage-settings").render())
        assert "45 minutes in one session" in settings and "23:00-06:00" in settings
        assert "daily limit: off" in settings and str(app.paths.config_file) in settings
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ChatScreen))


async def test_palette_lists_agency_and_time_spent(home: Path) -> None:
    app = make_app(home, Settings())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app, "none")
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for title in ("Edit last message", "Delete a message", "Time spent",
                      "Delete this conversation"):
            assert title in titles
        assert "Continue anyway" not in titles  # only while a reply is held
        bindings = {b.id for b in ChatScreen.BINDINGS}
        assert {"edit_last", "delete_message", "continue_anyway", "usage"} <= bindings
        assert all(b.id for b in MessageView.BINDINGS)

"""Locking the app, driven by Pilot: Ctrl+L and the palette lock at once, `lock_minutes`
locks after that long without a key or the mouse. Locked, nothing of the person's words
is on screen or in the DOM, the vault is closed and nothing holds it; the passphrase
brings back the same conversation, the unsent draft, the journal with its draft, and
the same loaded model. A reply in progress is finished and saved first (a gated stand-in
engine shows the order; the tiny real model shows it end to end)."""

from __future__ import annotations

import contextlib
import gc
import threading
import weakref
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

from companion import paths
from companion.care.boundaries import FakeClock
from companion.config import Settings, load
from companion.domain import ModelInfo, SamplingParams, TurnStats
from companion.engine.llama import LlamaEngine
from companion.models.files import inspect_model
from companion.ui.app import CompanionApp
from companion.ui.screens.chat import ChatScreen
from companion.ui.screens.journal import JournalScreen
from companion.ui.screens.lock import LockingScreen
from companion.ui.screens.unlock import UnlockScreen
from tests.conftest import PASSPHRASE
from tests.test_tui import views, wait_for

SIZE = (100, 32)
SENT = "Zanzibarquartz"  # words the person sent (no spaces: the SVG screenshot keeps them whole)
REPLIED = "Kilimanjarosong"  # words of the reply
DRAFT = "Marmaladedraft"  # words typed and not sent
JOURNAL = "Journalhushword"  # an unsaved journal entry
WORDS = (SENT, REPLIED, DRAFT, JOURNAL)


class GatedEngine:
    """A stand-in that replies with fixed words and, when told, waits mid-reply."""

    model = ModelInfo(path="/models/gated.gguf", sha256="ab" * 32, name="gated-model", size=1)

    def __init__(self) -> None:
        self.last_stats = TurnStats()
        self.gate = threading.Event()
        self.gate.set()
        self.started = threading.Event()
        self.resets = 0

    def stream(self, messages: list, params: SamplingParams, seed: int,
               cancel: threading.Event) -> Iterator[str]:
        self.started.set()
        yield f"{REPLIED} one, "
        self.gate.wait(30)
        yield "and the end."

    def reset_cache(self) -> None:
        self.resets += 1

    def warm(self, messages: list, cancel: threading.Event, max_tokens: int = 256) -> int:
        return 0


def words_anywhere(app: CompanionApp) -> list[str]:
    """Every word from WORDS found in the rendered screen or in any screen's widgets."""
    shown = [app.export_screenshot(), app.title, app.sub_title]
    shown += [str(n.message) for n in app._notifications]
    for screen in app.screen_stack:
        for widget in screen.walk_children(with_self=True):
            for name in ("content", "value", "text", "source"):
                value = getattr(widget, name, None)
                if isinstance(value, str) or hasattr(value, "plain"):
                    shown.append(str(value))
            with contextlib.suppress(Exception):  # a widget that renders only in a layout
                shown.append(str(widget.render()))
    return [word for word in WORDS if any(word in text for text in shown)]


def gated_app(home: Path, engine: GatedEngine, loads: list[int], **settings) -> CompanionApp:
    def loader(_path: str, _settings: Settings) -> GatedEngine:
        loads.append(1)
        return engine

    return CompanionApp(paths.resolve(home), Settings(model="gated", seed=2, **settings),
                        passphrase=PASSPHRASE, engine_loader=loader)


async def open_chat(pilot, app: CompanionApp) -> ChatScreen:
    await wait_for(pilot, lambda: isinstance(app.screen, ChatScreen)
                   and app.engine_state == "ready")
    return app.screen


async def talk(pilot, app: CompanionApp, text: str) -> None:
    app.screen.query_one("#composer").value = text
    await pilot.press("enter")
    await wait_for(pilot, lambda: not app.screen.replying and len(app.session.messages()) >= 2
                   and app.session.messages()[-1].role == "assistant")


async def unlock(pilot, app: CompanionApp) -> ChatScreen:
    await pilot.press(*PASSPHRASE)
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, ChatScreen) and app.session)
    await pilot.pause()
    return app.screen


def locked(app: CompanionApp) -> bool:
    return app.app_lock.state == "locked"


async def test_ctrl_l_hides_every_word_closes_the_vault_and_unlocking_returns(
        home: Path) -> None:
    engine, loads = GatedEngine(), []
    app = gated_app(home, engine, loads)
    async with app.run_test(size=SIZE) as pilot:
        chat = await open_chat(pilot, app)
        await talk(pilot, app, f"{SENT} is on my mind")
        conversation = app.session.conversation_id
        chat.query_one("#composer").value = DRAFT
        await pilot.press("ctrl+j")  # the journal, with words not yet saved
        await wait_for(pilot, lambda: isinstance(app.screen, JournalScreen))
        await pilot.press(*JOURNAL)
        assert set(words_anywhere(app)) >= {SENT, REPLIED, DRAFT, JOURNAL}  # the check sees
        connection = app.vault._conn
        vault_ref, session_ref = weakref.ref(app.vault), weakref.ref(app.session)
        del chat

        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: locked(app))
        await pilot.pause()
        assert isinstance(app.screen, UnlockScreen) and len(app.screen_stack) == 2
        assert words_anywhere(app) == []
        assert app.vault is None and app.session is None
        with pytest.raises(Exception, match="closed"):
            connection.execute("SELECT 1")  # the key went with the connection
        del connection
        gc.collect()
        assert vault_ref() is None and session_ref() is None  # nothing holds them
        assert engine.resets == 1  # the model forgot the evaluated conversation
        assert not [c for c in app.get_system_commands(app.screen) if c.title == "Lock now"]
        await pilot.press("ctrl+l")  # locked already: nothing happens
        await pilot.pause()
        assert isinstance(app.screen, UnlockScreen)

        await pilot.press(*"not the passphrase")
        await pilot.press("enter")
        await wait_for(pilot, lambda: "does not open" in str(
            app.screen.query_one("#unlock-error").render()))
        await pilot.press(*PASSPHRASE)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, JournalScreen))
        await pilot.pause()
        assert app.screen.query_one("#journal-text").text == JOURNAL  # its draft came back
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ChatScreen))
        chat = app.screen
        assert app.session.conversation_id == conversation
        assert views(app)[0].content == f"{SENT} is on my mind"
        assert REPLIED in views(app)[1].content
        assert chat.query_one("#composer").value == DRAFT
        assert app.session.engine is engine and loads == [1]  # re-attached, not reloaded
        assert "gated-model" in chat.status.render().plain
        await talk(pilot, app, "and one more")  # the unlocked app talks as before
        assert len(app.session.messages()) == 4
        await pilot.press("ctrl+q")


async def test_a_reply_in_progress_is_finished_and_saved_before_the_lock(home: Path) -> None:
    engine, loads = GatedEngine(), []
    app = gated_app(home, engine, loads)
    async with app.run_test(size=SIZE) as pilot:
        chat = await open_chat(pilot, app)
        engine.gate.clear()
        chat.query_one("#composer").value = f"{SENT} again"
        await pilot.press("enter")
        await wait_for(pilot, lambda: engine.started.is_set() and chat.replying)

        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: isinstance(app.screen, LockingScreen))
        await pilot.pause(0.3)
        assert app.app_lock.state == "locking"
        assert app.vault is not None  # still open: the reply is being written into it
        shot = app.export_screenshot()
        assert SENT not in shot and REPLIED not in shot  # but nothing of it shows
        engine.gate.set()
        await wait_for(pilot, lambda: locked(app))
        assert app.vault is None and words_anywhere(app) == []

        await unlock(pilot, app)
        last = app.session.messages()[-1]
        assert last.role == "assistant" and not last.stopped
        assert last.content == f"{REPLIED} one, and the end."
        assert views(app)[-1].content == last.content
        await pilot.press("ctrl+q")


async def test_the_palette_locks_and_an_empty_page_stays_empty(home: Path) -> None:
    engine, loads = GatedEngine(), []
    app = gated_app(home, engine, loads)
    async with app.run_test(size=SIZE) as pilot:
        chat = await open_chat(pilot, app)
        await talk(pilot, app, SENT)
        await pilot.press("ctrl+n")  # a new, empty page
        await wait_for(pilot, lambda: views(app) == [])
        del chat
        [command] = [c for c in app.get_system_commands(app.screen) if c.title == "Lock now"]
        command.callback()
        await wait_for(pilot, lambda: locked(app))
        await unlock(pilot, app)
        assert app.session.conversation_id is None and views(app) == []
        assert len(app.session.conversations()) == 1
        await pilot.press("ctrl+q")


async def test_lock_minutes_locks_after_that_long_without_input(home: Path) -> None:
    clock = FakeClock(datetime(2025, 5, 1, 9, 0, tzinfo=timezone.utc))
    engine = GatedEngine()
    app = CompanionApp(paths.resolve(home), Settings(model="gated", lock_minutes=5),
                       passphrase=PASSPHRASE, clock=clock,
                       engine_loader=lambda _path, _settings: engine)
    async with app.run_test(size=SIZE) as pilot:
        await open_chat(pilot, app)
        clock.advance(minutes=4)
        assert not app.app_lock.check_idle()
        await pilot.press("a")  # someone is here: idle time starts again
        clock.advance(minutes=4)
        assert not app.app_lock.check_idle()
        clock.advance(minutes=1, seconds=1)
        assert app.app_lock.check_idle()
        await wait_for(pilot, lambda: locked(app))
        assert app.vault is None
        clock.advance(minutes=60)
        assert not app.app_lock.check_idle()  # locked: nothing more to do
        chat = await unlock(pilot, app)
        assert chat.query_one("#composer").value == "a"  # the draft, one letter long
        assert not app.app_lock.check_idle()  # idle time counts from the unlock
        await pilot.press("ctrl+q")


async def test_the_idle_timer_locks_by_itself(home: Path) -> None:
    engine = GatedEngine()
    app = CompanionApp(paths.resolve(home), Settings(model="gated", lock_minutes=0.01),
                       passphrase=PASSPHRASE, engine_loader=lambda _path, _settings: engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: locked(app))  # 0.6 s without input, checked twice a second
        assert app.vault is None
        await pilot.press("ctrl+q")


async def test_off_by_default_and_read_from_config(home: Path, tmp_path: Path) -> None:
    assert Settings().lock_minutes == 0
    config = tmp_path / "config.toml"
    config.write_text("lock_minutes = 2\n", encoding="utf-8")
    assert load(config).lock_minutes == 2.0
    engine = GatedEngine()
    app = CompanionApp(paths.resolve(home), Settings(model="gated"), passphrase=PASSPHRASE,
                       engine_loader=lambda _path, _settings: engine)
    async with app.run_test(size=SIZE) as pilot:
        await open_chat(pilot, app)
        app.app_lock._last_input = datetime(2000, 1, 1, tzinfo=timezone.utc)
        assert not app.app_lock.check_idle()  # 0: never by itself
        await pilot.press("ctrl+q")


class HeldReal:
    """The real tiny model, holding its reply after the first piece until `gate` is set,
    so the lock surely comes while the reply is being written."""

    def __init__(self, engine: LlamaEngine) -> None:
        self.engine = engine
        self.gate = threading.Event()
        self.started = threading.Event()

    def __getattr__(self, name: str):
        return getattr(self.engine, name)

    def stream(self, messages, params, seed, cancel) -> Iterator[str]:
        for number, piece in enumerate(self.engine.stream(messages, params, seed, cancel)):
            yield piece
            if number == 0:
                self.started.set()
                self.gate.wait(30)


async def test_the_real_model_finishes_its_reply_before_the_lock(
        home: Path, tiny_model: Path) -> None:
    loaded: list[HeldReal] = []

    def load_tiny(_path: str, _settings: Settings) -> HeldReal:
        loaded.append(HeldReal(LlamaEngine.load(inspect_model(tiny_model))))
        return loaded[-1]

    settings = Settings(model=str(tiny_model), seed=5, listen_max_tokens=40,
                        sampling=SamplingParams(max_tokens=40))
    app = CompanionApp(paths.resolve(home), settings, passphrase=PASSPHRASE,
                       engine_loader=load_tiny)
    async with app.run_test(size=SIZE) as pilot:
        chat = await open_chat(pilot, app)
        engine = loaded[0]
        chat.query_one("#composer").value = f"{SENT} and everything else"
        await pilot.press("enter")
        await wait_for(pilot, engine.started.is_set)
        await pilot.press("ctrl+l")  # while the reply is being written
        await wait_for(pilot, lambda: isinstance(app.screen, LockingScreen))
        assert app.vault is not None and chat.replying
        engine.gate.set()
        await wait_for(pilot, lambda: locked(app))
        assert app.vault is None and words_anywhere(app) == []
        assert engine.engine._llm.n_tokens == 0  # the cache was reset: nothing evaluated
        stats = engine.last_stats

        await unlock(pilot, app)
        messages = app.session.messages()
        assert [m.role for m in messages] == ["user", "assistant"]
        assert messages[1].content and not messages[1].stopped  # finished, not cut short
        assert stats.generated_tokens > 1  # it went on after the lock was asked for
        assert views(app)[-1].content == messages[1].content
        assert app.session.engine is engine and len(loaded) == 1  # not loaded again
        engine.started.clear()
        await talk(pilot, app, "one more")  # the reset model answers again
        assert len(app.session.messages()) == 4
        await pilot.press("ctrl+q")

"""Streaming into the chat: batched UI updates, the reply shown whole, the speed shown.

A stand-in engine yields many pieces at once: this is about what the screen does with
them, not about a model (test_tui.py streams the real tiny model). No assertion here
depends on timing: the batch interval is set very long, so the coalescing is exact.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from companion import paths
from companion.config import Settings
from companion.domain import ModelInfo, SamplingParams, TurnStats
from companion.ui import stream_batch
from companion.ui.app import CompanionApp
from companion.ui.screens.chat import ChatScreen
from companion.ui.stream_batch import Batcher, Pace
from companion.ui.widgets.message import MessageView
from tests.conftest import PASSPHRASE

SIZE = (100, 34)
PIECES = [f"word{i} " if i % 40 else f"\n\n**part {i}** " for i in range(600)]


class ManyPieces:
    """Yields every piece of `PIECES` for each call (or until stopped), with known stats."""

    model = ModelInfo(path="/models/many.gguf", sha256="ab" * 32, name="many-pieces", size=1)

    def __init__(self, forever: bool = False) -> None:
        self.last_stats = TurnStats()
        self.forever = forever
        self.yielded: list[str] = []
        self.started = threading.Event()
        self.after_cancel = 0

    def stream(self, messages: list, params: SamplingParams, seed: int,
               cancel: threading.Event) -> Iterator[str]:
        self.yielded = []
        i = 0
        while self.forever or i < len(PIECES):
            if cancel.is_set():
                break
            piece = PIECES[i % len(PIECES)]
            self.yielded.append(piece)
            i += 1
            if i == 20:
                self.started.set()
            yield piece
            if self.forever:
                cancel.wait(0.002)
        self.last_stats = TurnStats(generated_tokens=len(self.yielded), first_token_s=0.5,
                                    total_s=2.5)

    def reset_cache(self) -> None:
        pass

    def warm(self, messages: list, cancel: threading.Event, max_tokens: int = 256) -> int:
        return 0


def test_batcher_sends_at_most_once_per_interval_and_all_on_flush() -> None:
    now = [0]
    sent: list[str] = []
    pace = Pace()
    pace.interval = 50
    batch = Batcher(sent.append, pace, clock=lambda: now[0])
    pieces = [f"{i} " for i in range(1000)]
    for i, piece in enumerate(pieces):  # a piece every 10 "ms"
        now[0] = i * 10
        batch.add(piece)
        batch.add("")  # empty pieces are no updates
    batch.flush()
    batch.flush()  # nothing left: nothing sent
    assert "".join(sent) == "".join(pieces)
    assert sent[0] == "0 "  # the first piece goes at once
    assert len(sent) == 201  # every 5th piece opens a batch, plus the rest at the end
    batch.add("a")
    batch.begin()  # a new part: what came before is sent, and its first piece goes at once
    batch.add("b")
    assert sent[-2:] == ["a", "b"]


def test_pace_keeps_the_ui_threads_share_of_a_core_small() -> None:
    """Each batch costs the UI thread about the same whatever its size (a layout, a frame
    or two), so the interval settles at cost / UI_SHARE, within its bounds."""
    pace = Pace()
    assert pace.interval == stream_batch.MIN_INTERVAL_S
    pace.observe(0.0, 0.0)  # no time passed: nothing to learn
    assert pace.interval == stream_batch.MIN_INTERVAL_S

    def settle(cost: float) -> float:
        for _ in range(30):
            pace.observe(cost, pace.interval)  # one batch: `cost` busy in `interval`
        return pace.interval

    assert settle(0.010) == pytest.approx(0.010 / stream_batch.UI_SHARE)  # 10 ms: 0.2 s
    assert settle(0.001) == stream_batch.MIN_INTERVAL_S  # cheap updates: 20 a second
    assert settle(0.100) == stream_batch.MAX_INTERVAL_S  # never slower than this


@pytest.fixture
def slow_batches(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The first piece, then nothing until the end: exact counts, whatever the machine.

    Returns the texts of the UI updates, in order."""
    monkeypatch.setattr(stream_batch, "MIN_INTERVAL_S", 3600.0)
    monkeypatch.setattr(stream_batch, "MAX_INTERVAL_S", 3600.0)
    updates: list[str] = []
    handler = ChatScreen.on_chat_screen_chunk

    async def counted(self: ChatScreen, event: ChatScreen.Chunk) -> None:
        updates.append(event.text)
        await handler(self, event)

    monkeypatch.setattr(ChatScreen, "on_chat_screen_chunk", counted)
    return updates


def open_chat(home: Path, engine: ManyPieces, max_tokens: int = 10_000):
    settings = Settings(model="many", seed=3, listen_max_tokens=max_tokens,
                        sampling=SamplingParams(max_tokens=max_tokens))
    return CompanionApp(paths.resolve(home), settings, passphrase=PASSPHRASE,
                        engine_loader=lambda path, settings: engine)


async def until(condition, timeout: float = 30) -> None:
    for _ in range(int(timeout / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the app did not get there in time")


async def send(pilot, app: CompanionApp, text: str) -> None:
    await until(lambda: isinstance(app.screen, ChatScreen) and app.engine_state == "ready")
    app.screen.query_one("#composer").value = text
    await pilot.press("enter")


async def test_many_pieces_are_one_update_per_batch_and_shown_whole(
        home: Path, slow_batches: list[str]) -> None:
    engine = ManyPieces()
    app = open_chat(home, engine)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, app, "Tell me about your day")
        screen = app.screen
        await until(lambda: not screen.replying and len(app.session.messages()) == 2)
        await pilot.pause()
        stored = app.session.messages()[-1]
        streamed = "".join(PIECES)
        assert stored.content == streamed and not stored.stopped
        assert slow_batches == [PIECES[0], "".join(PIECES[1:])]  # 600 pieces, 2 updates
        view = list(screen.query(MessageView))[-1]
        assert view.markdown.source == streamed  # shown whole, as Markdown
        assert "part 40" in "".join(str(b.render()) for b in view.markdown.children)
        # the status bar shows the decode-only figure `say --json` reports, from the same
        # TurnStats property: (600 - 1) tokens / (2.5 - 0.5) s
        assert engine.last_stats.tokens_per_second == pytest.approx(299.5)
        assert "299.5 tok/s" in screen.status.render().plain
        await pilot.press("ctrl+q")


async def test_stopping_keeps_every_piece_streamed_so_far(
        home: Path, slow_batches: list[str]) -> None:
    engine = ManyPieces(forever=True)
    app = open_chat(home, engine)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, app, "Go on and on")
        screen = app.screen
        await until(engine.started.is_set)
        await pilot.press("escape")
        await until(lambda: not screen.replying and len(app.session.messages()) == 2)
        await pilot.pause()
        stored = app.session.messages()[-1]
        assert stored.stopped
        assert stored.content == "".join(engine.yielded)  # nothing lost in a batch
        assert "".join(slow_batches) == stored.content
        view = list(screen.query(MessageView))[-1]
        assert view.stopped and view.markdown.source == stored.content
        await pilot.press("ctrl+q")


async def test_each_room_voice_gets_its_own_text(home: Path, slow_batches: list[str]) -> None:
    """A part's text is sent before the next part starts, so no batch spans two voices."""
    engine = ManyPieces()
    app = open_chat(home, engine, max_tokens=120)
    async with app.run_test(size=SIZE) as pilot:
        await until(lambda: isinstance(app.screen, ChatScreen) and app.engine_state == "ready")
        app.session.set_mode("room")
        await send(pilot, app, "Should I take the job?")
        screen = app.screen
        await until(lambda: not screen.replying and len(app.session.messages()) > 2)
        await pilot.pause()
        voices = app.session.messages()[1:]
        assert len(voices) >= 2 and all(m.speaker for m in voices)
        views = list(screen.query(MessageView))[1:]
        assert [v.speaker for v in views] == [m.speaker for m in voices]
        assert [v.markdown.source for v in views] == [m.content for m in voices]
        assert len(slow_batches) == 2 * len(voices)  # per voice: the first piece, the rest
        await pilot.press("ctrl+q")

"""Snapshots of the main screens at a fixed terminal size (pytest-textual-snapshot).

The chat snapshot uses a stand-in engine with a fixed reply: it is about layout only;
the real model is exercised in test_tui.py.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

from companion import paths
from companion.config import Settings
from companion.domain import ModelInfo, SamplingParams, TurnStats
from companion.ui.app import CompanionApp
from companion.ui.screens.chat import ChatScreen
from companion.vault import Vault
from tests.conftest import PASSPHRASE

SIZE = (100, 30)


class FixedEngine:
    model = ModelInfo(path="/models/fixed.gguf", sha256="0123456789ab" + "c" * 52,
                      name="fixed-model", size=1)

    def __init__(self) -> None:
        self.last_stats = TurnStats()

    def stream(self, messages: list, params: SamplingParams, seed: int,
               cancel: threading.Event) -> Iterator[str]:
        yield from ["That sounds ", "**really** hard. ", "Do you want to tell me more?"]

    def reset_cache(self) -> None:
        pass


def test_create_vault_screen(snap_compare, home: Path) -> None:
    app = CompanionApp(paths.resolve(home), Settings())
    assert snap_compare(app, terminal_size=SIZE)


def test_unlock_screen(snap_compare, home: Path) -> None:
    where = paths.resolve(home)
    where.ensure()
    Vault.create(where.vault_db, where.vault_key, PASSPHRASE).close()
    assert snap_compare(CompanionApp(where, Settings()), terminal_size=SIZE)


def test_chat_screen(snap_compare, home: Path) -> None:
    where = paths.resolve(home)
    app = CompanionApp(where, Settings(model="fixed", seed=1), passphrase=PASSPHRASE,
                       engine_loader=lambda path, settings: FixedEngine())

    async def talk(pilot) -> None:
        for _ in range(200):
            if isinstance(app.screen, ChatScreen) and app.engine_state == "ready":
                break
            await pilot.pause(0.05)
        await pilot.press(*"Work was awful today.")
        await pilot.press("enter")
        for _ in range(200):
            if not app.screen.replying and len(app.session.messages()) == 2:
                break
            await pilot.pause(0.05)
        app.screen.status.show_speed(0)
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=talk)


def test_create_vault_screen_in_korean(snap_compare, home: Path) -> None:
    """Hangul is two cells wide: the box, the inputs and the wrapped intro must line up."""
    app = CompanionApp(paths.resolve(home), Settings(ui_language="ko"))
    assert snap_compare(app, terminal_size=SIZE)


def test_create_vault_screen_in_hindi(snap_compare, home: Path) -> None:
    """Devanagari with its vowel signs and conjuncts, at the same size."""
    app = CompanionApp(paths.resolve(home), Settings(ui_language="hi"))
    assert snap_compare(app, terminal_size=SIZE)

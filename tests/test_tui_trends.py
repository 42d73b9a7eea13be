"""The How I've been screen in the real app (Pilot) on a real vault: opened by its key and
from the palette, the 7/30/90-day switch, each picture with its reading beside it.

No model is needed; the app's clock is a FakeClock, so the days are known.
"""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

from companion.care.boundaries import FakeClock
from companion.ui.app import CompanionApp
from companion.ui.screens.chat import ChatScreen
from companion.ui.screens.trends import TrendsScreen
from companion.vault import Vault
from tests.test_trends import NOW, backdate, mood, stamp
from tests.test_tui import wait_for
from tests.test_tui_memory import new_app

SIZE = (100, 34)


def make_app(home: Path, prepare=None) -> CompanionApp:
    return new_app(home, prepare, clock=FakeClock(NOW))


async def open_chat(pilot, app: CompanionApp) -> None:
    await wait_for(pilot, lambda: isinstance(app.screen, ChatScreen))
    await wait_for(pilot, lambda: app.engine_state == "none")


def shown(app: CompanionApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


def plot_text(app: CompanionApp, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


def some_weeks(vault: Vault) -> None:
    mood(vault, 2, 29)
    mood(vault, 4, 0)
    mood(vault, 5, 60)
    vault.usage.add("2025-03-08", 90 * 60)
    for text, days_ago in (("garden and sleep", 1), ("garden again", 20)):
        backdate(vault, "memories", vault.memories.add("fact", text).id, stamp(days_ago))


async def test_open_by_key_switch_the_span_and_read_each_picture(home: Path) -> None:
    app = make_app(home, some_weeks)
    async with app.run_test(size=SIZE) as pilot:
        await open_chat(pilot, app)
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: isinstance(app.screen, TrendsScreen))
        await pilot.pause()
        assert app.screen.days == 30
        assert shown(app, "#trends-mood-reading") == (
            "Mood. Your mood rose from 2 to 4 over the last 30 days; 2 entries on 2 days.")
        assert shown(app, "#trends-time-reading") == (
            "Time spent. You spent 1 hour 30 minutes here over the last 30 days, on 1 day; "
            "the most was 1 hour 30 minutes on Sat 08 Mar.")
        assert shown(app, "#trends-topics-reading") == (
            "Topics. What came up most in the last 30 days: garden (2), sleep (1); from "
            "2 memories and summaries.")
        grid = shown(app, "#trends-topics").splitlines()
        assert grid[0].split() == ["weeks", "09", "Feb", "→", "10", "Mar"]
        assert grid[1].split() == ["garden", "·", "·", "1", "·", "1"]
        mood_plot = plot_text(app, "#trends-mood-plot")
        assert "●" in mood_plot and "10 Mar" in mood_plot
        assert "1h30" in plot_text(app, "#trends-time-plot")
        chosen = [b.id for b in app.screen.query("#trends-ranges Button") if b.has_class("-chosen")]
        assert chosen == ["trends-range-30"]

        await pilot.press("1")
        await pilot.pause()
        assert app.screen.days == 7
        assert shown(app, "#trends-mood-reading") == (
            "Mood. Your mood was 4 on Mon 10 Mar, the only day with a mood in the last 7 "
            "days; 1 entry.")
        assert "last 7 days" in shown(app, "#trends-time-reading")
        assert shown(app, "#trends-topics").splitlines()[1].split() == ["garden", "1"]

        await pilot.press("3")
        await pilot.pause()
        assert shown(app, "#trends-mood-reading") == (
            "Mood. Your mood fell from 5 to 4 over the last 90 days (lowest 2); 3 entries on "
            "3 days.")

        await pilot.click("#trends-range-30")
        await pilot.pause()
        assert app.screen.days == 30
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ChatScreen))


async def test_an_empty_vault_says_so_in_words(home: Path) -> None:
    app = make_app(home)
    async with app.run_test(size=SIZE) as pilot:
        await open_chat(pilot, app)
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: isinstance(app.screen, TrendsScreen))
        await pilot.press("1")
        await pilot.pause()
        assert shown(app, "#trends-mood-reading") == (
            "Mood. No moods recorded in the last 7 days.")
        assert shown(app, "#trends-time-reading") == (
            "Time spent. No time recorded here in the last 7 days.")
        assert shown(app, "#trends-topics-reading") == (
            "Topics. No memories or conversation summaries from the last 7 days to find "
            "topics in.")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: isinstance(app.screen, ChatScreen))


async def test_the_palette_opens_it_and_every_key_has_an_id(home: Path) -> None:
    app = make_app(home)
    async with app.run_test(size=SIZE) as pilot:
        await open_chat(pilot, app)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"How I")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, TrendsScreen))
    assert "trends" in {b.id for b in ChatScreen.BINDINGS}
    assert all(b.id for b in TrendsScreen.BINDINGS)

"""Passphrases that arrive all at once: a password manager typing both fields in one burst
of keys, or a paste of several lines, creates the vault instead of "the two differ"."""

from __future__ import annotations

from pathlib import Path

from textual import events

from companion import paths
from companion.config import Settings
from companion.ui.app import CompanionApp
from companion.ui.screens.onboarding import OnboardingScreen
from companion.ui.screens.unlock import UnlockScreen
from companion.vault import Vault
from tests.conftest import PASSPHRASE
from tests.test_tui import SIZE, wait_for


def burst(app: CompanionApp, text: str) -> None:
    """Every key posted before the app has handled any: as fast as a machine types."""
    for char in text:
        key = "enter" if char == "\n" else char
        app.post_message(events.Key(key, "\r" if char == "\n" else char))


async def ready(pilot, app: CompanionApp) -> None:
    """The unlock screen is up with its first field focused (keys before that go nowhere,
    for a person as for a test)."""
    def focused() -> bool:
        fields = app.screen.query("#passphrase") if isinstance(app.screen, UnlockScreen) else []
        return bool(fields) and fields[0].has_focus

    await wait_for(pilot, focused)


def error(app: CompanionApp) -> str:
    return str(app.screen.query_one("#unlock-error").render())


def onboarding(app: CompanionApp) -> bool:
    return isinstance(app.screen, OnboardingScreen) and bool(app.screen.query("#onboarding-skip"))


async def created(pilot, app: CompanionApp, home: Path) -> None:
    await wait_for(pilot, lambda: onboarding(app))
    Vault.unlock(paths.resolve(home).vault_db, paths.resolve(home).vault_key, PASSPHRASE).close()


async def test_a_burst_of_keys_fills_both_fields(home: Path) -> None:
    app = CompanionApp(paths.resolve(home), Settings())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app)
        burst(app, f"{PASSPHRASE}\n{PASSPHRASE}\n")
        await created(pilot, app, home)


async def test_a_burst_without_the_last_enter_waits_in_the_second_field(home: Path) -> None:
    app = CompanionApp(paths.resolve(home), Settings())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app)
        burst(app, f"{PASSPHRASE}\n{PASSPHRASE}")
        await pilot.pause(0.3)
        screen = app.screen
        assert screen.query_one("#passphrase").value == PASSPHRASE
        assert screen.query_one("#confirm").value == PASSPHRASE
        assert screen.query_one("#confirm").has_focus and not error(app)
        await pilot.press("enter")
        await created(pilot, app, home)


async def test_going_back_to_the_first_field_and_typing_stays_there(home: Path) -> None:
    app = CompanionApp(paths.resolve(home), Settings())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app)
        await pilot.press(*"abc", "enter")
        await pilot.click("#passphrase")
        await pilot.press("end", *"def")
        assert app.screen.query_one("#passphrase").value == "abcdef"
        assert app.screen.query_one("#confirm").value == ""


async def test_a_pasted_pair_of_lines_creates_the_vault(home: Path) -> None:
    app = CompanionApp(paths.resolve(home), Settings())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app)
        app.screen.query_one("#passphrase").post_message(
            events.Paste(f"{PASSPHRASE}\n{PASSPHRASE}\n"))
        await created(pilot, app, home)


async def test_a_pasted_line_with_its_break_unlocks(home: Path) -> None:
    where = paths.resolve(home)
    where.ensure()
    Vault.create(where.vault_db, where.vault_key, PASSPHRASE).close()
    app = CompanionApp(where, Settings())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app)
        app.screen.query_one("#passphrase").post_message(events.Paste(f"{PASSPHRASE}\n"))
        await wait_for(pilot, lambda: onboarding(app))  # unlocked, and the next screen up

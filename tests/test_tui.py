"""The real app driven by Pilot, with the real tiny model and a real vault."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from companion import paths
from companion.config import Settings
from companion.domain import SamplingParams
from companion.errors import VaultDamaged, WrongPassphrase
from companion.ui.app import CompanionApp
from companion.ui.screens.chat import ChatScreen
from companion.ui.screens.onboarding import OnboardingScreen
from companion.ui.widgets.message import MessageView
from companion.vault import Vault
from tests.conftest import PASSPHRASE

SIZE = (100, 34)


async def type_text(pilot, text: str) -> None:
    await pilot.press(*text)


async def wait_for(pilot, condition, timeout: float = 30) -> None:
    for _ in range(int(timeout / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("the app did not get there in time")


def chat_screen(app: CompanionApp) -> ChatScreen:
    assert isinstance(app.screen, ChatScreen), app.screen
    return app.screen


async def send(pilot, text: str) -> None:
    await type_text(pilot, text)
    await pilot.press("enter")


def notice(app: CompanionApp) -> str:
    found = app.screen.query("#notice")
    return str(found.first().render()) if found else ""


def views(app: CompanionApp) -> list[MessageView]:
    return list(app.screen.query(MessageView))


async def test_first_run_talk_stop_quit_and_come_back(home: Path, tiny_model: Path) -> None:
    where = paths.resolve(home)
    settings = Settings(model=str(tiny_model), seed=9, context_tokens=8192,
                        sampling=SamplingParams(max_tokens=64))
    app = CompanionApp(where, settings)
    async with app.run_test(size=SIZE) as pilot:
        await type_text(pilot, PASSPHRASE)
        await pilot.press("enter")
        await type_text(pilot, PASSPHRASE)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, OnboardingScreen)
                       and app.screen.query("#onboarding-skip"))
        await pilot.press("escape")  # skipped here; tests/test_tui_onboarding.py answers it
        await wait_for(pilot, lambda: isinstance(app.screen, ChatScreen))
        await wait_for(pilot, lambda: app.engine_state == "ready")
        status = chat_screen(app).status.render().plain
        assert "tiny-test-0" in status
        assert app.session.engine.model.sha256[:12] in status

        await send(pilot, "I had a hard day")
        await wait_for(pilot, lambda: len(views(app)) == 2 and not chat_screen(app).replying)
        reply = views(app)[1]
        assert reply.role == "assistant" and not reply.stopped
        stored = app.session.messages()
        assert [m.role for m in stored] == ["user", "assistant"]
        assert stored[1].content and stored[1].provenance.seed == 9
        assert "tok/s" in chat_screen(app).status.render().plain

        # a long reply, stopped with Esc as soon as it starts
        app.session.settings = replace(settings, sampling=SamplingParams(max_tokens=6000),
                                       listen_max_tokens=6000)  # Listen mode's cap
        await send(pilot, "tell me everything")
        await wait_for(pilot, lambda: chat_screen(app).replying)
        await pilot.press("escape")
        await wait_for(pilot, lambda: not chat_screen(app).replying)
        last = app.session.messages()[-1]
        assert last.role == "assistant" and last.stopped
        assert views(app)[-1].stopped
        assert app.session.engine.last_stats.generated_tokens < 6000

        await type_text(pilot, "words I have not sent")
        await pilot.press("ctrl+q")
    assert app.vault is None  # closed on the way out

    again = CompanionApp(where, settings)
    async with again.run_test(size=SIZE) as pilot:
        await type_text(pilot, "wrong passphrase")
        await pilot.press("enter")
        await wait_for(pilot, lambda: "does not open" in str(
            again.screen.query_one("#unlock-error").render()))
        await type_text(pilot, PASSPHRASE)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(again.screen, ChatScreen))
        await pilot.pause()
        texts = [v.content for v in views(again)]
        assert texts[0] == "I had a hard day"
        assert len(texts) == 4
        assert views(again)[-1].stopped
        assert again.screen.query_one("#composer").value == "words I have not sent"
        await pilot.press("ctrl+q")


async def test_new_conversation_and_sidebar(home: Path, tiny_model: Path) -> None:
    where = paths.resolve(home)
    app = CompanionApp(where, Settings(model=str(tiny_model), seed=1,
                                       sampling=SamplingParams(max_tokens=8)),
                       passphrase=PASSPHRASE)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.engine_state == "ready")
        await send(pilot, "first conversation")
        await wait_for(pilot, lambda: len(views(app)) == 2 and not chat_screen(app).replying)
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert views(app) == []
        await send(pilot, "second conversation")
        await wait_for(pilot, lambda: len(views(app)) == 2 and not chat_screen(app).replying)
        assert len(app.session.conversations()) == 2
        sidebar = app.screen.query_one("#sidebar")
        assert len(sidebar.children) == 2
        sidebar.focus()
        sidebar.index = 1
        await pilot.press("enter")
        await pilot.pause()
        await wait_for(pilot, lambda: views(app) and views(app)[0].content == "first conversation")


async def test_without_a_model_words_are_kept(home: Path) -> None:
    where = paths.resolve(home)
    app = CompanionApp(where, Settings(), passphrase=PASSPHRASE)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "--model" in notice(app))
        await send(pilot, "written with no model")
        await wait_for(pilot, lambda: "saved" in notice(app))
        assert [m.content for m in app.session.messages()] == ["written with no model"]


async def test_a_bad_model_is_explained_and_the_app_stays_usable(home: Path,
                                                                 tmp_path: Path) -> None:
    bad = tmp_path / "notes.gguf"
    bad.write_text("not a model")
    app = CompanionApp(paths.resolve(home), Settings(model=str(bad)), passphrase=PASSPHRASE)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "not a GGUF" in notice(app))
        await send(pilot, "still here")
        await pilot.pause()
        assert [m.content for m in app.session.messages()] == ["still here"]


async def test_damaged_vault_is_reported_not_replaced(home: Path) -> None:
    where = paths.resolve(home)
    where.ensure()
    Vault.create(where.vault_db, where.vault_key, PASSPHRASE).close()
    where.vault_key.write_text("garbage")
    app = CompanionApp(where, Settings(), passphrase=PASSPHRASE)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.failure is not None)
    # with a passphrase file (a script) the app stops with the sentence and exit code 5
    assert isinstance(app.failure, VaultDamaged) and app.return_code == 5
    assert str(where.vault_key) in str(app.failure)
    assert where.vault_key.read_text() == "garbage"


async def test_a_wrong_passphrase_file_exits_3(home: Path) -> None:
    where = paths.resolve(home)
    where.ensure()
    Vault.create(where.vault_db, where.vault_key, PASSPHRASE).close()
    app = CompanionApp(where, Settings(), passphrase="not the passphrase")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.failure is not None)
    assert isinstance(app.failure, WrongPassphrase) and app.return_code == 3


async def test_themes_builtin_user_and_broken(home: Path) -> None:
    where = paths.resolve(home)
    where.ensure()
    where.user_themes.mkdir(parents=True)
    (where.user_themes / "mine.toml").write_text('name = "mine"\nprimary = "#123456"\n')
    (where.user_themes / "broken.toml").write_text('name = "broken"\nprimary = "not a colour"\n')
    app = CompanionApp(where, Settings(theme="mine"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.theme == "mine"
        assert {"calm-dark", "calm-light", "high-contrast"} <= set(app.available_themes)
        messages = [n.message for n in app._notifications]
        assert any("broken.toml" in m for m in messages)
    other = CompanionApp(where, Settings(theme="no-such-theme"))
    async with other.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert other.theme == "calm-dark"
        await asyncio.sleep(0)

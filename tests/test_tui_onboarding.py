"""Onboarding, the limits page (F1) and the persona editor, driven by Pilot on the real app.

No model is needed: these screens never ask one for anything.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, OptionList, Select, Static, TextArea

from companion import paths
from companion.care import personas
from companion.care.persona import system_prompt_for
from companion.care.profile import ONBOARDING_KEY, PROFILE_KEY
from companion.config import Settings
from companion.ui.app import CompanionApp
from companion.ui.screens.chat import ChatScreen
from companion.ui.screens.limits import LimitsScreen
from companion.ui.screens.onboarding import OnboardingScreen
from companion.ui.screens.persona_editor import PersonaScreen
from companion.vault import Vault
from tests.conftest import PASSPHRASE
from tests.test_tui import type_text, wait_for

SIZE = (110, 40)


@pytest.fixture(autouse=True)
def _no_user_folder():
    personas.use_config_folder(None)
    yield
    personas.use_config_folder(None)


async def create_vault(pilot) -> None:
    await type_text(pilot, PASSPHRASE)
    await pilot.press("enter")
    await type_text(pilot, PASSPHRASE)
    await pilot.press("enter")


async def unlock(pilot) -> None:
    await type_text(pilot, PASSPHRASE)
    await pilot.press("enter")


def stored(where: paths.Paths, key: str) -> str | None:
    vault = Vault.unlock(where.vault_db, where.vault_key, PASSPHRASE)
    try:
        return vault.state.get(key)
    finally:
        vault.close()


def text_of(app: CompanionApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def test_first_run_onboarding_saves_the_profile_and_is_not_shown_again(home: Path) -> None:
    where = paths.resolve(home)
    app = CompanionApp(where, Settings())
    async with app.run_test(size=SIZE) as pilot:
        await create_vault(pilot)
        await wait_for(pilot, lambda: isinstance(app.screen, OnboardingScreen)
                       and app.screen.query("#onboarding-persona"))
        assert app.session is None  # the system text waits for the answers
        shown = text_of(app, "#onboarding-limits")
        for sentence in ("It runs only on this computer.",
                         "It is not a therapist and cannot diagnose anyone.",
                         "It can be wrong.",
                         "You can delete anything at any time"):
            assert sentence in shown
        # the app's language is asked first, named in every language it offers
        assert app.screen.query_one("#onboarding-ui-language", Select).has_focus
        await pilot.press("tab")
        assert app.screen.query_one("#onboarding-name", Input).has_focus
        await type_text(pilot, "Ada")
        await pilot.press("enter")  # on to the next question
        app.screen.query_one("#onboarding-language", Select).value = "pt"
        app.screen.query_one("#onboarding-country", Input).focus()
        await type_text(pilot, "br")
        app.screen.query_one("#onboarding-style", Select).value = "direct and practical"
        app.screen.query_one("#onboarding-persona", Select).value = "family"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, ChatScreen))
        assert app.session is not None
        system = app.session._system
        assert "Ada" in system and "BR" in system and "direct and practical" in system
        assert "Always answer in Portuguese (português)" in system
        assert personas.load_personas().get("family").voice in system
        await pilot.press("ctrl+q")
    assert stored(where, ONBOARDING_KEY) == "done"
    assert '"name": "Ada"' in stored(where, PROFILE_KEY)

    again = CompanionApp(where, Settings())
    async with again.run_test(size=SIZE) as pilot:
        await unlock(pilot)
        await wait_for(pilot, lambda: isinstance(again.screen, ChatScreen))
        assert not any(isinstance(s, OnboardingScreen) for s in again.screen_stack)
        assert again.session._system == system  # the same text from the same profile
        await pilot.press("ctrl+q")


async def test_onboarding_can_be_skipped(home: Path) -> None:
    where = paths.resolve(home)
    app = CompanionApp(where, Settings(language="es"))
    async with app.run_test(size=SIZE) as pilot:
        await create_vault(pilot)
        await wait_for(pilot, lambda: isinstance(app.screen, OnboardingScreen)
                       and app.screen.query("#onboarding-persona"))
        assert "language" in text_of(app, "#onboarding-config")  # config.toml wins: said
        await pilot.press("tab")  # past the app's language, asked first, to the name
        await type_text(pilot, "not saved")
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ChatScreen))
        assert app.session._system == system_prompt_for(Settings(language="es"))
        await pilot.press("ctrl+q")
    assert stored(where, ONBOARDING_KEY) == "skipped"
    assert stored(where, PROFILE_KEY) is None

    again = CompanionApp(where, Settings())
    async with again.run_test(size=SIZE) as pilot:
        await unlock(pilot)
        await wait_for(pilot, lambda: isinstance(again.screen, ChatScreen))
        await pilot.pause()
        assert not isinstance(again.screen, OnboardingScreen)
        await pilot.press("ctrl+q")


async def test_the_limits_page_is_one_key_away(home: Path) -> None:
    where = paths.resolve(home)
    app = CompanionApp(where, Settings(), passphrase=PASSPHRASE)  # a script's start: no onboarding
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, ChatScreen))
        assert [b.key for b in app.BINDINGS if b.id == "limits"] == ["f1"]
        await pilot.press("f1")
        await wait_for(pilot, lambda: isinstance(app.screen, LimitsScreen)
                       and app.screen.query("#limits-where"))
        what = text_of(app, "#limits-what")
        for sentence in ("It runs only on this computer.",
                         "It is not a therapist and cannot diagnose anyone.",
                         "It can be wrong.",
                         "You can delete anything at any time"):
            assert sentence in what
        where_text = text_of(app, "#limits-where")
        assert str(where.vault_db) in where_text and "companion forget everything" in where_text
        await pilot.press("f1")  # the same key goes back
        await wait_for(pilot, lambda: isinstance(app.screen, ChatScreen))
        await pilot.press("f1")
        await wait_for(pilot, lambda: isinstance(app.screen, LimitsScreen))
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ChatScreen))
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "What companion is and is not" in titles and "Persona" in titles
        await pilot.press("ctrl+q")


async def test_the_persona_editor_saves_a_valid_persona_and_switches(home: Path) -> None:
    where = paths.resolve(home)
    user = personas.user_dir(where.config)
    user.mkdir(parents=True)
    (user / "broken.toml").write_text('name = "broken"\nvoice = "v"\nlisten = "l"\n')
    app = CompanionApp(where, Settings(), passphrase=PASSPHRASE)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, ChatScreen))
        notes = [n.message for n in app._notifications]
        assert any("broken.toml" in n and "'listen'" in n for n in notes)  # named, skipped
        before = app.session._system

        app.action_persona()
        await wait_for(pilot, lambda: isinstance(app.screen, PersonaScreen)
                       and app.screen.query("#persona-message"))
        await pilot.pause()
        screen = app.screen
        assert "broken.toml" in text_of(app, "#persona-message")
        await pilot.pause()
        assert screen.query_one("#persona-name", Input).value == "companion-mine"

        # a bad edit is refused with the same sentence a file would get, and nothing is written
        screen.query_one("#persona-voice", TextArea).text = "   "
        await pilot.press("ctrl+s")
        assert "'voice' must not be empty" in text_of(app, "#persona-message")
        assert sorted(p.name for p in user.iterdir()) == ["broken.toml"]

        screen.query_one("#persona-name", Input).value = "gentle"
        screen.query_one("#persona-voice", TextArea).text = "You are gentle and slow."
        screen.query_one("#persona-repertoire", TextArea).text = "prayer\na walk by the sea\n"
        await pilot.press("ctrl+s")
        assert "Saved" in text_of(app, "#persona-message")
        saved = personas.load_file(user / "gentle.toml")
        assert saved.voice == "You are gentle and slow."
        assert saved.repertoire == ("prayer", "a walk by the sea")

        await pilot.press("ctrl+u")  # use it: the text changes from the next start, said so
        message = text_of(app, "#persona-message")
        assert "Replies may sound different" in message and "next start" in message
        assert app.session._system == before  # one voice per session
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ChatScreen))
        await pilot.press("ctrl+q")

    again = CompanionApp(where, Settings(), passphrase=PASSPHRASE)
    async with again.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(again.screen, ChatScreen))
        assert "You are gentle and slow." in again.session._system
        assert "a walk by the sea" in again.session._system
        again.action_persona()  # it opens on the persona that speaks
        await wait_for(pilot, lambda: isinstance(again.screen, PersonaScreen)
                       and again.screen.query("#persona-message"))
        await pilot.pause()
        assert again.screen.query_one("#persona-name", Input).value == "gentle"
        listed = again.screen.query_one("#persona-list", OptionList)
        assert listed.get_option_at_index(listed.highlighted).id == "gentle"
        assert "Speaking now: Warm listener (mine)" in text_of(again, "#persona-current")
        await pilot.press("ctrl+q")


async def test_the_apps_language_is_asked_first_and_kept(home: Path, monkeypatch) -> None:
    from companion import i18n

    monkeypatch.setenv("COMPANION_UI_LANGUAGE", "")
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    where = paths.resolve(home)
    app = CompanionApp(where, Settings())
    try:
        async with app.run_test(size=SIZE) as pilot:
            await create_vault(pilot)
            await wait_for(pilot, lambda: isinstance(app.screen, OnboardingScreen))
            names = [str(option[0]) for option in
                     app.screen.query_one("#onboarding-ui-language", Select)._options]
            assert {"Português (Brasil)", "한국어", "हिन्दी", i18n.name_of("zh")} <= set(names)
            style = app.screen.query_one("#onboarding-style", Select)
            style.value = "direct and practical"
            app.screen.query_one("#onboarding-ui-language", Select).value = "pt-BR"
            await wait_for(pilot, lambda: "Funciona só neste computador"
                           in text_of(app, "#onboarding-limits"))
            # the whole screen follows at once; the stored style stays English
            assert str(app.screen.query_one("#onboarding-title", Static).render()) == (
                "Boas-vindas ao companion")
            assert "Diretas e práticas" in [str(option[0]) for option in style._options]
            assert style.value == "direct and practical"
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: isinstance(app.screen, ChatScreen))
            await pilot.press("ctrl+q")
        assert '"ui_language": "pt-BR"' in stored(where, PROFILE_KEY)
        again = CompanionApp(where, Settings())
        async with again.run_test(size=SIZE) as pilot:
            await unlock(pilot)
            await wait_for(pilot, lambda: isinstance(again.screen, ChatScreen))
            assert i18n.current() == "pt-BR"  # kept in the vault's profile
            await pilot.press("ctrl+q")
    finally:
        i18n.use("en")

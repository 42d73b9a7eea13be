"""The app shell in the person's language: key hints, the palette, the model's notices,
the passphrase change and the limits page, through the real app; and the English key
hints in the catalogue are the words the code gives each binding."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pytest
from textual.binding import Binding
from textual.dom import DOMNode
from textual.widgets._footer import FooterKey

from companion import i18n, paths
from companion.config import Settings
from companion.ui.app import CompanionApp
from companion.ui.binding_words import worded
from companion.ui.keys import binding_table
from companion.ui.screens.chat import ChatScreen
from companion.ui.screens.limits import where_and_how
from companion.ui.screens.models import ModelsScreen
from companion.ui.screens.passphrase import PassphraseScreen
from tests.conftest import PASSPHRASE
from tests.test_tui import SIZE, notice, wait_for


@pytest.fixture(autouse=True)
def english_afterwards() -> Iterator[None]:
    yield
    i18n.use("en")


def new_app(home: Path, language: str) -> CompanionApp:
    """No model: the chat opens at once and says how to get one."""
    return CompanionApp(paths.resolve(home), Settings(ui_language=language),
                        passphrase=PASSPHRASE)


async def open_chat(pilot, app: CompanionApp) -> ChatScreen:
    await wait_for(pilot, lambda: isinstance(app.screen, ChatScreen)
                   and app.engine_state == "none" and bool(app.screen.query("#composer")))
    await wait_for(pilot, lambda: "--model" in notice(app))
    assert isinstance(app.screen, ChatScreen)
    return app.screen


def footer(app: CompanionApp) -> list[FooterKey]:
    return sorted(app.screen.query(FooterKey), key=lambda key: key.region.x)


async def speak(pilot, app: CompanionApp, code: str) -> list[str]:
    """Change the language as the app does after unlock; the footer's words after it, once
    it shows every key hint of the screen in that language and has laid them out."""
    i18n.use(code)
    app.refresh_bindings()
    wanted = {worded(active.binding).description
              for active in app.screen.active_bindings.values() if active.binding.show}

    def shown() -> bool:
        keys = footer(app)
        return (wanted <= {key.description for key in keys}
                and all(key.region.width for key in keys))

    await wait_for(pilot, shown)
    await pilot.pause()
    return [key.description for key in footer(app)]


async def test_the_chat_footer_and_notices_speak_german_then_korean(home: Path) -> None:
    app = new_app(home, "de")
    async with app.run_test(size=SIZE) as pilot:
        chat = await open_chat(pilot, app)
        await wait_for(pilot, lambda: "Neues Gespräch" in [k.description for k in footer(app)])
        words = [key.description for key in footer(app)]
        assert {"Stopp", "Neues Gespräch", "Modelle", "Tagebuch", "Befehle"} <= set(words)
        assert "New conversation" not in words
        assert "Es ist noch kein Modell geladen" in notice(app)
        assert "Kein Modell" in chat.status.render().plain
        words = await speak(pilot, app, "ko")  # at run time: the next refresh speaks it
        assert {"새 대화", "모델", "일기", "기억", "명령"} <= set(words)
        words = await speak(pilot, app, "en")
        assert {"Stop reply", "New conversation", "Models", "palette"} <= set(words)
        await pilot.press("ctrl+q")


async def test_the_palette_names_its_commands_in_the_language(home: Path) -> None:
    app = new_app(home, "de")
    async with app.run_test(size=SIZE) as pilot:
        await open_chat(pilot, app)
        commands = {c.title: c.help for c in app.get_system_commands(app.screen)}
        for title in ("Neues Gespräch", "Modelle", "Sicherheitsplan", "Passphrase ändern",
                      "Was companion ist und was nicht", "Jetzt sperren",
                      "Farbschema", "Beenden", "Tasten"):  # Textual's own ones too
            assert title in commands, title
        assert commands["Neues Gespräch"] == "Ein neues Gespräch beginnen (Ctrl+N)"
        assert "New conversation" not in commands and "Theme" not in commands
        i18n.use("ru")
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Новый разговор" in titles and "Удалить этот разговор" in titles
        await pilot.press("ctrl+p")  # the palette's own search line too
        await wait_for(pilot, lambda: bool(app.screen.query("CommandInput")))
        assert app.screen.query_one("CommandInput").placeholder == "Поиск команд…"
        await pilot.press("escape")
        await pilot.press("ctrl+q")


async def test_no_footer_key_covers_another_in_any_language(home: Path) -> None:
    """The chat's and the models screen's footers are the fullest at 100 columns."""
    app = new_app(home, "en")
    async with app.run_test(size=SIZE) as pilot:
        chat = await open_chat(pilot, app)
        for opened in (False, True):
            if opened:
                chat.action_models()
                await wait_for(pilot, lambda: isinstance(app.screen, ModelsScreen))
            for code in i18n.codes():
                await speak(pilot, app, code)
                keys = footer(app)
                assert len(keys) >= 7, code
                for left, right in pairwise(keys):
                    assert left.region.right <= right.region.x, (
                        code, left.description, right.description)
                    assert right.region.right <= SIZE[0], (code, right.description)
        await pilot.press("ctrl+q")


async def test_the_passphrase_change_speaks_spanish(home: Path) -> None:
    app = new_app(home, "es")
    async with app.run_test(size=SIZE) as pilot:
        chat = await open_chat(pilot, app)
        chat.action_change_passphrase()
        await wait_for(pilot, lambda: isinstance(app.screen, PassphraseScreen)
                       and bool(app.screen.query("#passphrase-title")))
        screen = app.screen
        assert str(screen.query_one("#passphrase-title").render()) == (
            "Cambia tu frase de contraseña")
        await pilot.click("#passphrase-change")  # nothing typed: said in Spanish
        await pilot.pause()
        assert "Primero escribe tu frase de contraseña actual." in str(
            screen.query_one("#passphrase-error").render())
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ChatScreen))
        await pilot.press("ctrl+q")


def test_the_limits_page_names_the_palette_command_in_french(tmp_path: Path) -> None:
    where = paths.resolve(tmp_path)
    i18n.use("fr")
    text = where_and_how(where)
    assert text.startswith("Où se trouvent vos données")
    assert "« Supprimer cette discussion »" in text and str(where.vault_db) in text
    assert "`companion forget everything`" in text  # commands stay as they are typed


def _classes(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _classes(sub)


def described_bindings() -> dict[str, set[str]]:
    """Every binding id of companion's screens and widgets with the descriptions the code
    gives it (`binding_table` imports them all first)."""
    table = binding_table(CompanionApp)
    found: dict[str, set[str]] = {}
    for cls in (CompanionApp, *_classes(DOMNode)):
        if not cls.__module__.startswith("companion.ui"):
            continue
        for item in vars(cls).get("BINDINGS", []):
            binding = item if isinstance(item, Binding) else Binding(*item)
            if binding.id and binding.description:
                found.setdefault(binding.id, set()).add(binding.description)
    assert set(found) == {b.id for bindings in table.values() for b in bindings if b.id}
    return found


def test_every_key_hint_is_in_the_catalogue_with_the_code_s_english_words() -> None:
    english = i18n.catalogue(i18n.SOURCE)
    described = described_bindings()
    assert len(described) > 60
    for name, descriptions in described.items():
        key = f"keys.{name}"
        if all(text.isdigit() for text in descriptions):  # the same in every language
            assert key not in english, name
            continue
        assert descriptions == {english.get(key)}, (name, descriptions)
    unused = {k.removeprefix("keys.") for k in english if k.startswith("keys.")} - set(described)
    assert unused == {"command_palette"}  # Textual's own, shown in every footer


async def test_ctrl_c_says_how_to_quit_in_the_language(home: Path) -> None:
    app = new_app(home, "de")
    async with app.run_test(size=SIZE) as pilot:
        await open_chat(pilot, app)
        app.action_help_quit()  # what Textual binds to Ctrl+C where nothing copies
        await pilot.pause()
        assert any("Ctrl+Q beendet companion" in n.message for n in app._notifications)
        await pilot.press("ctrl+q")

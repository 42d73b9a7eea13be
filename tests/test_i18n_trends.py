"""How I've been, the persona editor and the mode picker in other languages: Korean on
the real screen (readings, dates, the topic grid and the plots' ticks), Russian readings
from the real functions (its three plural forms), Spanish in the persona editor and the
mode dialogs. Each test returns the app to English, as the rest of the suite expects.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Button, OptionList, Static

from companion import i18n
from companion.care import modes, personas
from companion.care.boundaries import FakeClock
from companion.config import Settings
from companion.memory.trends import trends as read_trends
from companion.ui.screens.chat import ChatScreen
from companion.ui.screens.modes import ModePicker
from companion.ui.screens.persona_editor import PersonaScreen
from companion.ui.screens.trends import TrendsScreen
from companion.vault import Vault
from tests.test_trends import NOW, mood, vault  # noqa: F401 (the vault fixture)
from tests.test_tui import notice, wait_for
from tests.test_tui_memory import new_app, open_chat
from tests.test_tui_trends import SIZE, plot_text, shown, some_weeks


@pytest.fixture(autouse=True)
def _english_afterwards():
    personas.use_config_folder(None)
    yield
    i18n.use("en")
    personas.use_config_folder(None)


async def test_how_ive_been_speaks_korean(home: Path) -> None:
    app = new_app(home, some_weeks, Settings(ui_language="ko"), clock=FakeClock(NOW))
    async with app.run_test(size=SIZE) as pilot:
        await open_chat(pilot, app)
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: isinstance(app.screen, TrendsScreen))
        await pilot.pause()
        assert shown(app, "#trends-title").startswith("요즘 나는: 1, 2, 3으로 기간을 고르고")
        assert str(app.screen.query_one("#trends-range-7", Button).label) == "1  7일"
        assert shown(app, "#trends-mood-reading") == (
            "기분. 지난 30일 동안 기분이 2점에서 4점으로 올랐습니다. 2일에 걸쳐 2건의 "
            "기록입니다.")
        assert shown(app, "#trends-time-reading") == (
            "머문 시간. 지난 30일 동안 1일에 걸쳐 여기서 1시간 30분을 보냈습니다. 가장 오래 "
            "머문 날: 3월 8일(토), 1시간 30분.")
        assert shown(app, "#trends-topics-reading") == (
            "주제. 지난 30일 동안 가장 많이 나온 말: garden (2), sleep (1). 기억·요약 2개에서 "
            "셌습니다.")
        grid = shown(app, "#trends-topics").splitlines()
        assert grid[0].split() == ["주", "2월", "9일", "→", "3월", "10일"]
        assert grid[1].split() == ["garden", "·", "·", "1", "·", "1"]
        assert "3/10" in plot_text(app, "#trends-mood-plot")  # ticks in digits: see the toml
        assert "1:30" in plot_text(app, "#trends-time-plot")

        await pilot.press("1")
        await pilot.pause()
        assert shown(app, "#trends-mood-reading") == (
            "기분. 3월 10일(월) 기분은 4점이었습니다. 지난 7일 동안 기분을 기록한 날은 "
            "이날뿐이며, 기록은 1건입니다.")
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ChatScreen))


def test_russian_readings_take_the_right_plural_form(vault: Vault) -> None:  # noqa: F811
    for score, days_ago in ((2, 29), (3, 20), (3, 20), (4, 0), (1, 10)):
        mood(vault, score, days_ago)
    vault.usage.add("2025-03-08", 90 * 60)
    vault.usage.add("2025-03-09", 5 * 60)
    i18n.use("ru")
    found = read_trends(vault, NOW, 30)
    assert found.mood.reading == (
        "Ваше настроение за последние 30 дней выросло с 2 до 4 (минимум 1); "  # noqa: RUF001
        "5 записей за 4 дня.")
    assert found.time.reading == (
        "Вы бывали здесь 2 дня за последние 30 дней, всего 1 ч 35 мин; больше всего — "
        "1 ч 30 мин (сб, 8 мар.).")  # noqa: RUF001
    assert read_trends(vault, NOW, 21).mood.reading.startswith(
        "Ваше настроение за последние 21 день")
    assert read_trends(vault, NOW, 7).topics.reading == (
        "Нет воспоминаний или сводок разговоров за последние 7 дней, в которых можно было "
        "бы искать темы.")


async def test_the_persona_editor_and_the_mode_dialogs_speak_spanish(home: Path) -> None:
    app = new_app(home, settings=Settings(ui_language="es"))
    async with app.run_test(size=(110, 40)) as pilot:
        await open_chat(pilot, app)
        app.action_persona()
        await wait_for(pilot, lambda: isinstance(app.screen, PersonaScreen)
                       and app.screen.query("#persona-message"))
        await pilot.pause()
        assert shown(app, "#persona-intro").startswith("Elige una persona para verla.")
        assert shown(app, "#persona-current").startswith("Ahora habla: ")
        assert str(app.screen.query_one("#persona-save", Button).label) == "Guardar como mía"
        listed = app.screen.query_one("#persona-list", OptionList)
        assert "(incluida)" in str(listed.get_option_at_index(0).prompt)
        await pilot.press("ctrl+u")  # the one that speaks already
        await pilot.pause()
        assert shown(app, "#persona-message").endswith(" ya es la que habla.")
        listed.highlighted = app.screen.known.names().index("plain")
        await pilot.pause()
        assert "una persona incluida; «Guardar como mía»" in shown(app, "#persona-message")
        await pilot.press("ctrl+u")
        await pilot.pause()
        assert shown(app, "#persona-message").startswith("Desde el próximo inicio hablará")
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ChatScreen))

        await pilot.press("f6")
        await wait_for(pilot, lambda: isinstance(app.screen, ModePicker))
        title = str(app.screen.query_one(".dialog-title", Static).render())
        assert title == f"¿Cómo quieres que participe companion? (ahora: {modes.label('listen')})"
        app.screen.query_one(OptionList).highlighted = modes.MODES.index("journal")
        await pilot.press("enter")
        await wait_for(pilot, lambda: notice(app).startswith(
            f"Modo {modes.label('journal')}: {modes.description('journal')}."))
        await pilot.press("f7")
        await wait_for(pilot, lambda: notice(app).startswith(
            "Aquí no hay ningún ensayo en curso; con F6 eliges"))
        await pilot.press("ctrl+q")

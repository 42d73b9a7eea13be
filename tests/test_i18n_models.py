"""The Models screen, Try, Time spent and the shared widgets speak the chosen language.

Driven through the real app (Pilot, a real vault, the tiny model), so the words come
from the catalogues at the moment they are shown, not at import time.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from textual.widgets import Button, DataTable

from companion import i18n, paths
from companion.care.boundaries import FakeClock
from companion.config import Settings
from companion.domain import SamplingParams
from companion.ui.app import CompanionApp
from companion.ui.screens.chat import ChatScreen
from companion.ui.screens.compare import CompareScreen
from companion.ui.screens.models import ModelsScreen
from companion.ui.screens.usage import UsageScreen, day_label
from companion.ui.widgets.jobs import Confirm
from companion.ui.widgets.message import role_label
from companion.vault import Vault
from tests.conftest import PASSPHRASE
from tests.test_tui import type_text, wait_for
from tests.test_tui_agency import START

SIZE = (120, 40)


def text(screen, selector: str) -> str:
    return str(screen.query_one(selector).render())


async def test_the_models_screen_speaks_german(home: Path, tiny_model: Path,
                                               other_tiny_model: Path) -> None:
    settings = Settings(model=str(tiny_model), seed=5, sampling=SamplingParams(max_tokens=8),
                        ui_language="de")
    app = CompanionApp(paths.resolve(home), settings, passphrase=PASSPHRASE)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.engine_state == "ready")
            await pilot.press("ctrl+o")
            await wait_for(pilot, lambda: isinstance(app.screen, ModelsScreen))
            screen = app.screen
            table = screen.query_one(DataTable)
            headers = [str(column.label) for column in table.columns.values()]
            assert headers[:4] == ["ID", "Name", "Status", "Größe"] and "Lizenz" in headers
            assert "festgelegt, nicht geprüft" in [str(c) for c in table.get_row("tiny-test-0")]
            labels = [str(b.label) for b in screen.query("#models-actions Button")]
            assert labels[:3] == ["Installieren", "Importieren", "Prüfen"]
            assert "GB Arbeitsspeicher" in text(screen, "#models-memory")

            await pilot.press("f")  # an empty path: the hint, in German
            await pilot.press("enter")
            await wait_for(pilot, lambda: "Gib den Pfad" in text(screen, "#models-message"))
            await type_text(pilot, str(other_tiny_model))
            await pilot.press("enter")
            await wait_for(pilot, lambda: "tiny-test-1 ist importiert"
                           in text(screen, "#models-message"))
            assert "steht nicht im Verzeichnis" in text(screen, "#models-message")

            table.move_cursor(row=table.get_row_index("tiny-test-1"))
            table.focus()
            await pilot.press("d")
            await wait_for(pilot, lambda: isinstance(app.screen, Confirm))
            assert "tiny-test-1" in text(app.screen, "#confirm-question")
            assert str(app.screen.query_one("#confirm-yes", Button).label) == "Löschen"
            await pilot.click("#confirm-no")
            await wait_for(pilot, lambda: "Es wurde nichts gelöscht."
                           in text(screen, "#models-message"))

            await pilot.press("t")  # Try: the comparison's own words
            await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen))
            compare = app.screen
            assert "auf deine letzten Nachrichten" in text(compare, "#compare-title")
            assert str(compare.query_one("#compare-keep", Button).label) == \
                "Das jetzige behalten"
            await pilot.click("#compare-keep")
            await wait_for(pilot, lambda: app.screen is screen)
    finally:
        i18n.use("en")


async def test_time_spent_speaks_korean(home: Path) -> None:
    where = paths.resolve(home)
    where.ensure()
    vault = Vault.create(where.vault_db, where.vault_key, PASSPHRASE)
    try:
        vault.usage.add("2025-03-08", 90 * 60)
    finally:
        vault.close()
    app = CompanionApp(where, Settings(ui_language="ko", quiet_hours="23:00-06:00"),
                       passphrase=PASSPHRASE, clock=FakeClock(START))
    try:
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: isinstance(app.screen, ChatScreen))
            await pilot.press("ctrl+t")
            await wait_for(pilot, lambda: isinstance(app.screen, UsageScreen))
            screen = app.screen
            assert text(screen, "#usage-title") == "사용 시간"
            assert text(screen, "#usage-settings-title") == "내가 정한 한도"
            lines = [line for line in text(screen, "#usage-chart").splitlines() if line]
            assert lines[-1].startswith("3월 10일 (월)")
            assert lines[-3].startswith("3월 8일 (토)") and "█" * 40 in lines[-3]
            assert "하루 합계만 저장됩니다" in text(screen, "#usage-summary")
            settings = text(screen, "#usage-settings")
            assert "조용한 시간: 23:00-06:00" in settings and "하루 권장 한도: 꺼짐" in settings
            assert str(where.config_file) in settings and "nudge_minutes = 45" in settings
    finally:
        i18n.use("en")


def test_the_shared_widgets_and_dates_follow_the_language() -> None:
    try:
        i18n.use("ru")
        assert role_label("user") == "Вы" and role_label("assistant") == "Companion"
        assert day_label(date(2025, 3, 10)) == "пн, 10 мар"
        i18n.use("zh")
        assert day_label(date(2025, 3, 10)) == "3月10日 周一"
    finally:
        i18n.use("en")
    assert day_label(date(2025, 3, 8)) == "Sat 08 Mar"

"""The memories screen and the chat's own notices in the person's language, and the memory
table in wide scripts: Hangul (two cells a character) and Devanagari (vowel signs and
conjuncts that take no cell of their own) must keep the columns in line.

The snapshots pin the clock and the time zone, so the "when" column is the same on every
machine; the memories themselves are the person's words and are shown as written.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, Static

from companion import i18n
from companion.config import Settings
from companion.ui.screens.commitments import discard_commitment
from companion.ui.screens.memories import MemoriesScreen
from companion.ui.widgets.jobs import Confirm
from companion.vault import Vault, records
from tests.conftest import PASSPHRASE
from tests.test_tui import wait_for
from tests.test_tui_memory import new_app, open_chat, open_memories, with_records

SIZE = (100, 30)

KOREAN = [
    ("person", "여동생 지수가 있고, 일요일마다 통화한다", 3),
    ("preference", "따뜻한 보리차를 좋아함", 12),
    ("goal", "봄이 오기 전에 5km를 쉬지 않고 달리기, 천천히라도 괜찮다고 스스로에게 말해 주기", 0),
    ("feeling", "월요일 아침이면 마음이 무겁다", 1),
    ("fact", "고양이 이름은 호두", 0),
]
HINDI = [
    ("person", "बहन प्रिया हर रविवार फ़ोन करती है", 3),
    ("preference", "अदरक वाली चाय पसंद है", 12),
    ("goal", "बारिश से पहले बिना रुके 5 किलोमीटर दौड़ना, धीरे-धीरे ही सही, ख़ुद से प्यार से बात करना",
     0),
    ("feeling", "सोमवार की सुबह मन भारी रहता है", 1),
    ("fact", "बिल्ली का नाम मिश्री है", 0),
]


@pytest.fixture
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every record written at the same UTC minute, read in UTC."""
    monkeypatch.setattr(records, "now", lambda: "2025-03-14T09:30:00.000+00:00")
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def memories_in(rows: list[tuple[str, str, int]]):
    def prepare(vault: Vault) -> None:
        for kind, content, used in reversed(rows):  # the table shows the newest first
            memory = vault.memories.add(kind, content)
            for _ in range(used):
                vault.memories.mark_used([memory.id])
        vault.memories.add("event", rows[0][1], status="proposed")  # one waits for review
    return prepare


def snapshot_of(home: Path, code: str, rows: list[tuple[str, str, int]]):
    app = new_app(home, memories_in(rows), Settings(ui_language=code))

    async def to_memories(pilot) -> None:
        await open_memories(pilot, app)
        app.clear_notifications()  # the start's reminder is not this screen's to show
        await pilot.pause()

    return app, to_memories


def test_memory_table_in_korean(snap_compare, home: Path, fixed_clock: None) -> None:
    app, before = snapshot_of(home, "ko", KOREAN)
    try:
        assert snap_compare(app, terminal_size=SIZE, run_before=before)
    finally:
        i18n.use("en")


def test_memory_table_in_hindi(snap_compare, home: Path, fixed_clock: None) -> None:
    app, before = snapshot_of(home, "hi", HINDI)
    try:
        assert snap_compare(app, terminal_size=SIZE, run_before=before)
    finally:
        i18n.use("en")


def labels(table: DataTable) -> list[str]:
    return [str(column.label) for column in table.columns.values()]


async def test_the_memories_screen_speaks_korean(home: Path) -> None:
    app = new_app(home, with_records, Settings(ui_language="ko"))
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await open_memories(pilot, app)
            intro = str(screen.query_one("#memories-intro", Static).render())
            assert intro.startswith("companion이 기억하는 모든 것이")
            tabs = [str(tab.label) for tab in screen.query("ContentTab")]
            assert tabs == ["기억", "검토할 항목 (5)", "약속", "기분"]
            table = screen.query_one("#memory-table", DataTable)
            assert labels(table) == ["종류", "기억", "출처", "언제", "사용"]
            row = [cell.plain for cell in table.get_row_at(0)]
            assert row[0] == "취향" and row[1] == "likes green tea" and row[4] == "0번"

            await pilot.press("f")
            await wait_for(pilot, lambda: isinstance(app.screen, Confirm))
            question = str(app.screen.query_one("#confirm-question", Static).render())
            assert question == "이 기억을 완전히 잊을까요?\n\nlikes green tea"
            await pilot.press("escape")
            await wait_for(pilot, lambda: isinstance(app.screen, MemoriesScreen))
            assert str(screen.query_one("#memories-message", Static).render()) == \
                "아무것도 잊지 않았습니다."

            await pilot.press("2")
            review = screen.query_one("#review-table", DataTable)
            assert labels(review) == ["제안", "내용", "기한", "출처"]
            kinds = {review.get_row_at(n)[0].plain for n in range(review.row_count)}
            assert kinds == {"기억 (사람)", "기억 (사실)", "약속"}
            await pilot.press("3")
            assert screen.query_one("#commitment-text", Input).placeholder == "하려는 일"
            await pilot.press("ctrl+q")
    finally:
        i18n.use("en")


async def test_the_chat_notices_of_agency_and_why_speak_hindi(home: Path) -> None:
    app = new_app(home, settings=Settings(ui_language="hi"))
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await open_chat(pilot, app)
            await pilot.press("f4")
            notice = app.screen.query_one("#notice", Static)
            assert str(notice.render()) == "यहाँ आपका ऐसा कोई संदेश नहीं है जिसे बदला जा सके।"
            await pilot.press("f2")
            assert str(notice.render()) == "यहाँ अभी ऐसा कोई जवाब नहीं है जिसे समझाया जा सके।"
            await pilot.press("ctrl+q")
    finally:
        i18n.use("en")


def test_a_commitment_that_is_no_longer_a_proposal_is_refused_in_russian(
        tmp_path: Path) -> None:
    from companion.errors import UsageError

    vault = Vault.create(tmp_path / "v.db", tmp_path / "v.key", PASSPHRASE)
    try:
        item = vault.commitments.add("позвонить маме")
        i18n.use("ru")
        with pytest.raises(UsageError) as refused:
            discard_commitment(vault, item.id)
        assert str(refused.value) == f"План #{item.id} уже не предложение: он открыт."
    finally:
        i18n.use("en")
        vault.close()

"""Small corners in the person's language: due dates typed in it, theme notices, the
desktop command's help and its sentences."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from companion import i18n
from companion.errors import UsageError
from companion.memory.entries import parse_due
from companion.ui.themes import load_themes
from tests.conftest import run_cli

DAY = date(2026, 3, 9)


@pytest.fixture
def speak():
    def use(code: str) -> None:
        i18n.use(code)

    yield use
    i18n.use("en")


@pytest.mark.parametrize(("code", "today", "tomorrow"), [
    ("es", "hoy", "Mañana"), ("ko", "오늘", "내일"), ("ru", "сегодня", "завтра"),
    ("de", "heute", "morgen")])
def test_a_due_date_in_the_person_s_words(speak, code, today, tomorrow) -> None:
    speak(code)
    assert parse_due(today, DAY) == "2026-03-09"
    assert parse_due(tomorrow, DAY) == "2026-03-10"
    assert parse_due("tomorrow", DAY) == "2026-03-10"  # English is always understood
    with pytest.raises(UsageError) as caught:
        parse_due("someday", DAY)
    assert today in str(caught.value)  # the error names the words it understands


def test_the_english_words_alone_in_english(speak) -> None:
    speak("en")
    with pytest.raises(UsageError):
        parse_due("mañana", DAY)


def test_a_broken_theme_file_is_said_in_the_language(speak, tmp_path: Path) -> None:
    (tmp_path / "broken.toml").write_text("this is not toml [", encoding="utf-8")
    speak("fr")
    problems = load_themes(tmp_path).problems
    assert len(problems) == 1 and problems[0].startswith("Le fichier de thème")


def test_the_desktop_command_s_help_in_korean(monkeypatch, home: Path) -> None:
    monkeypatch.setenv("COMPANION_UI_LANGUAGE", "ko")
    result = run_cli("--home", home, "desktop", "--help")
    assert result.code == 0, result.err
    assert "일회용 토큰" in result.out and "URL만 출력합니다" in result.out
    bad = run_cli("--home", home, "desktop", "--port", "99999")
    assert bad.code == 2 and "포트는 0에서 65535 사이입니다" in bad.err


def test_the_reminder_speaks_the_app_s_language_when_no_reply_language_is_set(
        speak, tmp_path: Path) -> None:
    from companion.care import ai_reminder
    from companion.config import Settings
    from companion.vault import Vault
    from tests.conftest import PASSPHRASE

    vault = Vault.create(tmp_path / "v.db", tmp_path / "v.key", PASSPHRASE)
    try:
        speak("ko")
        assert ai_reminder.text(ai_reminder.language(Settings(), vault)).startswith("부드럽게")
        chosen = Settings(language="es")  # a reply language named by the person still wins
        assert ai_reminder.language(chosen, vault) == "es"
    finally:
        vault.close()

"""The "program, not a person" reminder with a fake clock: at a start, every three hours
of continued use, never beside a crisis, in the person's language."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta, timezone

from companion.care import ai_reminder
from companion.care.ai_reminder import INTERVAL, SESSION_GAP, Seen, due
from companion.care.boundaries import FakeClock
from companion.config import Settings

ZONE = timezone(timedelta(hours=9))
START = datetime(2026, 3, 10, 10, 0, tzinfo=ZONE)


class _State:
    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def get(self, key: str) -> str | None:
        return self.values.get(key)

    def set(self, key: str, value: str) -> None:
        self.values[key] = value


class _Vault:
    """Just what the reminder touches: a lock and the state table."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.state = _State()


def _use(vault: _Vault, clock: FakeClock, minutes: int, settings: Settings,
         every: int = 5) -> list[datetime]:
    """Continued use for `minutes`, seen every `every` minutes; when it was shown."""
    shown = []
    for _ in range(minutes // every):
        clock.advance(minutes=every)
        if ai_reminder.check(vault, settings, clock.now(), crisis=False):
            shown.append(clock.now())
    return shown


def test_due_at_the_start_and_after_three_hours() -> None:
    assert due(START, None, crisis=False)
    seen = Seen(shown=START, last=START + timedelta(hours=2, minutes=59))
    assert not due(START + timedelta(hours=2, minutes=59), seen, crisis=False)
    seen = Seen(shown=START, last=START + timedelta(hours=2, minutes=59))
    assert due(START + INTERVAL, seen, crisis=False)


def test_a_break_makes_a_new_start() -> None:
    seen = Seen(shown=START, last=START + timedelta(minutes=10))
    assert not due(START + timedelta(minutes=39), seen, crisis=False)
    assert due(START + timedelta(minutes=10) + SESSION_GAP, seen, crisis=False)


def test_never_during_a_crisis_and_shown_at_the_next_calm_moment() -> None:
    vault, settings = _Vault(), Settings()
    assert ai_reminder.check(vault, settings, START, crisis=True) is None
    later = START + timedelta(minutes=2)
    assert ai_reminder.check(vault, settings, later, crisis=True) is None
    assert ai_reminder.check(vault, settings, later + timedelta(minutes=1), crisis=False)


def test_the_crisis_question_is_asked_only_when_due() -> None:
    vault, settings = _Vault(), Settings()
    asked: list[int] = []

    def crisis() -> bool:
        asked.append(1)
        return False

    assert ai_reminder.check(vault, settings, START, crisis=crisis)
    assert ai_reminder.check(vault, settings, START + timedelta(minutes=1), crisis=crisis) is None
    assert len(asked) == 1


def test_once_per_three_hours_of_continued_use() -> None:
    vault, settings, clock = _Vault(), Settings(), FakeClock(START)
    assert ai_reminder.check(vault, settings, clock.now(), crisis=False)
    shown = _use(vault, clock, 7 * 60, settings)
    assert shown == [START + timedelta(hours=3), START + timedelta(hours=6)]


def test_a_break_brings_it_back_at_the_return() -> None:
    vault, settings, clock = _Vault(), Settings(), FakeClock(START)
    ai_reminder.check(vault, settings, clock.now(), crisis=False)
    assert _use(vault, clock, 60, settings) == []
    clock.advance(minutes=45)
    assert ai_reminder.check(vault, settings, clock.now(), crisis=False)


def test_a_clock_that_goes_back_shows_it_again() -> None:
    vault, settings = _Vault(), Settings()
    ai_reminder.check(vault, settings, START, crisis=False)
    assert ai_reminder.check(vault, settings, START - timedelta(minutes=1), crisis=False)


def test_an_unreadable_record_counts_as_never_shown() -> None:
    vault = _Vault()
    vault.state.set(ai_reminder.STATE_KEY, "{not json")
    assert ai_reminder.check(vault, Settings(), START, crisis=False)


def test_in_the_persons_language() -> None:
    required = {"en", "es", "pt", "fr", "de", "hi", "ko", "zh", "ru"}
    assert required <= set(ai_reminder.texts())
    for code, text in ai_reminder.texts().items():
        assert text.strip() and "\n" not in text, code
    assert ai_reminder.text("pt-BR") == ai_reminder.texts()["pt"]
    assert ai_reminder.text("xx") == ai_reminder.texts()["en"]
    said = ai_reminder.check(_Vault(), Settings(language="es"), START, crisis=False)
    assert said == ai_reminder.texts()["es"]


def test_profile_language_when_config_has_none() -> None:
    vault = _Vault()
    vault.state.set("profile", '{"language": "ko"}')
    said = ai_reminder.check(vault, Settings(), START, crisis=False)
    assert said == ai_reminder.texts()["ko"]


def test_say_shows_it_at_the_start_and_reports_it_in_json(home, passphrase_file,
                                                          tiny_model) -> None:
    from tests.conftest import run_cli

    base = ("--home", home, "--passphrase-file", passphrase_file, "--model", tiny_model,
            "--seed", "2", "say")
    first = run_cli(*base, "hello", "--json")
    assert first.code == 0, first.err
    shown = json.loads(first.out).get("reminder")
    assert shown and "program" in shown.lower()  # the first use is a start
    again = run_cli(*base, "and again")
    assert again.code == 0 and "program" not in again.err.lower()  # not every message
    crisis_home = home.parent / "crisis-home"
    crisis = run_cli("--home", crisis_home, "--passphrase-file", passphrase_file, "--model",
                     tiny_model, "--seed", "2", "say", "I want to kill myself tonight",
                     "--json")
    assert crisis.code == 0, crisis.err
    assert "reminder" not in json.loads(crisis.out)  # never beside a crisis reply

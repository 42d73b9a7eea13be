"""Boundaries with a fake clock and a real vault: time spent, nudges, the daily limit and
its pause, quiet hours; all of it off until the person sets it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time, timedelta, timezone
from pathlib import Path

import pytest

from companion.care.boundaries import (
    LIMIT_KEY,
    Boundaries,
    FakeClock,
    duration,
    in_window,
    parse_quiet_hours,
)
from companion.config import Settings
from companion.vault import Vault
from tests.conftest import PASSPHRASE

ZONE = timezone(timedelta(hours=-3))  # not UTC, so local days are really local
START = datetime(2025, 3, 10, 10, 0, tzinfo=ZONE)


@pytest.fixture
def vault(tmp_path: Path) -> Iterator[Vault]:
    opened = Vault.create(tmp_path / "vault.db", tmp_path / "vault.key", PASSPHRASE)
    yield opened
    opened.close()


def active(boundaries: Boundaries, clock: FakeClock, minutes: float,
           step: float = 3) -> list[str]:
    """The person is here for `minutes`, doing something every `step` minutes."""
    said = []
    done = 0.0
    while done < minutes:
        move = min(step, minutes - done)
        clock.advance(minutes=move)
        done += move
        boundaries.activity()
        notice = boundaries.tick()
        if notice:
            said.append(notice)
    return said


def test_usage_counts_active_time_per_day_with_an_idle_cap(vault: Vault) -> None:
    clock = FakeClock(START)
    boundaries = Boundaries(Settings(), vault, clock)
    active(boundaries, clock, 20)
    assert vault.usage.day("2025-03-10") == pytest.approx(20 * 60)
    # the window stays open all night: only the idle cap after the last key counts
    clock.advance(hours=9)
    boundaries.tick()
    assert vault.usage.day("2025-03-10") == pytest.approx(25 * 60)
    assert boundaries.session_seconds == pytest.approx(25 * 60)
    # coming back after being away counts from then on, not the gap
    boundaries.activity()
    clock.advance(minutes=2)
    boundaries.tick()
    assert vault.usage.day("2025-03-10") == pytest.approx(27 * 60)


def test_usage_is_split_at_local_midnight(vault: Vault) -> None:
    clock = FakeClock(datetime(2025, 3, 10, 23, 50, tzinfo=ZONE))
    boundaries = Boundaries(Settings(), vault, clock)
    active(boundaries, clock, 16, step=2)
    assert vault.usage.day("2025-03-10") == pytest.approx(10 * 60)
    assert vault.usage.day("2025-03-11") == pytest.approx(6 * 60)
    history = boundaries.history()
    assert len(history) == 28
    assert history[-1][0].isoformat() == "2025-03-11"
    assert history[-2][1] == pytest.approx(600)
    assert sum(seconds for _day, seconds in history[:-2]) == 0


def test_a_clock_that_goes_back_counts_nothing(vault: Vault) -> None:
    clock = FakeClock(START)
    boundaries = Boundaries(Settings(), vault, clock)
    clock.advance(minutes=-30)
    boundaries.activity()
    boundaries.tick()
    assert vault.usage.day("2025-03-10") == 0
    clock.advance(minutes=31)
    boundaries.tick()
    assert vault.usage.day("2025-03-10") == pytest.approx(60)


def test_a_nudge_once_per_threshold(vault: Vault) -> None:
    clock = FakeClock(START)
    boundaries = Boundaries(Settings(nudge_minutes=45), vault, clock)
    assert active(boundaries, clock, 44) == []
    said = active(boundaries, clock, 40)
    assert said == ["We've talked for 45 minutes — a break, or a message to someone you "
                    "trust?"]
    assert not boundaries.before_reply().notice  # never repeated every turn
    said = active(boundaries, clock, 10)
    assert len(said) == 1 and "1 hour 30 minutes" in said[0]


def test_everything_is_off_by_default(vault: Vault) -> None:
    clock = FakeClock(datetime(2025, 3, 10, 23, 30, tzinfo=ZONE))
    boundaries = Boundaries(Settings(), vault, clock)
    assert active(boundaries, clock, 8 * 60) == []
    decision = boundaries.before_reply()
    assert not decision.hold and decision.notice is None
    assert vault.state.get(LIMIT_KEY) is None


def test_the_daily_limit_holds_replies_for_a_cool_down_once_a_day(vault: Vault) -> None:
    clock = FakeClock(START)
    settings = Settings(daily_limit_minutes=30, cooldown_minutes=10)
    boundaries = Boundaries(settings, vault, clock)
    assert active(boundaries, clock, 27) == []
    assert not boundaries.before_reply().hold
    said = active(boundaries, clock, 6)
    assert len(said) == 1 and "the limit you set" in said[0] and "10 minutes" in said[0]
    decision = boundaries.before_reply()
    assert decision.hold and "Your message is saved" in (decision.notice or "")
    assert decision.until == START + timedelta(minutes=40)  # it spoke at 30 minutes
    # a crisis is never held, and is not told to take a break
    crisis = boundaries.before_reply(crisis=True)
    assert not crisis.hold and crisis.notice is None
    # a restart does not end the pause, nor repeat the suggestion
    again = Boundaries(settings, vault, clock)
    assert again.before_reply().hold
    clock.advance(minutes=11)
    assert not boundaries.before_reply().hold
    assert active(boundaries, clock, 60) == []  # said once today is enough
    # the next day it may speak again
    clock.set(START + timedelta(days=1))
    boundaries.activity()
    assert active(boundaries, clock, 29) == []
    said = active(boundaries, clock, 3)
    assert len(said) == 1
    assert boundaries.before_reply().hold


def test_continue_anyway_ends_the_pause(vault: Vault) -> None:
    clock = FakeClock(START)
    boundaries = Boundaries(Settings(daily_limit_minutes=5, cooldown_minutes=30), vault, clock)
    active(boundaries, clock, 6)
    assert boundaries.before_reply().hold
    boundaries.continue_anyway()
    assert not boundaries.before_reply().hold
    assert boundaries.held_until() is None


def test_turning_the_limit_off_ends_a_pause(vault: Vault) -> None:
    clock = FakeClock(START)
    active(Boundaries(Settings(daily_limit_minutes=5), vault, clock), clock, 6)
    assert Boundaries(Settings(daily_limit_minutes=5), vault, clock).before_reply().hold
    assert not Boundaries(Settings(), vault, clock).before_reply().hold


def test_a_zero_cool_down_only_suggests(vault: Vault) -> None:
    clock = FakeClock(START)
    boundaries = Boundaries(Settings(daily_limit_minutes=5, cooldown_minutes=0), vault, clock)
    said = active(boundaries, clock, 6)
    assert len(said) == 1 and "wait" not in said[0]
    assert not boundaries.before_reply().hold


def test_quiet_hours_across_midnight(vault: Vault) -> None:
    clock = FakeClock(datetime(2025, 3, 10, 22, 50, tzinfo=ZONE))
    boundaries = Boundaries(Settings(quiet_hours="23:00-06:00"), vault, clock)
    assert boundaries.before_reply().notice is None
    clock.set(datetime(2025, 3, 10, 23, 5, tzinfo=ZONE))
    decision = boundaries.before_reply()
    assert not decision.hold  # a suggestion, never a lock
    assert "quiet hours you set (23:00-06:00)" in (decision.notice or "")
    clock.set(datetime(2025, 3, 11, 2, 0, tzinfo=ZONE))  # the same night, after midnight
    assert boundaries.before_reply().notice is None
    clock.set(datetime(2025, 3, 11, 6, 0, tzinfo=ZONE))
    assert boundaries.before_reply().notice is None
    clock.set(datetime(2025, 3, 12, 0, 30, tzinfo=ZONE))  # the next night, after midnight
    assert "00:30" in (boundaries.before_reply().notice or "")
    clock.set(datetime(2025, 3, 12, 23, 30, tzinfo=ZONE))
    assert boundaries.before_reply().notice


def test_quiet_hours_are_not_told_to_an_empty_room(vault: Vault) -> None:
    clock = FakeClock(datetime(2025, 3, 10, 20, 0, tzinfo=ZONE))
    boundaries = Boundaries(Settings(quiet_hours="23:00-06:00"), vault, clock)
    clock.set(datetime(2025, 3, 10, 23, 30, tzinfo=ZONE))
    assert boundaries.tick() is None  # nobody has been here for hours
    boundaries.activity()
    assert "quiet hours" in (boundaries.tick() or "")


def test_quiet_hours_parsing() -> None:
    assert parse_quiet_hours("") is None
    assert parse_quiet_hours(" 23:00-06:00 ") == (time(23), time(6))
    assert parse_quiet_hours("13:30 - 14:00") == (time(13, 30), time(14))
    assert parse_quiet_hours("06:00-06:00") is None
    for bad in ("23-6", "late", "25:00-06:00", "23:00-06:00-07:00"):
        with pytest.raises(ValueError, match="23:00-06:00"):
            parse_quiet_hours(bad)
    night = (time(23), time(6))
    assert in_window(time(23), night) and in_window(time(0), night)
    assert in_window(time(5, 59), night) and not in_window(time(6), night)
    assert not in_window(time(12), night) and not in_window(time(22, 59), night)
    day = (time(13), time(14))
    assert in_window(time(13, 30), day) and not in_window(time(14, 30), day)


def test_a_bad_quiet_hours_setting_is_reported_and_off(vault: Vault) -> None:
    clock = FakeClock(datetime(2025, 3, 10, 23, 30, tzinfo=ZONE))
    boundaries = Boundaries(Settings(quiet_hours="late"), vault, clock)
    assert boundaries.problems and "quiet_hours" in boundaries.problems[0]
    assert boundaries.before_reply().notice is None


def test_durations_read_as_a_person_says_them() -> None:
    assert duration(0) == "0 minutes"
    assert duration(60) == "1 minute"
    assert duration(45 * 60) == "45 minutes"
    assert duration(3600) == "1 hour"
    assert duration(5400) == "1 hour 30 minutes"
    assert duration(7260) == "2 hours 1 minute"


def test_say_respects_the_daily_limit_softly(tmp_path: Path, passphrase_file: Path,
                                             tiny_model: Path) -> None:
    import json

    from companion import paths as where_
    from tests.conftest import run_cli

    home = tmp_path / "home"
    base = ["--home", home, "--passphrase-file", passphrase_file]
    assert run_cli(*base, "--model", tiny_model, "say", "hello").code == 0
    (home / "config" / "config.toml").write_text(
        "daily_limit_minutes = 1\ncooldown_minutes = 60\n", encoding="utf-8")
    where = where_.resolve(home)
    vault = Vault.unlock(where.vault_db, where.vault_key, PASSPHRASE)
    vault.usage.add(datetime.now().astimezone().date().isoformat(), 120)
    vault.close()

    held = run_cli(*base, "say", "one more thing", "--json")
    assert held.code == 0, held.err
    data = json.loads(held.out)
    assert data["held"] is True and data["reply"] is None and data["notice"]
    history = json.loads(run_cli(*base, "history", "--conversation", "1", "--json").out)
    assert history["messages"][-1]["content"] == "one more thing"  # kept, not answered

    crisis = run_cli(*base, "say", "I want to kill myself", "--json")
    assert json.loads(crisis.out)["reply"]  # never held

    going_on = run_cli(*base, "say", "--continue-anyway", "please answer", "--json")
    assert json.loads(going_on.out)["reply"]

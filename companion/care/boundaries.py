"""Boundaries the person sets: time spent, gentle nudges, a soft daily limit, quiet hours.

"Having an infinite interaction with the machine is not the healthiest thing." The
person decides where the edges are (config.toml: `nudge_minutes`, `daily_limit_minutes`,
`cooldown_minutes`, `quiet_hours`); every one of them is off until they set it. What
the companion does at an edge is suggest, once, in plain words, and at most hold a
reply for a short cool-down that the person can end at any moment. No streaks, no
scores, no guilt, and never in the way of someone in crisis: `before_reply(...,
crisis=True)` always lets the reply through.

Time is counted as active use: the time between ticks, but never more than
`IDLE_CAP` after the last thing the person did, so a window left open overnight is not
counted. It is stored per local day (`vault.usage`), nothing finer. A "session" is one
run of the app. Time comes from an injected `Clock`, so tests can move it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Protocol

from companion.config import Settings
from companion.i18n import t

if TYPE_CHECKING:
    from companion.vault import Vault

IDLE_CAP = timedelta(minutes=5)
"""After this long without any key, click or reply, time stops counting."""

LIMIT_KEY = "boundaries_daily_limit"
"""vault.state: the day the daily limit last spoke and the cool-down it started, so a
restart neither repeats the suggestion nor ends the pause early."""

HISTORY_DAYS = 28


class Clock(Protocol):
    """Where the time comes from: the local wall clock, aware of its time zone."""

    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now().astimezone()


class FakeClock:
    """A clock that moves only when told to, for tests."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        self._now = when

    def advance(self, *, hours: float = 0, minutes: float = 0, seconds: float = 0) -> datetime:
        self._now += timedelta(hours=hours, minutes=minutes, seconds=seconds)
        return self._now


@dataclass(frozen=True)
class Decision:
    """What to do before a reply: `hold` it (the message stays saved) and/or say `notice`."""

    hold: bool = False
    notice: str | None = None
    until: datetime | None = None
    """When a held reply is let through on its own."""


def parse_quiet_hours(spec: str) -> tuple[time, time] | None:
    """"23:00-06:00" → (23:00, 06:00); empty → None (off). A window may cross midnight."""
    spec = spec.strip()
    if not spec:
        return None
    try:
        first, second = (part.strip() for part in spec.split("-"))
        start, end = time.fromisoformat(first), time.fromisoformat(second)
    except ValueError:
        raise ValueError(t("care_errors.quiet_hours", spec=repr(spec))) from None
    return None if start == end else (start, end)


def in_window(moment: time, window: tuple[time, time]) -> bool:
    start, end = window
    if start < end:
        return start <= moment < end
    return moment >= start or moment < end  # across midnight


def duration(seconds: float) -> str:
    """45 minutes, 1 hour, 1 hour 30 minutes: how a person says it, in their language
    (a language whose plurals need more than one and other words them without one)."""
    minutes = round(seconds / 60)
    hours, rest = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(t("care.hour" if hours == 1 else "care.hours", n=hours))
    if rest or not hours:
        parts.append(t("care.minute" if rest == 1 else "care.minutes", n=rest))
    return " ".join(parts)


class Boundaries:
    """One app run's time and the edges the person set. Not thread-safe: call it from
    one thread (the UI's); the vault calls take the vault's lock."""

    def __init__(self, settings: Settings, vault: Vault, clock: Clock | None = None, *,
                 idle_cap: timedelta = IDLE_CAP) -> None:
        self.settings = settings
        self.vault = vault
        self.clock = clock or SystemClock()
        self.idle_cap = idle_cap
        now = self.clock.now()
        self.started = now
        self.session_seconds = 0.0
        self._last_tick = now
        self._last_activity = now
        self._nudged = 0
        self._quiet_noticed: date | None = None
        self.problems: list[str] = []
        try:
            self.quiet = parse_quiet_hours(settings.quiet_hours)
        except ValueError as exc:
            self.quiet = None
            self.problems.append(str(exc))

    # time spent -----------------------------------------------------------------------

    def activity(self, now: datetime | None = None) -> None:
        """The person did something (a key, a click, a message). Cheap: called per key."""
        now = now or self.clock.now()
        if now > self._last_activity + self.idle_cap:
            self._account(now)  # close the idle stretch before it counts as active
        self._last_activity = max(self._last_activity, now)

    def active(self, now: datetime | None = None) -> bool:
        """Whether the person did something within the idle cap (someone is there)."""
        return (now or self.clock.now()) <= self._last_activity + self.idle_cap

    def _account(self, now: datetime) -> None:
        start, self._last_tick = self._last_tick, max(self._last_tick, now)
        end = min(now, self._last_activity + self.idle_cap)
        if end <= start:  # idle, or the clock went back
            return
        per_day: list[tuple[str, float]] = []
        cursor = start
        while cursor < end:
            midnight = datetime.combine(cursor.date() + timedelta(days=1), time(0),
                                        tzinfo=cursor.tzinfo)
            stop = min(end, midnight)
            per_day.append((cursor.date().isoformat(), (stop - cursor).total_seconds()))
            cursor = stop
        self.session_seconds += sum(seconds for _day, seconds in per_day)
        with self.vault.lock:
            for day, seconds in per_day:
                self.vault.usage.add(day, seconds)

    def flush(self, now: datetime | None = None) -> None:
        """Count the time up to now without saying anything (before quitting)."""
        self._account(now or self.clock.now())

    def today_seconds(self, now: datetime | None = None) -> float:
        now = now or self.clock.now()
        with self.vault.lock:
            return self.vault.usage.day(now.date().isoformat())

    def history(self, now: datetime | None = None,
                days: int = HISTORY_DAYS) -> list[tuple[date, float]]:
        """Seconds per local day for the last `days` days, oldest first, today last."""
        today = (now or self.clock.now()).date()
        first = today - timedelta(days=days - 1)
        with self.vault.lock:
            stored = self.vault.usage.since(first.isoformat())
        return [(day, stored.get(day.isoformat(), 0.0))
                for day in (first + timedelta(days=n) for n in range(days))]

    # the edges ------------------------------------------------------------------------

    def tick(self, now: datetime | None = None) -> str | None:
        """Count the time since the last tick; say what is due (each thing once)."""
        now = now or self.clock.now()
        self._account(now)
        notices = [self._limit_notice(now), self._nudge_notice()]
        if now <= self._last_activity + self.idle_cap:  # no one to tell otherwise
            notices.append(self._quiet_notice(now))
        return " ".join(n for n in notices if n) or None

    def before_reply(self, now: datetime | None = None, *, crisis: bool = False) -> Decision:
        """Called after the person's message is saved and before the model answers it.

        With `crisis`, the reply always goes through and nothing else is said: a
        suggestion to take a break is the last thing someone in crisis should read.
        """
        now = now or self.clock.now()
        self.activity(now)
        if crisis:
            self._account(now)
            return Decision()
        notice = self.tick(now)
        until = self.held_until(now)
        if until is not None:
            return Decision(True, notice or self.hold_sentence(until), until)
        return Decision(False, notice)

    def held_until(self, now: datetime | None = None) -> datetime | None:
        """The end of the cool-down in force, or None when replies may come."""
        now = now or self.clock.now()
        if float(self.settings.daily_limit_minutes) <= 0:
            return None  # turned off: a pause from before ends with it
        state = self._limit_state()
        if not state or state.get("released"):
            return None
        until = datetime.fromisoformat(str(state["until"]))
        return until if now < until else None

    def continue_anyway(self, now: datetime | None = None) -> None:
        """The person chose to go on: the cool-down ends now (for today)."""
        state = self._limit_state()
        if state:
            state["released"] = True
            self._save_limit_state(state)

    def hold_sentence(self, until: datetime) -> str:
        return t("care.hold", until=f"{until:%H:%M}")

    def _limit_state(self) -> dict[str, object]:
        with self.vault.lock:
            raw = self.vault.state.get(LIMIT_KEY)
        try:
            state = json.loads(raw) if raw else {}
        except ValueError:
            return {}
        return state if isinstance(state, dict) else {}

    def _save_limit_state(self, state: dict[str, object]) -> None:
        with self.vault.lock:
            self.vault.state.set(LIMIT_KEY, json.dumps(state))

    def _limit_notice(self, now: datetime) -> str | None:
        limit = float(self.settings.daily_limit_minutes) * 60
        if limit <= 0:
            return None
        today = now.date().isoformat()
        if self._limit_state().get("day") == today:
            return None  # it spoke once today; that is enough
        spent = self.today_seconds(now)
        if spent < limit:
            return None
        cooldown = max(0.0, float(self.settings.cooldown_minutes))
        until = now + timedelta(minutes=cooldown)
        self._save_limit_state({"day": today, "until": until.isoformat(),
                                "released": cooldown == 0})
        text = t("care.limit", spent=duration(spent))
        if cooldown:
            text += " " + t("care.cooldown", wait=duration(cooldown * 60),
                            until=f"{until:%H:%M}")
        return text

    def _nudge_notice(self) -> str | None:
        step = float(self.settings.nudge_minutes) * 60
        if step <= 0:
            return None
        reached = int(self.session_seconds // step)
        if reached <= self._nudged:
            return None
        self._nudged = reached  # once per threshold, however many turns pass
        return t("care.nudge", spent=duration(reached * step))

    def _quiet_notice(self, now: datetime) -> str | None:
        if self.quiet is None or not in_window(now.time(), self.quiet):
            return None
        start, _end = self.quiet
        night = now.date() if now.time() >= start else now.date() - timedelta(days=1)
        if self._quiet_noticed == night:
            return None
        self._quiet_noticed = night
        return t("care.quiet", now=f"{now:%H:%M}", start=f"{start:%H:%M}",
                 end=f"{self.quiet[1]:%H:%M}")

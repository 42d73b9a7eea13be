"""The reminder that the companion is a program, not a person.

New York's AI companion law (from November 2025) asks for this notice at the start of an
interaction and at least every three hours of continued use; California's SB 243 (from
January 2026) asks for it where a person could take the companion for a human. Someone
leaning on the companion for comfort deserves to be reminded, gently and in their own
language, who they are talking to. It is never said in the middle of a crisis: when
the newest message fired the crisis scan, the support comes first and the reminder
waits for a later moment.

`due` is a pure function of the time, what was stored last and whether there is a
crisis, so tests move a fake clock. "Continued use" means no gap of `SESSION_GAP` or
more between two moments the person was seen; after such a gap the next moment is a
new start and the reminder is due again. The two times live in the vault (state key
`ai_reminder`), so the TUI and `companion say` share one rhythm.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from companion import i18n
from companion.care.persona import language_code
from companion.care.profile import choices, read_profile
from companion.config import Settings

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on 3.10
    import tomli as tomllib

INTERVAL = timedelta(hours=3)
"""New York's rule: at least every three hours of continued use."""

SESSION_GAP = timedelta(minutes=30)
"""A break this long ends "continued use"; coming back is a new start."""

STATE_KEY = "ai_reminder"

REMINDER_FILE = Path(__file__).resolve().parent.parent / "data" / "crisis" / "reminder.toml"


@cache
def texts() -> dict[str, str]:
    """Language code → the reminder (read once, beside the crisis notes)."""
    raw = tomllib.loads(REMINDER_FILE.read_text(encoding="utf-8"))
    return {str(code): str(line) for code, line in raw["reminders"].items()}


@dataclass(frozen=True)
class Seen:
    """The two moments the rhythm needs."""

    shown: datetime
    """When the reminder was last shown."""
    last: datetime
    """The last moment the person was seen using the companion."""


def due(now: datetime, seen: Seen | None, *, crisis: bool) -> bool:
    """Whether the reminder should be shown now. Never during a crisis; otherwise at a
    start (nothing stored, or a break of `SESSION_GAP`) and after `INTERVAL` of
    continued use. A clock that went back counts as a start: showing it once too often
    is better than skipping it."""
    if crisis:
        return False
    if seen is None or now - seen.last >= SESSION_GAP or now < seen.shown:
        return True
    return now - seen.shown >= INTERVAL


def after(now: datetime, seen: Seen | None, *, shown: bool) -> Seen:
    """The stored moments once the person was seen at `now` (and shown it, or not)."""
    if shown:
        return Seen(shown=now, last=now)
    if seen is None:  # held back by a crisis at the start: due at the next calm moment
        return Seen(shown=now - INTERVAL, last=now)
    return Seen(shown=seen.shown, last=now)


def text(language: str) -> str:
    """The reminder in `language` ("pt-BR" → Portuguese), English when it is not here."""
    known = texts()
    return known.get(language_code(language), known["en"])


def language(settings: Settings, vault: Any) -> str:
    """The person's chosen reply language (config.toml, else the vault profile), else the
    language the app speaks to them in: someone reading a Korean screen who never named a
    reply language is reminded in Korean, not English."""
    return choices(settings, read_profile(vault)).language or i18n.current()


def _load(raw: str | None) -> Seen | None:
    try:
        data = json.loads(raw or "")
        return Seen(datetime.fromisoformat(data["shown"]), datetime.fromisoformat(data["last"]))
    except (ValueError, KeyError, TypeError):
        return None  # unreadable counts as never shown: the reminder is due


def check(vault: Any, settings: Settings, now: datetime, *,
          crisis: bool | Callable[[], bool]) -> str | None:
    """Record that the person was seen at `now`; the reminder's text when it is due.

    `crisis` may be a function, asked only when the reminder would be due, so a caller
    that runs every few seconds scans the newest message only then. `vault` needs
    `lock` and `state` (`get`/`set`); `now` should be aware.
    """
    with vault.lock:
        seen = _load(vault.state.get(STATE_KEY))
        show = due(now, seen, crisis=False)
        if show and (crisis() if callable(crisis) else crisis):
            show = False
        new = after(now, seen, shown=show)
        vault.state.set(STATE_KEY, json.dumps({"shown": new.shown.isoformat(),
                                               "last": new.last.isoformat()}))
    return text(language(settings, vault)) if show else None

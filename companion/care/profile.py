"""What the person told the companion about themselves, kept in the vault.

Onboarding (and the persona editor) store the person's choices as one JSON value under
the vault state key "profile": name, language, country, style and persona. Nothing of
it leaves the encrypted vault.

Which choice wins, for each of language, country, style and persona:

1. config.toml, when it sets the value (non-empty; for `persona_name`, anything but
   the default "companion") — a file the person edited on purpose;
2. the vault profile (onboarding, the persona editor);
3. for the reply language only, the persona's own `language`;
4. otherwise nothing: the companion answers in the language the person writes in, and
   the default persona speaks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from companion import i18n
from companion.config import Settings

PROFILE_KEY = "profile"
ONBOARDING_KEY = "onboarding"
"""Set to "done" or "skipped" once onboarding was shown; it is not shown again."""
FIELDS = ("name", "language", "country", "style", "persona", "ui_language")
MAX_NAME = 60
MAX_COUNTRY = 60
MAX_STYLE = 200
DEFAULT_PERSONA_NAME = "companion"


def clean(profile: dict[str, Any]) -> dict[str, str]:
    """Only the known fields, as single-line text within their limits; empties dropped."""
    limits = {"name": MAX_NAME, "country": MAX_COUNTRY, "style": MAX_STYLE,
              "language": 12, "persona": 40, "ui_language": 12}
    tidy: dict[str, str] = {}
    for key in FIELDS:
        value = profile.get(key)
        if not isinstance(value, str):
            continue
        value = " ".join(value.split())[: limits[key]]
        if key in ("language", "persona"):
            value = value.lower()
        if key == "country" and len(value) == 2 and value.isalpha():
            value = value.upper()  # an ISO code such as "br" → "BR"
        if value:
            tidy[key] = value
    return tidy


def read_profile(vault: Any) -> dict[str, str]:
    """The stored profile; an empty dict when there is none (or it is unreadable)."""
    with vault.lock:
        raw = vault.state.get(PROFILE_KEY)
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        return {}
    return clean(data) if isinstance(data, dict) else {}


def save_profile(vault: Any, profile: dict[str, Any], *,
                 onboarding: str | None = None) -> dict[str, str]:
    """Store the profile (cleaned); `onboarding` also records that onboarding was shown."""
    tidy = clean(profile)
    with vault.lock:
        vault.state.set(PROFILE_KEY, json.dumps(tidy, ensure_ascii=False, sort_keys=True))
        if onboarding is not None:
            vault.state.set(ONBOARDING_KEY, onboarding)
    return tidy


def needs_onboarding(vault: Any) -> bool:
    with vault.lock:
        return vault.state.get(ONBOARDING_KEY) is None


def mark_onboarding(vault: Any, how: str) -> None:
    with vault.lock:
        vault.state.set(ONBOARDING_KEY, how)


@dataclass(frozen=True)
class Choices:
    """The choices in force, after config.toml and the vault profile are weighed."""

    name: str
    language: str
    country: str
    style: str
    persona: str
    from_settings: tuple[str, ...]
    """Which of language, country, style, persona config.toml decided."""


def choices(settings: Settings, profile: dict[str, Any] | None = None) -> Choices:
    mine = clean(profile or {})
    decided: list[str] = []

    def pick(key: str, configured: str, default: str = "") -> str:
        if configured.strip() and configured.strip().lower() != default:
            decided.append(key)
            return configured.strip()
        return mine.get(key, default)

    language = pick("language", settings.language).lower()
    country = pick("country", settings.country)
    style = pick("style", settings.style)
    persona = pick("persona", settings.persona_name or "", DEFAULT_PERSONA_NAME).lower()
    return Choices(name=mine.get("name", ""), language=language, country=country,
                   style=" ".join(style.split()), persona=persona or DEFAULT_PERSONA_NAME,
                   from_settings=tuple(decided))


def ui_language(settings: Settings, vault: Any) -> str:
    """After unlock, the app's language: the setting and the environment first, then
    onboarding's choice of the app's language, else its reply language (`i18n.choose`)."""
    profile = read_profile(vault)
    return i18n.choose(settings.ui_language,
                       profile.get("ui_language") or choices(settings, profile).language)

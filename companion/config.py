"""Settings from config.toml, read once at start into frozen dataclasses.

A missing file means defaults; a broken one is reported by name and the app still
starts with defaults, because a typo in a settings file must never lock a person out.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from companion.domain import SamplingParams

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on 3.10
    import tomli as tomllib


@dataclass(frozen=True)
class Settings:
    model: str | None = None
    """Path to the GGUF model file to talk with (until a model is pinned in the vault)."""

    theme: str = "calm-dark"
    """Name of the look: a built-in theme or a TOML file in the config folder's themes/."""

    seed: int | None = None
    """Fixed sampling seed; unset means a fresh random seed per reply (always recorded)."""

    sampling: SamplingParams = field(default_factory=SamplingParams)
    """Temperature, top-p and friends; recorded with every reply as its provenance."""

    context_tokens: int = 4096
    """How many tokens of conversation the model sees at once."""

    gpu_layers: int = -1
    """Layers to offload to a GPU when llama.cpp was built with GPU support (-1: all)."""

    persona: str = ""
    """Extra words for the companion's system prompt; empty keeps the built-in one."""

    language: str = ""
    """The language you write in and want replies in (a code such as "es"); empty means
    the system's locale. Also picks the recommended model."""

    country: str = ""
    """Your country or region (ISO code such as "BR"), for the crisis lines shown to you."""

    persona_name: str = "companion"
    """Which persona speaks: a built-in one or a TOML file in the config folder's personas/."""

    style: str = ""
    """How you like replies, in your words ("short and gentle", "direct")."""

    mode: str = "listen"
    """The mode new conversations start in: listen, journal, coach, rehearse, room, exercise."""

    listen_max_tokens: int = 160
    """The reply length cap in Listen mode, so it listens more than it talks."""

    journal_acknowledge: bool = False
    """In Journal mode, one short acknowledgement instead of no reply at all."""

    crisis_model_check: bool = False
    """Ask the local model about borderline messages the word list is unsure of."""

    nudge_minutes: float = 0
    """After this many minutes in one session, a gentle suggestion to take a break (0: off)."""

    daily_limit_minutes: float = 0
    """A soft daily limit; past it the app suggests a pause and waits a moment (0: off)."""

    cooldown_minutes: float = 10
    """How long the pause after the daily limit lasts before replies resume."""

    quiet_hours: str = ""
    """Hours when the app suggests rest instead of talking, such as "23:00-06:00" (empty: off)."""

    auto_accept: bool = False
    """Keep the memories and commitments the model proposes without asking first."""

    remember_journal: bool = True
    """Whether new journal entries may be recalled in conversation (each entry can say)."""

    quiet_minutes: float = 10.0
    """After this long without a message, the conversation is summarised in the background."""

    recall_items: int = 5
    """How many memories, journal entries and summaries are put before the model per reply."""

    mirror: str | None = None
    """A base URL that replaces https://huggingface.co for model downloads (a local or
    regional mirror)."""


class SettingsProblem(Exception):
    """A config file could not be used; the message names the file and the key."""


def _sampling_from(raw: dict[str, Any], source: Path) -> SamplingParams:
    known = {f.name for f in fields(SamplingParams)}
    unknown = set(raw) - known
    if unknown:
        raise SettingsProblem(f"{source}: unknown key in [sampling]: {sorted(unknown)[0]}")
    try:
        return replace(SamplingParams(), **{k: type(getattr(SamplingParams(), k))(v)
                                            for k, v in raw.items()})
    except (TypeError, ValueError) as exc:
        raise SettingsProblem(f"{source}: a value in [sampling] is not a number ({exc})") from None


def load(path: Path) -> Settings:
    """Read settings; raises SettingsProblem with a sentence naming the file."""
    if not path.exists():
        return Settings()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SettingsProblem(f"{path} could not be read ({exc}); using default settings") from None
    sampling = _sampling_from(raw.pop("sampling", {}), path)
    known = {f.name for f in fields(Settings)} - {"sampling"}
    unknown = set(raw) - known
    if unknown:
        raise SettingsProblem(f"{path}: unknown setting {sorted(unknown)[0]!r}")
    return replace(Settings(), sampling=sampling, **raw)


def load_or_default(path: Path) -> tuple[Settings, str | None]:
    """Settings plus a warning to show, so a broken file never stops the app."""
    try:
        return load(path), None
    except SettingsProblem as exc:
        return Settings(), str(exc)

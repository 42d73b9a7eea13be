"""Settings from config.toml, read once at start into frozen dataclasses.

A missing file means defaults. An unknown key is a warning that names it, and the rest
of the file still counts; a value of the wrong type or a file that is not TOML stops the
command with one sentence naming the file, the line and the key (exit 2), rather than
silently answering with settings the person did not choose.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from companion.domain import SamplingParams
from companion.errors import UsageError
from companion.i18n import t

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

    engine: str = ""
    """Your own llama.cpp (or Ollama, or llama-cpp-python) server, such as
    "http://192.168.1.20:8080", to answer instead of a model on this computer; only this
    computer and your own network are allowed (see docs/ENGINES.md)."""

    engine_model: str = ""
    """Which of the engine's models to use, when it serves more than one (Ollama)."""

    allow_plain_lan: bool = False
    """Allow plain http:// to an engine on another machine of your network."""

    gpu_layers: int = -1
    """Layers to offload to a GPU when llama.cpp was built with GPU support (-1: all)."""

    persona: str = ""
    """Extra words for the companion's system prompt; empty keeps the built-in one."""

    language: str = ""
    """The language you write in and want replies in (a code such as "es"); empty means
    the system's locale. Also picks the recommended model."""

    ui_language: str = ""
    """The language of the app's own words ("pt-BR", "ko"); empty: the reply language,
    else $LANG, else English. `companion languages` lists them."""

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

    crisis_model_check: bool = True
    """After a reply, ask the model about borderline messages and about distress without
    crisis words; a yes shows support (it never hides it, and never delays a reply)."""

    crisis_check_seconds: float = 5.0
    """The most time that second opinion may take; past it the word list's answer stands."""

    nudge_minutes: float = 0
    """After this many minutes in one session, a gentle suggestion to take a break (0: off)."""

    daily_limit_minutes: float = 0
    """A soft daily limit; past it the app suggests a pause and waits a moment (0: off)."""

    cooldown_minutes: float = 10
    """How long the pause after the daily limit lasts before replies resume."""

    quiet_hours: str = ""
    """Hours when the app suggests rest instead of talking, such as "23:00-06:00" (empty: off)."""

    lock_minutes: float = 0
    """After this many minutes without a key or mouse event the app locks itself: the
    vault closes and the passphrase opens it again (0: off; Ctrl+L locks at any time)."""

    keys: dict[str, str] = field(default_factory=dict)
    """`[keys]`: binding ids to keys ("toggle_support = \"f10\""), Textual's keymap; an
    unknown id or a clash is one line in the app, never a crash (ui/keys.py)."""

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


class SettingsProblem(UsageError):
    """config.toml cannot be used; the sentence names the file, the line and the key."""


_TOML_AT = re.compile(r"\s*\(at line (\d+), column \d+\)$")


def _line_of(text: str, key: str, table: str = "") -> int:
    """The line where `key` is set (in `[table]` when given); 0 when it cannot be found."""
    current = ""
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("["):
            current = stripped.strip("[] ")
        elif current == table and re.match(rf"{re.escape(key)}\s*=", stripped):
            return number
    return 0


def _where(path: Path, text: str, key: str, table: str = "") -> str:
    line = _line_of(text, key, table)
    return t("config_errors.where", path=path, line=line) if line else str(path)


_TYPES = {"bool": bool, "int": int, "float": float, "str": str}


def _checked(value: Any, annotation: str) -> Any:
    """The value if it has the setting's type (a whole number counts as a number), else
    ValueError naming the type in words."""
    names = [part.strip() for part in str(annotation).split("|")]
    kind = _TYPES.get(next((n for n in names if n != "None"), "str"), str)
    if kind is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
        return value
    raise ValueError(t(f"config_errors.kind_{kind.__name__}"))  # true or false, a number…


def _values(raw: dict[str, Any], defaults: Any, path: Path, text: str, table: str,
            warnings: list[str]) -> dict[str, Any]:
    known = {f.name: f for f in fields(defaults)}
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in known or key in ("sampling", "keys"):
            name = f"[{table}] {key}" if table else key
            warnings.append(t("config_errors.unknown_setting",
                              where=_where(path, text, key, table), name=repr(name)))
            continue
        try:
            out[key] = _checked(value, str(known[key].type))
        except ValueError as exc:
            raise SettingsProblem(t("config_errors.wrong_type",
                                    where=_where(path, text, key, table), name=key, kind=exc,
                                    value=repr(value))) from None
    return out


def load_with_warnings(path: Path) -> tuple[Settings, list[str]]:
    """Settings and a warning per unknown key; SettingsProblem (exit 2) for a value of the
    wrong type or a file that is not TOML, naming the file, the line and the key."""
    if not path.exists():
        return Settings(), []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsProblem(t("config_errors.unreadable", path=path, detail=exc)) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = _TOML_AT.search(message)
        where = t("config_errors.where", path=path, line=found.group(1)) if found else str(path)
        raise SettingsProblem(t("config_errors.not_toml", where=where,
                                detail=_TOML_AT.sub("", message))) from None
    warnings: list[str] = []
    sampling_raw = raw.pop("sampling", {})
    if not isinstance(sampling_raw, dict):
        raise SettingsProblem(t("config_errors.sampling_not_table",
                                where=_where(path, text, "sampling")))
    sampling = replace(SamplingParams(), **_values(sampling_raw, SamplingParams(), path, text,
                                                   "sampling", warnings))
    keys = _keys(raw.pop("keys", {}), path, text)
    values = _values(raw, Settings(), path, text, "", warnings)
    return replace(Settings(), sampling=sampling, keys=keys, **values), warnings


def _keys(raw: Any, path: Path, text: str) -> dict[str, str]:
    """The `[keys]` table: every value a key string such as "f10" or "ctrl+k"."""
    if not isinstance(raw, dict):
        raise SettingsProblem(t("config_errors.keys_not_table", where=_where(path, text, "keys")))
    for name, value in raw.items():
        if not isinstance(value, str) or not value.strip():
            raise SettingsProblem(t("config_errors.bad_key", where=_where(path, text, name, "keys"),
                                    name=name, value=repr(value)))
    return {str(k): str(v).strip() for k, v in raw.items()}


def load(path: Path) -> Settings:
    """Read settings; raises SettingsProblem with a sentence naming the file and line."""
    return load_with_warnings(path)[0]


def load_or_default(path: Path) -> tuple[Settings, str | None]:
    """Settings plus a warning to show (unknown keys are skipped, the rest counts).

    A value of the wrong type still raises SettingsProblem (exit 2): guessing what a
    person meant by `mode = 3` could answer a journal entry meant only for the page.
    """
    settings, warnings = load_with_warnings(path)
    return settings, "; ".join(warnings) or None

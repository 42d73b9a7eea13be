"""The words the person sees, in their language: one catalogue per language, stable keys.

A leaf, so every layer (care's texts, memory's readings, the CLI, the UI) speaks through
the same catalogues. A catalogue is a folder, `companion/data/i18n/<code>/`, of small TOML
files (one per area of the app, so each stays readable); `en/` is the source and every other
folder translates it key for key, with the same `{placeholders}` (tests/test_i18n.py fails
on a missing key, an extra one, or a changed placeholder). A key missing at run time falls
back to English rather than showing an id. The language is chosen once: `ui_language` in
config.toml or `COMPANION_UI_LANGUAGE`, else the reply language from onboarding or config,
else `$LANG`, else English. Nothing here imports Textual, so the CLI can use it too.
"""

from __future__ import annotations

import os
import re
import string
import sys
from functools import cache
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on 3.10
    import tomli as tomllib

CATALOGUES = Path(__file__).resolve().parent / "data" / "i18n"
SOURCE = "en"
ALIASES = {"pt": "pt-BR", "pt-br": "pt-BR", "pt_br": "pt-BR", "zh-cn": "zh", "zh-hans": "zh"}
"""Codes people and locales write for the catalogues that exist."""

_current = [SOURCE]
_HEADER = re.compile(r"^\[([^\]\s]+)\][ \t]*$", re.MULTILINE)


@cache
def codes() -> tuple[str, ...]:
    """The languages there is a catalogue for, English first (the folder is read once)."""
    found = sorted(p.name for p in CATALOGUES.iterdir() if (p / "meta.toml").is_file())
    return (SOURCE, *[c for c in found if c != SOURCE])


@cache
def catalogue(code: str) -> dict[str, str]:
    """One language's keys ("unlock.title_new") and texts, every file of its folder together;
    [meta] included. A key written twice is an error, not a silent choice of one."""
    found: dict[str, str] = {}
    for path in sorted((CATALOGUES / code).glob("*.toml")):
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        for table, entries in raw.items():
            for key, text in entries.items():
                if f"{table}.{key}" in found:
                    raise ValueError(f"{path}: {table}.{key} is written twice in {code}")
                found[f"{table}.{key}"] = str(text)
    return found


@cache
def _tables(code: str) -> dict[str, Path]:
    """Which file of a language's folder holds each table, found by reading the headers
    only: a screen's first words parse one small file, not the whole catalogue (start-up)."""
    found: dict[str, Path] = {}
    for path in sorted((CATALOGUES / code).glob("*.toml")):
        for table in _HEADER.findall(path.read_text(encoding="utf-8")):
            if table in found:
                raise ValueError(f"{path}: [{table}] is also in {found[table].name} ({code})")
            found[table] = path
    return found


@cache
def _file(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def lookup(code: str, key: str) -> str | None:
    """One text, or None where this language has none."""
    table, _, name = key.partition(".")
    path = _tables(code).get(table) if code in codes() else None
    value = _file(path).get(table, {}).get(name) if path is not None else None
    return None if value is None else str(value)


def keys(code: str) -> set[str]:
    return {k for k in catalogue(code) if not k.startswith("meta.")}


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def complete(code: str) -> float:
    """The share of the English keys this catalogue translates (0 to 1)."""
    source = keys(SOURCE)
    return round(len(source & keys(code)) / len(source), 3) if source else 1.0


def resolve(wanted: str) -> str | None:
    """The catalogue for a code as people write it ("pt", "pt_BR.UTF-8", "de-AT")."""
    text = wanted.split(".", 1)[0].replace("_", "-").strip()
    if not text:
        return None
    known = {c.lower(): c for c in codes()}
    for candidate in (text.lower(), ALIASES.get(text.lower(), ""), text.split("-")[0].lower(),
                      ALIASES.get(text.split("-")[0].lower(), "")):
        if candidate and candidate.lower() in known:
            return known[candidate.lower()]
    return None


def choose(ui_language: str = "", reply_language: str = "") -> str:
    """The UI language: setting, environment, reply language, $LANG, English."""
    for wanted in (ui_language, os.environ.get("COMPANION_UI_LANGUAGE", ""), reply_language,
                   os.environ.get("LC_ALL", ""), os.environ.get("LANG", "")):
        found = resolve(wanted) if wanted and wanted not in ("C", "POSIX") else None
        if found is not None:
            return found
    return SOURCE


def use(code: str) -> None:
    """Speak this language from now on (the app calls it at start and after unlock)."""
    _current[0] = code if code in codes() else SOURCE


def current() -> str:
    return _current[0]


def t(key: str, /, **values: Any) -> str:
    """The text for `key` in the current language, English when it has none yet.
    Positional-only, so a placeholder may be called `key` or `code` too."""
    return t_as(_current[0], key, **values)


def t_as(language: str, key: str, /, **values: Any) -> str:
    """The text in a given language: English where words are data that must not change
    with the reader (a field of --json output)."""
    text = lookup(language, key) or lookup(SOURCE, key) or key
    return text.format(**values) if values else text


def plural_form(count: int) -> str:
    """Which of a text's `_one`, `_few` or `_many` keys a count takes in the current language
    (CLDR's rules for the nine): Russian one for 1, 21, 31…, few for 2-4, 22-24…, many for
    the rest; French and Hindi one for 0 and 1; Korean and Chinese have no plural (many);
    the others one for 1. Every catalogue writes all three forms, so parity holds."""
    code = _current[0]
    if code == "ru":
        if count % 10 == 1 and count % 100 != 11:
            return "one"
        return "few" if 2 <= count % 10 <= 4 and not 12 <= count % 100 <= 14 else "many"
    if code in ("ko", "zh"):
        return "many"
    if code in ("fr", "hi"):
        return "one" if count in (0, 1) else "many"
    return "one" if count == 1 else "many"


def name_of(code: str) -> str:
    """The language's name written in itself ("Português (Brasil)")."""
    return lookup(code, "meta.name") or code

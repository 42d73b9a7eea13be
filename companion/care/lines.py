"""Crisis lines and local emergency numbers: the shipped file and the person's own.

A wrong number in a crisis is worse than none, so every line must name the public page
that confirms it (`source`) and the date that page was checked (`verified`); a line
without them is refused, in the shipped file and in the person's own
`<config>/crisis-lines.toml` alike. Emergency numbers (police, ambulance, fire) are kept
apart from crisis lines.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from companion.i18n import t

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on 3.10
    import tomli as tomllib

LINES_FILE = Path(__file__).resolve().parent.parent / "data" / "crisis" / "lines.toml"
USER_LINES_NAME = "crisis-lines.toml"
"""The person's own crisis lines, next to config.toml."""

_LINE_KEYS = {"country", "name", "number", "text", "online", "website", "languages",
              "hours", "note", "source", "verified"}
_DATE = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?$")


@dataclass(frozen=True)
class CrisisLine:
    country: str
    name: str
    number: str
    source: str
    verified: str
    """The date `source` was checked (YYYY-MM-DD or YYYY-MM); shown with the number."""
    text: str = ""
    online: str = ""
    website: str = ""
    languages: tuple[str, ...] = ()
    hours: str = ""
    note: str = ""
    origin: str = "built in"
    """"built in" or "your file": the person should know who vouches for a number."""


@dataclass(frozen=True)
class Emergency:
    country: str
    number: str
    note: str = ""
    source: str = ""


@dataclass(frozen=True)
class Directory:
    """Crisis lines and emergency numbers, with any problems found reading them."""

    lines: tuple[CrisisLine, ...] = ()
    emergency: dict[str, Emergency] = field(default_factory=dict)
    problems: tuple[str, ...] = ()

    def for_country(self, country: str) -> tuple[CrisisLine, ...]:
        return tuple(line for line in self.lines if line.country == country.upper())


class LinesProblem(ValueError):
    """One entry of a crisis-lines file that cannot be used, said in one sentence."""


def _text(raw: dict[str, Any], key: str, where: str, required: bool = False) -> str:
    value = raw.get(key, "")
    if not isinstance(value, str):
        raise LinesProblem(f"{where}: {key} must be text")
    if required and not value.strip():
        raise LinesProblem(f"{where}: {key} is missing")
    return value.strip()


def _check_date(value: str, where: str, today: date) -> None:
    found = _DATE.match(value)
    if not found:
        raise LinesProblem(f"{where}: verified must be a date like 2025-01-31")
    year, month, day = (int(part) if part else 1 for part in found.groups())
    try:
        checked = date(year, month, day)
    except ValueError:
        raise LinesProblem(f"{where}: verified {value!r} is not a real date") from None
    if checked > today:
        raise LinesProblem(f"{where}: verified {value} is in the future")


def parse_line(raw: object, where: str, origin: str = "built in",
               today: date | None = None) -> CrisisLine:
    """One [[line]] table → CrisisLine; LinesProblem says what is wrong with it."""
    if not isinstance(raw, dict):
        raise LinesProblem(f"{where}: a line must be a table")
    unknown = sorted(set(raw) - _LINE_KEYS)
    if unknown:
        raise LinesProblem(f"{where}: unknown key {unknown[0]!r}")
    country = _text(raw, "country", where, required=True).upper()
    if not re.fullmatch(r"[A-Z]{2}", country):
        raise LinesProblem(f"{where}: country must be a two-letter code such as GB")
    name = _text(raw, "name", where, required=True)
    number, text, online = (_text(raw, k, where) for k in ("number", "text", "online"))
    if not (number or text or online):
        raise LinesProblem(f"{where}: {name} has no number, text or online way to reach it")
    source = _text(raw, "source", where)
    if not re.match(r"https?://\S+$", source):
        raise LinesProblem(f"{where}: {name} has no source (the web page that lists it); "
                           "a number without a source is never shown")
    verified = _text(raw, "verified", where, required=True)
    _check_date(verified, where, today or date.today())
    languages = raw.get("languages", [])
    if not isinstance(languages, list) or not all(isinstance(x, str) for x in languages):
        raise LinesProblem(f"{where}: languages must be a list of codes such as [\"en\"]")
    return CrisisLine(country, name, number, source, verified, text, online,
                      _text(raw, "website", where), tuple(languages),
                      _text(raw, "hours", where), _text(raw, "note", where), origin)


def _emergency(raw: object, where: str) -> list[Emergency]:
    if not isinstance(raw, dict) or not isinstance(raw.get("countries"), list):
        raise LinesProblem(f"{where}: an emergency row needs countries and a number")
    number = _text(raw, "number", where, required=True)
    note, source = _text(raw, "note", where), _text(raw, "source", where)
    return [Emergency(str(c).upper(), number, note, source) for c in raw["countries"]]


def read_directory(text: str, name: str, origin: str, today: date | None = None) -> Directory:
    """Parse one crisis-lines file. Bad entries are skipped and named in `problems`;
    a file that is not TOML at all gives one problem and no lines."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return Directory(problems=(t("care.lines_unreadable", name=name, problem=exc),))
    lines: list[CrisisLine] = []
    emergency: dict[str, Emergency] = {}
    problems: list[str] = []
    for number, entry in enumerate(raw.get("line", []), start=1):
        try:
            lines.append(parse_line(entry, f"{name}, line {number}", origin, today))
        except LinesProblem as exc:
            problems.append(t("care.line_skipped", problem=exc))
    for number, entry in enumerate(raw.get("emergency", []), start=1):
        try:
            emergency.update((e.country, e) for e in _emergency(entry, f"{name}, "
                                                                      f"emergency {number}"))
        except LinesProblem as exc:
            problems.append(str(exc))
    return Directory(tuple(lines), emergency, tuple(problems))


@cache
def builtin_directory() -> Directory:
    """The shipped file, read once on first use."""
    return read_directory(LINES_FILE.read_text(encoding="utf-8"), LINES_FILE.name, "built in")


def user_lines_file(config_dir: Path) -> Path:
    return config_dir / USER_LINES_NAME


def directory(user_file: Path | None = None) -> Directory:
    """Built-in lines plus the person's own file, theirs first (they chose them)."""
    built = builtin_directory()
    if user_file is None or not user_file.exists():
        return built
    try:
        text = user_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return Directory(built.lines, built.emergency,
                         (t("care.file_unreadable", name=user_file, problem=exc),))
    mine = read_directory(text, str(user_file), "your file")
    return Directory(mine.lines + built.lines, {**built.emergency, **mine.emergency},
                     mine.problems)

"""Personas: who the companion is, as small TOML files a person can read and reshape.

Built-in personas ship in `companion/data/personas/`; a person's own live in the config
folder's `personas/`. Each file holds one persona:

    name = "abuela"                  # how settings and the editor refer to it
    title = "Like my grandmother"    # shown in lists (optional)
    voice = "…"                      # who it is and how it sounds
    listens = "…"                    # how it listens
    avoids = "…"                     # what it stays away from (optional)
    language = "es"                  # reply language (optional; the person's choice wins)
    repertoire = ["prayer", "…"]     # ways of coping it may suggest (optional, editable)

Mistakes are reported with the file, the line and the key, the way models.toml
reports them, because the person fixing one is looking at the file in an editor. A
bad file of the person's own is reported and skipped; the app always starts.

Where the person's own personas live is known once a vault is opened (`conversation.unlock` calls
`use_config_folder`): the session, the pin and `models try` must all build the same
system text, and they all reach it through `companion.care.persona.system_prompt_for`.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from companion.errors import UsageError
from companion.i18n import t

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on 3.10
    import tomli as tomllib

DEFAULT_PERSONA = "companion"
BUILTIN = "built-in"

_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
_LANGUAGE = re.compile(r"[a-z]{2,3}")
_TOML_AT = re.compile(r"\s*\(at line (\d+), column \d+\)$")
_TEXTS = ("title", "voice", "listens", "avoids")
_KNOWN = ("name", *_TEXTS, "language", "repertoire")
_REQUIRED = ("name", "voice", "listens")
MAX_TEXT = 1200
"""Characters per text field: a persona is a few sentences, not a manual."""
MAX_ITEM = 200
MAX_ITEMS = 20


class PersonaError(UsageError):
    """A persona file the companion cannot use; the message names the file, line and key."""


@dataclass(frozen=True)
class Persona:
    name: str
    voice: str
    listens: str
    avoids: str = ""
    title: str = ""
    language: str = ""
    repertoire: tuple[str, ...] = ()
    source: str = BUILTIN
    """The file it came from, or "built-in"."""

    @property
    def builtin(self) -> bool:
        return self.source == BUILTIN

    @property
    def label(self) -> str:
        return self.title or self.name

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "voice": self.voice,
                "listens": self.listens, "avoids": self.avoids, "language": self.language,
                "repertoire": list(self.repertoire), "source": self.source}


@dataclass(frozen=True)
class PersonaLoad:
    personas: dict[str, Persona] = field(default_factory=dict)
    problems: tuple[str, ...] = ()

    def get(self, name: str) -> Persona | None:
        return self.personas.get(name.strip().lower())

    def names(self) -> list[str]:
        return list(self.personas)


# where they live ----------------------------------------------------------------------


def builtin_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "data" / "personas"


def user_dir(config: Path) -> Path:
    """The person's own personas: `<config>/personas/`."""
    return config / "personas"


_user_folder: Path | None = None


def use_config_folder(config: Path | None) -> None:
    """Say which config folder's personas/ belongs to the vault just opened.

    Set once per start by `conversation.unlock` (CLI and TUI alike); until then only the built-in
    personas are known, which is what a test that opens a vault by hand gets.
    """
    global _user_folder
    _user_folder = None if config is None else user_dir(config)


def current_user_dir() -> Path | None:
    return _user_folder


# reading -------------------------------------------------------------------------------


def _line_of(text: str, key: str) -> int | None:
    name = re.escape(key)
    pattern = re.compile(rf"""\s*({name}|"{name}"|'{name}')\s*=""")
    return next((n for n, line in enumerate(text.split("\n"), 1) if pattern.match(line)), None)


def _fail(source: str, text: str, key: str | None, problem: str) -> PersonaError:
    line = _line_of(text, key) if key else None
    where = t("care_errors.persona_where", source=source, line=line) if line else source
    return PersonaError(f"{where}: {problem}")


def _one_line(value: str) -> str:
    return " ".join(value.split())


def parse(text: str, source: str) -> Persona:
    """One persona from TOML text; raises PersonaError naming source, line and key."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        detail = str(exc)
        found = _TOML_AT.search(detail)
        if found:
            line, detail = int(found.group(1)), detail[: found.start()]
        else:
            line, detail = text.count("\n") + 1, detail.replace(" (at end of document)", "")
        raise PersonaError(t("care_errors.persona_not_toml", source=source, line=line,
                             detail=detail)) from None
    for key in raw:
        if key not in _KNOWN:
            close = difflib.get_close_matches(key, _KNOWN, n=1)
            hint = t("care_errors.persona_hint", field=repr(close[0])) if close else ""
            raise _fail(source, text, key, t("care_errors.persona_unknown_key", field=repr(key),
                                             hint=hint, known=", ".join(_KNOWN)))
    missing = [key for key in _REQUIRED if key not in raw]
    if missing:
        raise _fail(source, text, None, t("care_errors.persona_missing",
                                          fields=", ".join(repr(k) for k in missing)))
    for key in ("name", *_TEXTS, "language"):
        if key in raw and not isinstance(raw[key], str):
            raise _fail(source, text, key, t("care_errors.persona_not_text", field=repr(key)))
    for key in ("name", "voice", "listens"):
        if not raw[key].strip():
            raise _fail(source, text, key, t("care_errors.persona_empty", field=repr(key)))
    for key in _TEXTS:
        if len(raw.get(key, "")) > MAX_TEXT:
            raise _fail(source, text, key, t("care_errors.persona_too_long", field=repr(key),
                                             limit=MAX_TEXT))
    name = raw["name"].strip().lower()
    if not _NAME.fullmatch(name):
        raise _fail(source, text, "name", t("care_errors.persona_name"))
    language = raw.get("language", "").strip().lower()
    if language and not _LANGUAGE.fullmatch(language):
        raise _fail(source, text, "language", t("care_errors.persona_language",
                                                language=repr(language)))
    items = raw.get("repertoire", [])
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise _fail(source, text, "repertoire", t("care_errors.persona_repertoire"))
    repertoire = tuple(dict.fromkeys(_one_line(i) for i in items if i.strip()))
    if len(repertoire) > MAX_ITEMS:
        raise _fail(source, text, "repertoire", t("care_errors.persona_repertoire_size",
                                                  limit=MAX_ITEMS))
    long = [item for item in repertoire if len(item) > MAX_ITEM]
    if long:
        raise _fail(source, text, "repertoire", t("care_errors.persona_item_too_long",
                                                  limit=MAX_ITEM, start=repr(long[0][:30])))
    return Persona(
        name=name,
        title=_one_line(raw.get("title", "")),
        voice=raw["voice"].strip(),
        listens=raw["listens"].strip(),
        avoids=raw.get("avoids", "").strip(),
        language=language,
        repertoire=repertoire,
        source=source,
    )


def load_file(path: Path) -> Persona:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PersonaError(t("care_errors.persona_unreadable", path=path, detail=exc)) from None
    return parse(text, str(path))


def load_personas(user_folder: Path | None = None) -> PersonaLoad:
    """Built-in personas, then the person's own; bad files of theirs become problems.

    A person's file may not reuse a built-in name (copy it under a new name instead), so
    a name always means one persona, and a pin's persona hash stays explainable.
    """
    personas: dict[str, Persona] = {}
    for path in sorted(builtin_dir().glob("*.toml")):
        persona = replace(load_file(path), source=BUILTIN)  # ours: a defect is a bug, raise
        personas[persona.name] = persona
    problems: list[str] = []
    if user_folder is not None and user_folder.is_dir():
        for path in sorted(user_folder.glob("*.toml")):
            try:
                persona = load_file(path)
            except PersonaError as exc:
                problems.append(t("care.persona_skipped", problem=exc))
                continue
            taken = personas.get(persona.name)
            if taken is not None:
                line = _line_of(path.read_text(encoding="utf-8"), "name")
                problems.append(t("care.persona_builtin_name" if taken.builtin
                                  else "care.persona_taken_name", path=path, line=line,
                                  name=repr(persona.name), source=taken.source))
                continue
            personas[persona.name] = persona
    return PersonaLoad(personas, tuple(problems))


def load_current() -> PersonaLoad:
    """The personas for the vault that is open now (see `use_config_folder`)."""
    return load_personas(_user_folder)


# writing (the persona editor) ----------------------------------------------------------


def _toml_string(value: str) -> str:
    # JSON's escapes are TOML's basic-string escapes; TOML also wants DEL escaped.
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def to_toml(persona: Persona) -> str:
    lines = ["# A persona of your own for companion; edit it here or in the app (Persona).",
             f"name = {_toml_string(persona.name)}"]
    if persona.title:
        lines.append(f"title = {_toml_string(persona.title)}")
    lines += [f"voice = {_toml_string(persona.voice)}",
              f"listens = {_toml_string(persona.listens)}"]
    if persona.avoids:
        lines.append(f"avoids = {_toml_string(persona.avoids)}")
    if persona.language:
        lines.append(f"language = {_toml_string(persona.language)}")
    lines.append("repertoire = [")
    lines += [f"    {_toml_string(item)}," for item in persona.repertoire]
    lines.append("]")
    return "\n".join(lines) + "\n"


def save_user_persona(folder: Path, fields: dict[str, Any],
                      known: PersonaLoad | None = None) -> Persona:
    """Check and write a persona of the person's own to `<folder>/<name>.toml`.

    Goes through the same checks as a file read from disk, so the editor and the file
    give the same errors. A built-in name is refused; the person's own file of that name
    is replaced.
    """
    repertoire = fields.get("repertoire", [])
    if isinstance(repertoire, str):
        repertoire = [line for line in repertoire.splitlines() if line.strip()]
    draft = Persona(
        name=str(fields.get("name", "")).strip().lower(),
        title=str(fields.get("title", "")),
        voice=str(fields.get("voice", "")),
        listens=str(fields.get("listens", "")),
        avoids=str(fields.get("avoids", "")),
        language=str(fields.get("language", "")).strip().lower(),
        repertoire=tuple(str(item) for item in repertoire),
    )
    name = draft.name or "(no name)"
    path = folder / f"{name}.toml"
    text = to_toml(draft)
    persona = parse(text, str(path))  # the same checks as reading the file back
    if known is None:
        known = load_personas(folder)
    taken = known.get(persona.name)
    if taken is not None and taken.builtin:
        raise PersonaError(t("care_errors.persona_builtin_name", path=path,
                             name=repr(persona.name)))
    if taken is not None and Path(taken.source) != path:
        raise PersonaError(t("care_errors.persona_name_taken", path=path,
                             name=repr(persona.name), other=taken.source))
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f".{path.name}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(temporary, path)
    return persona


__all__ = ["BUILTIN", "DEFAULT_PERSONA", "Persona", "PersonaError", "PersonaLoad",
           "builtin_dir", "current_user_dir", "load_current", "load_file", "load_personas",
           "parse", "save_user_persona", "to_toml", "use_config_folder", "user_dir"]

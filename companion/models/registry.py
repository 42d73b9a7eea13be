"""The curated list of models the companion offers, plus a person's own additions.

A built-in entry pins one file by repository, commit and sha256, so a name always means
the same weights and a download can be checked byte for byte. The facts come from public
catalogues rather than the files, which is why whoever downloads must verify them and
fail closed. People may add entries in their config folder's models.toml but may not
redefine a built-in id: a pinned fact replaced without a word would defeat the pin.

Mistakes in these files are reported with the file, the line and the key, because the
person fixing them is looking at the file in an editor, not at a Python traceback.
"""

from __future__ import annotations

import difflib
import math
import re
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from companion.errors import UsageError
from companion.i18n import t

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on 3.10
    import tomli as tomllib

HUGGING_FACE = "https://huggingface.co"
BUILTIN = "built-in"
RAM_SHARE = 0.75
"""Share of the machine's memory a model may need; the rest is for the OS and other apps."""

_ID = re.compile(r"[a-z0-9][a-z0-9._-]*")
_HEX40 = re.compile(r"[0-9a-fA-F]{40}")
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")
_REPO = re.compile(r"[\w.-]+/[\w.-]+")
_LANGUAGE = re.compile(r"[a-z]{2,3}")
_MODEL_HEADER = re.compile(r"\s*\[\[\s*model\s*\]\]")
_ANY_HEADER = re.compile(r"""\s*\[\[?\s*[\w."' -]+\]\]?\s*(#.*)?$""")
_TOML_AT = re.compile(r"\s*\(at line (\d+), column \d+\)$")

_FACTS = ("sha256", "size", "params", "quant", "context", "ram", "languages", "licence")
_REQUIRED = ("id", "name", *_FACTS)
_LOCATION = ("repo", "revision", "file")  # optional only when `url` says where the file is
_KNOWN = (*_REQUIRED, *_LOCATION, "chat_format", "url")
_STRINGS = tuple(key for key in _KNOWN if key not in ("size", "context", "ram", "languages"))


class RegistryError(UsageError):
    """A models.toml the companion cannot trust; the message points at the offending line."""


@dataclass(frozen=True)
class RegistryEntry:
    id: str
    name: str
    repo: str  # "" for a user entry that only gives a url
    revision: str  # "" likewise
    file: str
    sha256: str
    size: int
    params: str
    quant: str
    context: int
    ram: float
    languages: tuple[str, ...]
    licence: str
    chat_format: str | None = None
    url: str | None = None
    source: str = ""
    """Where the entry came from: "built-in", or the path of the person's own file."""

    def download_url(self, mirror: str | None = None) -> str:
        """A full `url` names one exact place, so a mirror only replaces Hugging Face."""
        if self.url:
            return self.url
        base = mirror.rstrip("/") if mirror else HUGGING_FACE
        return f"{base}/{self.repo}/resolve/{self.revision}/{self.file}"

    def as_dict(self) -> dict[str, Any]:
        """For `--json` output, which must survive json.dumps unchanged."""
        data = asdict(self)
        data["languages"] = list(self.languages)
        return data


def fits(entry: RegistryEntry, total_ram_gb: float) -> bool:
    """A model that takes all the memory makes the whole machine crawl, so leave a share."""
    return entry.ram <= RAM_SHARE * total_ram_gb


@dataclass(frozen=True)
class Registry:
    entries: tuple[RegistryEntry, ...]

    def find(self, model_id: str) -> RegistryEntry | None:
        wanted = model_id.strip().lower()  # ids are lowercase; "Qwen2.5-1.5B" means the same
        return next((entry for entry in self.entries if entry.id == wanted), None)

    def get(self, model_id: str) -> RegistryEntry:
        """Like find, but a typo on the command line gets a suggestion instead of None."""
        entry = self.find(model_id)
        if entry is not None:
            return entry
        ids = [entry.id for entry in self.entries]
        close = difflib.get_close_matches(model_id.strip().lower(), ids, n=3)
        names = t("model_errors.or").join(repr(c) for c in close)
        hint = t("model_errors.did_you_mean", names=names) if close else ""
        raise UsageError(t("model_errors.no_such_model", model_id=repr(model_id), hint=hint))

    def by_sha256(self, sha256: str) -> RegistryEntry | None:
        """Recognises a file the person imported by hand as one of ours."""
        wanted = sha256.strip().lower()
        return next((entry for entry in self.entries if entry.sha256 == wanted), None)

    def recommend(self, total_ram_gb: float, language: str | None = None,
                  speed: Callable[[RegistryEntry], float] | None = None,
                  comfortable: float = 0.0) -> RegistryEntry | None:
        """The most capable model this machine runs comfortably, in the person's language.

        Memory need stands in for capability. `speed` (estimated tokens/s) narrows the
        choice to models at `comfortable` or faster; when none is, the fastest is the
        kindest choice. A language no fitting model lists is ignored rather than leaving
        the person with nothing, and it counts before speed: a slow model that speaks the
        person's language serves better than a quick one that does not. Ties go to the
        earlier entry, since the file's order is the curators' preference.
        """
        fitting = [entry for entry in self.entries if fits(entry, total_ram_gb)]
        if language:
            code = language.strip().replace("_", "-").split("-")[0].lower()  # "pt_BR" -> "pt"
            speaking = [entry for entry in fitting if code in entry.languages]
            fitting = speaking or fitting
        if speed is not None and fitting:
            quick = [entry for entry in fitting if speed(entry) >= comfortable]
            if not quick:
                return max(fitting, key=speed)
            fitting = quick
        return max(fitting, key=lambda entry: entry.ram, default=None)


def builtin_path() -> Path:
    """Installed wheels carry models.toml inside the package; a source checkout at the root."""
    package = Path(__file__).resolve().parent.parent
    inside = package / "models.toml"
    return inside if inside.is_file() else package.parent / "models.toml"


def total_memory_gb() -> float:
    import psutil  # only callers that size a model need it

    return float(psutil.virtual_memory().total) / 2**30


def load_registry(user_file: Path | None = None) -> Registry:
    """Built-in entries first, so `list` shows the curated ones before a person's own."""
    path = builtin_path()
    builtin = tuple(replace(e, source=BUILTIN) for e in parse_registry(_read(path), str(path)))
    if user_file is None or not user_file.exists():
        return Registry(builtin)
    text = _read(user_file)
    theirs = parse_registry(text, str(user_file))
    taken = {entry.id for entry in builtin}
    where = _Locator(text)
    for index, entry in enumerate(theirs):
        if entry.id in taken:
            raise RegistryError(t("model_errors.registry_where", source=user_file,
                                  line=where.key(index, "id"),
                                  label=t("model_errors.entry_named", name=repr(entry.id)),
                                  problem=t("model_errors.registry_builtin_id")))
    return Registry(builtin + theirs)


def parse_registry(text: str, source: str) -> tuple[RegistryEntry, ...]:
    """Checks everything up front, so a bad entry never reaches a download."""
    where = _Locator(text)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _syntax_error(source, text, exc) from None
    for key in raw:
        if key != "model":
            raise RegistryError(t("model_errors.registry_line", source=source,
                                  line=where.top_level(key),
                                  problem=t("model_errors.registry_top_key", field=repr(key))))
    tables = raw.get("model", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise RegistryError(t("model_errors.registry_line", source=source,
                              line=where.top_level("model"),
                              problem=t("model_errors.registry_not_tables")))
    entries: list[RegistryEntry] = []
    first_line: dict[str, int] = {}
    for index, table in enumerate(tables):
        entry = _entry_from(table, source, where, index)
        if entry.id in first_line:
            raise RegistryError(t("model_errors.registry_where", source=source,
                                  line=where.key(index, "id"),
                                  label=t("model_errors.entry_named", name=repr(entry.id)),
                                  problem=t("model_errors.registry_duplicate_id",
                                            first=first_line[entry.id])))
        first_line[entry.id] = where.entry(index)
        entries.append(entry)
    return tuple(entries)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RegistryError(t("model_errors.registry_unreadable", path=path,
                              detail=exc)) from None


def _syntax_error(source: str, text: str, exc: Exception) -> RegistryError:
    detail = str(exc)
    found = _TOML_AT.search(detail)
    if found:
        line, detail = int(found.group(1)), detail[: found.start()]
    else:  # "(at end of document)": the problem shows on the last line
        line, detail = text.count("\n") + 1, detail.replace(" (at end of document)", "")
    return RegistryError(t("model_errors.registry_line", source=source, line=line,
                           problem=t("model_errors.registry_not_toml", detail=detail)))


def _entry_from(table: dict[str, Any], source: str, where: _Locator, index: int) -> RegistryEntry:
    ident = table.get("id")
    label = (t("model_errors.entry_named", name=repr(ident)) if isinstance(ident, str) and ident
             else t("model_errors.entry_number", number=index + 1))

    def fail(key: str | None, problem: str) -> RegistryError:
        line = where.key(index, key) if key else where.entry(index)
        return RegistryError(t("model_errors.registry_where", source=source, line=line,
                               label=label, problem=problem))

    for key in table:
        if key not in _KNOWN:
            close = difflib.get_close_matches(key, _KNOWN, n=1)
            hint = t("model_errors.registry_key_hint", field=repr(close[0])) if close else ""
            raise fail(key, t("model_errors.registry_unknown_key", field=repr(key), hint=hint))
    required = _REQUIRED if "url" in table else (*_REQUIRED, *_LOCATION)
    missing = [key for key in required if key not in table]
    if missing:
        raise fail(None, t("model_errors.registry_missing",
                           keys=", ".join(repr(k) for k in missing)))
    for key in _STRINGS:
        if key in table and (not isinstance(table[key], str) or not table[key].strip()):
            raise fail(key, t("model_errors.registry_not_string", field=repr(key)))
    for key in ("size", "context"):
        value = table[key]
        if type(value) is not int or value <= 0:  # bool is an int subclass; `true` is no size
            raise fail(key, t("model_errors.registry_not_positive", field=repr(key)))
    ram = table["ram"]
    if not (isinstance(ram, (int, float)) and not isinstance(ram, bool) and 0 < ram < math.inf):
        raise fail("ram", t("model_errors.registry_ram"))

    if not _ID.fullmatch(table["id"]):
        raise fail("id", t("model_errors.registry_id"))
    if not _HEX64.fullmatch(table["sha256"]):
        raise fail("sha256", t("model_errors.registry_sha256"))
    if "revision" in table and not _HEX40.fullmatch(table["revision"]):
        raise fail("revision", t("model_errors.registry_revision"))
    if "repo" in table and not _REPO.fullmatch(table["repo"]):
        raise fail("repo", t("model_errors.registry_repo"))
    url = table.get("url")
    if url is not None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise fail("url", t("model_errors.registry_url"))
    file_key = "file" if "file" in table else "url"
    file = table["file"] if "file" in table else unquote(PurePosixPath(urlsplit(url).path).name)
    if not file or "/" in file or "\\" in file or not file.lower().endswith(".gguf"):
        raise fail(file_key, t("model_errors.registry_file_from_url" if file_key == "url"
                               else "model_errors.registry_file"))

    languages = table["languages"]
    if not isinstance(languages, list) or not all(isinstance(c, str) for c in languages):
        raise fail("languages", t("model_errors.registry_languages"))
    codes = tuple(dict.fromkeys(code.strip().lower() for code in languages))
    if not codes:
        raise fail("languages", t("model_errors.registry_no_language"))
    bad = [code for code in codes if not _LANGUAGE.fullmatch(code)]
    if bad:
        raise fail("languages", t("model_errors.registry_bad_language", code=repr(bad[0])))

    return RegistryEntry(
        id=table["id"],
        name=table["name"].strip(),
        repo=table.get("repo", ""),
        revision=table.get("revision", "").lower(),
        file=file,
        sha256=table["sha256"].lower(),
        size=table["size"],
        params=table["params"].strip(),
        quant=table["quant"].strip(),
        context=table["context"],
        ram=float(ram),
        languages=codes,
        licence=table["licence"].strip(),
        chat_format=table.get("chat_format"),
        url=url,
        source=source,
    )


class _Locator:
    """tomllib reports no lines for keys, so find them the way a reader would: by eye.

    The k-th [[model]] header is the k-th entry; a key's line is where `key =` appears
    inside that entry's block, else the header's line.
    """

    def __init__(self, text: str) -> None:
        self.lines = text.split("\n")  # TOML's newlines; str.splitlines knows more
        self.headers = [n for n, line in enumerate(self.lines, 1) if _MODEL_HEADER.match(line)]

    def entry(self, index: int) -> int:
        return self.headers[index] if index < len(self.headers) else self.top_level("model")

    def key(self, index: int, key: str) -> int:
        start = self.entry(index)
        if index >= len(self.headers):  # entries written inline: no block to search
            return start
        pattern = _assignment(key)
        for number in range(start + 1, len(self.lines) + 1):
            line = self.lines[number - 1]
            if _ANY_HEADER.match(line):
                break
            if pattern.match(line):
                return number
        return start

    def top_level(self, key: str) -> int:
        name = re.escape(key)
        pattern = re.compile(rf"""\s*(\[\[?\s*)?({name}|"{name}"|'{name}')\s*(=|\]|\.)""")
        return next((n for n, line in enumerate(self.lines, 1) if pattern.match(line)), 1)


def _assignment(key: str) -> re.Pattern[str]:
    name = re.escape(key)
    return re.compile(rf"""\s*({name}|"{name}"|'{name}')\s*=""")

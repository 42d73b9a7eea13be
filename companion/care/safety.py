"""The offline crisis scan: does a message show signs that the person may be in danger?

It runs on every message before anything else, so it needs no network and no model and
takes well under a millisecond. It never stops a conversation: a signal only asks the
caller to reply with crisis-aware instructions and to show support beside the reply.
Research participants described canned refusals in a crisis as losing "your last chance
to talk to people"; this module exists so that never happens here.

The word lists live in `companion/data/crisis/lexicon/<language>.toml`. Each `[[entry]]`
has an id, a level (`likely` for explicit first-person intent, `possible` for mentions,
coded or ambiguous phrases) and phrase patterns; each `[[benign]]` lists idioms ("I
could die of embarrassment", "suicide squad") whose words must not count. Patterns:

- words in order, separated by spaces ("kill myself"; "killmyself" matches too);
- `word*` any word that starts with `word`;
- `{a|b c|}` one of the alternatives (an empty one makes the group optional);
- `..` up to three words in between; `#` a number.

Text and patterns go through the same `normalise`, so case, accents (Latin and
Cyrillic), leetspeak, spacing, repeated letters and punctuation do not matter. Only
entry ids leave this module, never the person's words.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Literal

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on 3.10
    import tomli as tomllib

Level = Literal["none", "possible", "likely"]
LEVELS: tuple[Level, ...] = ("none", "possible", "likely")
LEXICON_DIR = Path(__file__).resolve().parent.parent / "data" / "crisis" / "lexicon"

CHECK_QUESTION = (
    "You are checking one message for a safety tool. Answer only yes or no.\n"
    "Does the writer say or hint that they themselves might end their life, want to "
    "die or want to hurt themselves? Jokes and figures of speech ('this traffic is "
    "killing me') are no.\n\nMessage:\n{text}\n\nAnswer:"
)
"""What `refine` asks the local model about a borderline message."""


@dataclass(frozen=True)
class Signal:
    """What the scan found: a level, which lexicon entries matched and in which
    languages. `checked` says the local model was asked about it (see `refine`)."""

    level: Level
    matched: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    checked: bool = False

    @property
    def fired(self) -> bool:
        """True when the reply should be crisis-aware and support shown."""
        return self.level != "none"


NOTHING = Signal("none")


# normalisation ------------------------------------------------------------------------

_DEVANAGARI = str.maketrans({"\u093c": None, "\u0901": "\u0902"})
"""Nukta is often left out and chandrabindu written as anusvara; make both the same."""
_APOSTROPHES = dict.fromkeys(map(ord, "'\u2018\u2019`\u00b4\u02bc\u2032"), None)
_LEET = str.maketrans("013457@$", "oieastas")
_LEET_CHARS = re.compile(r"[013457@$]")
_BANG = re.compile(r"(?<=[^\W\d_])!(?=[^\W\d_])")
"""'!' between letters is an i ("k!ll"); elsewhere it is punctuation."""
_WORD_CHAR = r"[\w\u0900-\u097f]"
_NON_WORD = re.compile(r"(?:[^\w\u0900-\u097f]|_)+")
_SPACED = re.compile(r"(?<!\S)(?:[^\W\d_] ){2,}[^\W\d_](?!\S)")
_REPEAT = re.compile(r"([^\W\d_])\1+")


def _strip_accents(text: str) -> str:
    """Drop combining marks on Latin, Greek and Cyrillic letters only: Devanagari
    vowel signs, Hangul and kana marks carry meaning and stay."""
    kept: list[str] = []
    base = 0
    for char in unicodedata.normalize("NFKD", text):
        if unicodedata.combining(char):
            if base < 0x530 or 0x1E00 <= base < 0x2000:
                continue
        else:
            base = ord(char)
        kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept))


def normalise(text: str) -> str:
    """The form both messages and patterns are matched in (see the module docstring)."""
    text = text.translate(_DEVANAGARI).casefold()
    if not text.isascii():
        text = _strip_accents(text)
    text = _BANG.sub("i", text.translate(_APOSTROPHES))
    if _LEET_CHARS.search(text):
        text = " ".join(word.translate(_LEET) if any(c.isalpha() for c in word) else word
                        for word in text.split())
    text = _NON_WORD.sub(" ", text)
    text = _SPACED.sub(lambda m: m.group(0).replace(" ", ""), text)
    return _REPEAT.sub(r"\1", text).strip()


# patterns -----------------------------------------------------------------------------

_TOKEN = re.compile(r"\{[^}]*\}|\S+")
_GAP = r"(?: [^ ]+){0,3}"


class LexiconProblem(ValueError):
    """A lexicon file that cannot be used; the message names the file and the entry."""


def _spaced_script(char: str) -> bool:
    """Scripts that put spaces between words get word boundaries; Han, kana and Hangul
    (whose particles attach to words) are matched as substrings."""
    code = ord(char)
    return code < 0x1100 or 0x1200 <= code < 0x2E80


def _phrase(text: str) -> tuple[str, list[str]]:
    """One literal (possibly with a trailing `*`) → regex and its normalised words."""
    prefix = text.endswith("*")
    words = normalise(text.rstrip("*")).split()
    if not words:
        return "", []
    regex = " ?".join(re.escape(w) for w in words)
    return regex + (f"{_WORD_CHAR}*" if prefix else ""), words


def compile_pattern(pattern: str) -> tuple[str, tuple[str, ...]]:
    """A pattern → (regex source, anchors). Every match contains one of the anchors, so
    a substring test skips the regex for almost every message. `("",)` means no word is
    required and the regex always runs."""
    parts: list[str] = []
    choices: list[tuple[str, ...]] = []
    for token in _TOKEN.findall(pattern):
        if token == "..":
            parts.append(_GAP)
        elif token == "#":
            parts.append(r"\d+")
        elif token.startswith("{"):
            alternatives = [_phrase(a.strip()) for a in token[1:-1].split("|")]
            parts.append("(?:" + "|".join(regex for regex, _ in alternatives) + ")")
            if all(words for _, words in alternatives):
                choices.append(tuple({max(words, key=len) for _, words in alternatives}))
        else:
            regex, words = _phrase(token)
            if regex:
                parts.append(regex)
                choices.append((max(words, key=len),))
    letters = [c for c in normalise(re.sub(r"[{}|*#.]", " ", pattern)) if c.isalnum()]
    if not parts or not letters:
        raise LexiconProblem(f"pattern {pattern!r} has no words")
    body = " ?".join(parts)
    if _spaced_script(letters[0]):
        body = f"(?<!{_WORD_CHAR})" + body
    if _spaced_script(letters[-1]):
        body += f"(?!{_WORD_CHAR})"
    best = max(choices, key=lambda anchors: min(map(len, anchors)), default=("",))
    return body, best


@dataclass(frozen=True)
class Rule:
    id: str
    level: Level
    language: str
    patterns: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...]


def _rule(raw: dict[str, object], language: str, where: str, benign: bool) -> Rule:
    rule_id, patterns = raw.get("id"), raw.get("patterns")
    level = "none" if benign else raw.get("level")
    if not isinstance(rule_id, str) or not rule_id:
        raise LexiconProblem(f"{where}: an entry has no id")
    if level not in (("none",) if benign else ("possible", "likely")):
        raise LexiconProblem(f"{where}: {rule_id} has level {level!r}")
    if not isinstance(patterns, list) or not patterns or not all(
            isinstance(p, str) for p in patterns):
        raise LexiconProblem(f"{where}: {rule_id} needs a list of patterns")
    compiled = []
    for pattern in patterns:
        try:
            body, anchors = compile_pattern(pattern)
            compiled.append((re.compile(body), anchors))
        except (LexiconProblem, re.error) as exc:
            raise LexiconProblem(f"{where}: {rule_id}: {exc}") from None
    return Rule(rule_id, level, language, tuple(compiled))  # type: ignore[arg-type]


@dataclass(frozen=True)
class Lexicon:
    """Compiled rules, plus an index from anchor to the patterns that need it."""

    rules: tuple[Rule, ...]
    benign: tuple[Rule, ...]
    languages: tuple[str, ...]

    @cached_property
    def _index(self) -> tuple[dict[str, list[tuple[int, int]]], ...]:
        indexes = []
        for rules in (self.rules, self.benign):
            index: dict[str, list[tuple[int, int]]] = {}
            for r, rule in enumerate(rules):
                for p, (_, anchors) in enumerate(rule.patterns):
                    for anchor in anchors:
                        index.setdefault(anchor, []).append((r, p))
            indexes.append(index)
        return tuple(indexes)

    def spans(self, text: str, benign: bool = False) -> dict[int, list[tuple[int, int]]]:
        """Rule number → where its patterns match `text` (already normalised)."""
        index = self._index[benign]
        rules = self.benign if benign else self.rules
        todo = {hit for anchor, hits in index.items() if anchor in text for hit in hits}
        found: dict[int, list[tuple[int, int]]] = {}
        for r, p in sorted(todo):
            spans = [m.span() for m in rules[r].patterns[p][0].finditer(text)]
            if spans:
                found.setdefault(r, []).extend(spans)
        return found


def load_lexicon(files: Iterable[Path]) -> Lexicon:
    """Read and compile lexicon files; LexiconProblem names a bad one."""
    rules: list[Rule] = []
    benign: list[Rule] = []
    languages: list[str] = []
    for file in sorted(files):
        try:
            raw = tomllib.loads(file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise LexiconProblem(f"{file}: {exc}") from None
        language = str(raw.get("language") or file.stem)
        languages.append(language)
        rules += [_rule(e, language, str(file), False) for e in raw.get("entry", [])]
        benign += [_rule(e, language, str(file), True) for e in raw.get("benign", [])]
    ids = [r.id for r in rules + benign]
    if len(ids) != len(set(ids)):
        twice = sorted({i for i in ids if ids.count(i) > 1})
        raise LexiconProblem(f"an entry id is used twice: {', '.join(twice)}")
    return Lexicon(tuple(rules), tuple(benign), tuple(languages))


@cache
def lexicon() -> Lexicon:
    """The built-in lexicon, compiled on first use (never at import)."""
    return load_lexicon(LEXICON_DIR.glob("*.toml"))


# the scan -----------------------------------------------------------------------------


def _overlaps(span: tuple[int, int], masks: list[tuple[int, int]]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in masks)


def scan(text: str, words: Lexicon | None = None) -> Signal:
    """Look for signs of crisis in one message; offline and fast."""
    found = words or lexicon()
    norm = normalise(text)
    if not norm:
        return NOTHING
    hits = found.spans(norm)
    if not hits:
        return NOTHING
    masks = [span for spans in found.spans(norm, benign=True).values() for span in spans]
    kept = [found.rules[r] for r, spans in sorted(hits.items())
            if any(not _overlaps(span, masks) for span in spans)]
    if not kept:
        return NOTHING
    level: Level = "likely" if any(r.level == "likely" for r in kept) else "possible"
    return Signal(level, tuple(dict.fromkeys(r.id for r in kept)),
                  tuple(dict.fromkeys(r.language for r in kept)))


def check_question(text: str) -> str:
    return CHECK_QUESTION.format(text=text)


def refine(signal: Signal, text: str, ask: Callable[[str], bool] | None) -> Signal:
    """Let the local model settle a borderline ("possible") signal.

    `ask` receives `check_question(text)` and returns True when the model answers
    yes; the caller owns the model, so this stays pure. Yes makes the signal likely,
    no clears it (the person turned this check on: `crisis_model_check`). A likely
    signal is never second-guessed, and a failing `ask` leaves the signal as it was,
    because doubt must fall on the side of showing support.
    """
    if ask is None or signal.level != "possible":
        return signal
    try:
        yes = bool(ask(check_question(text)))
    except Exception:
        return signal
    return Signal("likely" if yes else "none", signal.matched, signal.languages, True)

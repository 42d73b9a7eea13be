"""The offline crisis scan: does a message show signs that the person may be in danger?

It runs on every message before anything else, so it needs no network and no model and
takes well under a millisecond. It never stops a conversation: a signal only asks the
caller to reply with crisis-aware instructions and to show support beside the reply.
Research participants described canned refusals in a crisis as losing "your last chance
to talk to people"; this module exists so that never happens here.

The word lists live in `companion/data/crisis/lexicon/<language>.toml`, one file per
language, each entry filed under one kind of signal (`KINDS`): people rarely say "I am
suicidal"; they say they are a burden, that there is no point waking up, that they gave
their things away, or ask how many pills would be too many (Crisis Text Line found such
words about means predicted imminent risk better than "suicide"). Every language covers
every kind, so adding one is a checklist. Each `[[entry]]` has an id, a kind, a level
(`likely` for explicit first-person intent, `possible` for mentions, coded or ambiguous
phrases; both fire) and patterns; each `[[benign]]` lists idioms ("dying of laughter",
"suicide squad") whose words must not count. Patterns:

- words in order, separated by spaces ("kill myself"; "killmyself" matches too);
- `word*` any word that starts with `word`, `*word` any word that ends with it (Swahili
  and Tagalog put the person and tense in front: "*jiua" is nitajiua, kujiua...);
- `{a|b c|}` one of the alternatives (an empty one makes the group optional);
- `..` up to three words in between; `~` up to eight letters in between, within one
  clause (Chinese and Japanese put no spaces between words); `#` a number;
- `A && B` both, in either order, within about a sentence (`NEAR` characters): a
  question about height or pills is only a question about means beside a word of death.

Text and patterns go through the same `normalise`, so case, accents (Latin, Cyrillic,
Vietnamese), Arabic vowel marks and letter variants, leetspeak, spacing, repeated
letters and punctuation do not matter. Han, kana and Hangul match as substrings; other
scripts at word boundaries. Only entry ids leave this module, never the person's words.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, cached_property
from itertools import islice, product
from pathlib import Path
from typing import Literal

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on 3.10
    import tomli as tomllib

Level = Literal["none", "possible", "likely"]
LEVELS: tuple[Level, ...] = ("none", "possible", "likely")
KINDS = ("intent", "burden", "hopelessness", "finality", "means", "self_harm", "coded")
DISTRESS = "distress"
"""`[[distress]]` entries: strong distress without crisis words. They never fire the
scan; they make the local model's second opinion worth asking for (`refine`)."""
"""The kinds of signal every language's lexicon covers: intent to die, being a burden,
hopelessness (no future, exhausted with existing), finality and preparation (goodbye
letters, giving things away, a decided date), questions about means, self-harm, and
coded or slang words ("kms", "unalive")."""
LEXICON_DIR = Path(__file__).resolve().parent.parent / "data" / "crisis" / "lexicon"
NEAR = 80
"""How close (in normalised characters) the parts of an `A && B` pattern must be."""



@dataclass(frozen=True)
class Signal:
    """What the scan found: a level, which lexicon entries matched and in which
    languages. `checked` says the local model was asked about it (see `refine`)."""

    level: Level
    matched: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    checked: bool = False
    distress: bool = False
    """Strong distress without crisis words ("I can't cope", "I'm falling apart"): it
    does not fire by itself, but the local model is asked about it after the reply."""

    @property
    def fired(self) -> bool:
        """True when the reply should be crisis-aware and support shown."""
        return self.level != "none"


NOTHING = Signal("none")


# normalisation ------------------------------------------------------------------------

_LETTERS = str.maketrans({
    "\u093c": None, "\u0901": "\u0902",  # Devanagari nukta left out, chandrabindu as anusvara
    "\u09bc": None, "\u0981": None,  # the same habits in Bengali
    "\u0640": None, "\u0671": "\u0627",  # Arabic tatweel; alef wasla is alef
    "\u06cc": "\u064a", "\u0649": "\u064a", "\u06a9": "\u0643",  # Urdu/Persian ye, kaf
    "\u0629": "\u0647", "\u06c1": "\u0647", "\u06be": "\u0647", "\u06c3": "\u0647",  # he
    "\u0142": "l", "\u0111": "d", "\u0131": "i", "\u00f8": "o",  # stroked l d o, dotless i
})
"""Letters people write interchangeably, or leave out, that Unicode does not unify."""
_APOSTROPHES = dict.fromkeys(map(ord, "'\u2018\u2019`\u00b4\u02bc\u2032"), None)
_LEET = str.maketrans("013457@$", "oieastas")
_LEET_CHARS = re.compile(r"[013457@$]")
_BANG = re.compile(r"(?<=[^\W\d_])!(?=[^\W\d_])")
"""'!' between letters is an i ("k!ll"); elsewhere it is punctuation."""
_INDIC = "\u0900-\u0963\u0966-\u0dff"
"""Devanagari to Sinhala without the dandas: vowel signs are word characters here."""
_WORD_CHAR = rf"[\w{_INDIC}]"
_NON_WORD = re.compile(rf"(?:[^\w{_INDIC}]|_)+")
_SPACED = re.compile(r"(?<!\S)(?:[^\W\d_] ){2,}[^\W\d_](?!\S)")
_REPEAT = re.compile(r"([^\W\d_])\1+")


def _strip_accents(text: str) -> str:
    """Drop combining marks on Latin, Greek, Cyrillic and Arabic letters only:
    Devanagari and Bengali vowel signs, Hangul and kana marks carry meaning and stay."""
    kept: list[str] = []
    base = 0
    for char in unicodedata.normalize("NFKD", text):
        if unicodedata.combining(char):
            if base < 0x530 or 0x1E00 <= base < 0x2000 or 0x600 <= base < 0x780:
                continue
        else:
            base = ord(char)
        kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept)).translate(_LETTERS)


def normalise(text: str) -> str:
    """The form both messages and patterns are matched in (see the module docstring)."""
    text = text.casefold().translate(_LETTERS)
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

_TOKEN = re.compile(r"\{[^{}]*\}|[^\s{}]+")
"""A group, or a run of literal text; "짐{이야|일 뿐}" is a word glued to a group."""
_GAP = r"(?: [^ ]+){0,3}"
_SHORT_GAP = r"[^ ]{0,8}"
"""`~`: a few characters within one clause (punctuation became a space), for Chinese and
Japanese, where `..` (whole words) means nothing."""


class LexiconProblem(ValueError):
    """A lexicon file that cannot be used; the message names the file and the entry."""


def _spaced_script(char: str) -> bool:
    """Scripts that put spaces between words get word boundaries; Han, kana and Hangul
    (whose particles attach to words) are matched as substrings."""
    code = ord(char)
    return code < 0x1100 or 0x1200 <= code < 0x2E80


@cache
def _phrase(text: str) -> tuple[str, tuple[str, ...]]:
    """One literal (possibly with `*` at either end) → regex and its normalised words.
    Cached: the same alternatives ("{dont|do not}") recur across a whole lexicon."""
    prefix, suffix = text.endswith("*"), text.startswith("*")
    words = tuple(normalise(text.strip("*")).split())
    if not words:
        return "", ()
    regex = " ?".join(re.escape(w) for w in words)
    return ((f"{_WORD_CHAR}*" if suffix else "") + regex
            + (f"{_WORD_CHAR}*" if prefix else "")), words


def compile_pattern(pattern: str) -> tuple[str, tuple[str, ...]]:
    """A pattern (without `&&`) → (regex source, anchors). Every match contains one of
    the anchors, so a substring test skips the regex for almost every message. `("",)`
    means no word is required and the regex always runs."""
    parts: list[str] = []
    choices: list[tuple[str, ...]] = []
    tokens = _TOKEN.findall(pattern)
    if "".join("".join(tokens).split()) != "".join(pattern.split()) or any(
            "|" in token for token in tokens if not token.startswith("{")):
        raise LexiconProblem(f"pattern {pattern!r} has an unmatched brace or a stray |")
    for token in tokens:
        if token in ("..", "~"):
            parts.append(_GAP if token == ".." else _SHORT_GAP)
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
    letters = [c for c in normalise(re.sub(r"[{}|*#.&~]", " ", pattern)) if c.isalnum()]
    if not parts or not letters:
        raise LexiconProblem(f"pattern {pattern!r} has no words")
    body = " ?".join(parts)
    if _spaced_script(letters[0]):
        body = f"(?<!{_WORD_CHAR})" + body
    if _spaced_script(letters[-1]):
        body += f"(?!{_WORD_CHAR})"
    best = max(choices, key=lambda anchors: min(map(len, anchors)), default=("",))
    return body, best


Compiled = tuple[tuple[str, ...], tuple[str, ...]]
"""A pattern's regex sources (several for `A && B`) and the anchors of its rarest part.
The sources are compiled on first use (`_regex`): twenty languages hold about 1,700 of
them, and a message needs the few whose anchors it contains, so compiling them all up
front would only delay the first scan."""


@cache
def _regex(source: str) -> re.Pattern[str]:
    return re.compile(source)


@dataclass(frozen=True)
class Rule:
    id: str
    level: Level
    language: str
    patterns: tuple[Compiled, ...]
    kind: str = "benign"


def _compile(pattern: str, benign: bool) -> Compiled:
    pieces = [compile_pattern(part.strip()) for part in pattern.split("&&")]
    if benign and len(pieces) > 1:
        raise LexiconProblem(f"benign pattern {pattern!r} cannot use &&")
    anchors = max((a for _, a in pieces), key=lambda a: min(map(len, a)))
    return tuple(body for body, _ in pieces), anchors


def _rule(raw: dict[str, object], language: str, where: str, benign: bool,
          distress: bool = False) -> Rule:
    rule_id, patterns = raw.get("id"), raw.get("patterns")
    level = "none" if benign or distress else raw.get("level")
    kind = "benign" if benign else DISTRESS if distress else raw.get("kind")
    if not isinstance(rule_id, str) or not rule_id:
        raise LexiconProblem(f"{where}: an entry has no id")
    if level not in (("none",) if benign or distress else ("possible", "likely")):
        raise LexiconProblem(f"{where}: {rule_id} has level {level!r}")
    if not benign and not distress and kind not in KINDS:
        raise LexiconProblem(f"{where}: {rule_id} has kind {kind!r}; one of {KINDS}")
    if not isinstance(patterns, list) or not patterns or not all(
            isinstance(p, str) for p in patterns):
        raise LexiconProblem(f"{where}: {rule_id} needs a list of patterns")
    compiled = []
    for pattern in patterns:
        try:
            compiled.append(_compile(pattern, benign))
        except (LexiconProblem, re.error) as exc:
            raise LexiconProblem(f"{where}: {rule_id}: {exc}") from None
    return Rule(rule_id, level, language, tuple(compiled), str(kind))  # type: ignore[arg-type]


Hits = dict[int, list[list[list[tuple[int, int]]]]]
"""Rule number → for each matching pattern, for each of its parts, where it matched."""


@dataclass(frozen=True)
class Lexicon:
    """Compiled rules, plus an index from the first letters of each anchor to the
    patterns that need it: a message only pays for the anchors whose first letters it
    contains, so twenty languages cost little more than one."""

    rules: tuple[Rule, ...]
    benign: tuple[Rule, ...]
    languages: tuple[str, ...]
    distress: tuple[Rule, ...] = ()

    def _group(self, benign: bool, distress: bool) -> int:
        return 2 if distress else int(benign)

    @cached_property
    def _index(self) -> tuple[dict[str, list[tuple[str, int, int]]], ...]:
        indexes = []
        for rules in (self.rules, self.benign, self.distress):
            index: dict[str, list[tuple[str, int, int]]] = {}
            for r, rule in enumerate(rules):
                for p, (_, anchors) in enumerate(rule.patterns):
                    for anchor in anchors:
                        index.setdefault(anchor[:3], []).append((anchor, r, p))
            indexes.append(index)
        return tuple(indexes)

    @cached_property
    def _key_lengths(self) -> tuple[int, ...]:
        return tuple(sorted({len(key) for index in self._index for key in index}))

    def spans(self, text: str, benign: bool = False, distress: bool = False) -> Hits:
        """Where each rule's patterns match `text` (already normalised)."""
        group = self._group(benign, distress)
        index = self._index[group]
        rules = (self.rules, self.benign, self.distress)[group]
        grams = {text[i:i + n] for n in self._key_lengths for i in range(len(text) - n + 1)}
        todo = {(r, p) for key in grams & index.keys()
                for anchor, r, p in index[key] if anchor in text}
        found: Hits = {}
        for r, p in sorted(todo):
            parts = [[m.span() for m in islice(_regex(source).finditer(text), 64)]
                     for source in rules[r].patterns[p][0]]
            if all(parts):
                found.setdefault(r, []).append(parts)
        return found


def load_lexicon(files: Iterable[Path]) -> Lexicon:
    """Read and compile lexicon files; LexiconProblem names a bad one."""
    rules: list[Rule] = []
    benign: list[Rule] = []
    distress: list[Rule] = []
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
        distress += [_rule(e, language, str(file), False, True)
                     for e in raw.get("distress", [])]
    ids = [r.id for r in rules + benign + distress]
    if len(ids) != len(set(ids)):
        twice = sorted({i for i in ids if ids.count(i) > 1})
        raise LexiconProblem(f"an entry id is used twice: {', '.join(twice)}")
    return Lexicon(tuple(rules), tuple(benign), tuple(languages), tuple(distress))


@cache
def lexicon() -> Lexicon:
    """The built-in lexicon, compiled on first use (never at import)."""
    return load_lexicon(LEXICON_DIR.glob("*.toml"))


# the scan -----------------------------------------------------------------------------


def _overlaps(span: tuple[int, int], masks: list[tuple[int, int]]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in masks)


def _counts(parts: list[list[tuple[int, int]]], masks: list[tuple[int, int]]) -> bool:
    """A match counts when each part has words no idiom covers, and, for `A && B`,
    some choice of them lies within NEAR characters."""
    free = [[span for span in spans if not _overlaps(span, masks)] for spans in parts]
    if not all(free):
        return False
    return len(free) == 1 or any(
        max(end for _, end in choice) - min(start for start, _ in choice) <= NEAR
        for choice in product(*free))


def scan(text: str, words: Lexicon | None = None) -> Signal:
    """Look for signs of crisis in one message; offline and fast."""
    found = words or lexicon()
    norm = normalise(text)
    if not norm:
        return NOTHING
    hits = found.spans(norm)
    distress = found.spans(norm, distress=True)
    if not hits and not distress:
        return NOTHING
    masks = [span for matches in found.spans(norm, benign=True).values()
             for parts in matches for spans in parts for span in spans]
    kept = [found.rules[r] for r, matches in sorted(hits.items())
            if any(_counts(parts, masks) for parts in matches)]
    if not kept:
        upset = [found.distress[r] for r, matches in sorted(distress.items())
                 if any(_counts(parts, masks) for parts in matches)]
        if not upset:
            return NOTHING
        return Signal("none", tuple(dict.fromkeys(r.id for r in upset)),
                      tuple(dict.fromkeys(r.language for r in upset)), distress=True)
    level: Level = "likely" if any(r.level == "likely" for r in kept) else "possible"
    return Signal(level, tuple(dict.fromkeys(r.id for r in kept)),
                  tuple(dict.fromkeys(r.language for r in kept)))

"""The few words Journal mode says when the crisis scan fires, with no model.

Journal mode normally answers nothing: the person is writing for themselves. But silence
after "I've made up my mind, tonight is the night" reads as nobody being there, so a
message that fires the scan gets one short, warm note in the person's language that
points to the support already shown beside the chat. It is fixed text, not a model's,
because it must come every time, at once, even with no model loaded; and it asks
nothing and explains nothing, because a lecture is the opposite of what helps.

The notes live in `companion/data/crisis/notes.toml`, beside the lexicon, so a language
is added in one place with its words.
"""

from __future__ import annotations

import sys
from collections import Counter
from functools import cache
from pathlib import Path

from companion.care.persona import language_code
from companion.care.safety import Signal

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on 3.10
    import tomli as tomllib

NOTES_FILE = Path(__file__).resolve().parent.parent / "data" / "crisis" / "notes.toml"
LATIN_TOO = {"hi": "hi-Latn", "ur": "hi-Latn"}
"""Languages often written in Latin letters, whose note is then in Latin letters too."""
ENGLISH = ("en", "pcm")


@cache
def notes() -> dict[str, str]:
    """Language code → the note (read once, on the first crisis in Journal mode)."""
    raw = tomllib.loads(NOTES_FILE.read_text(encoding="utf-8"))
    return {str(code): str(text) for code, text in raw["notes"].items()}


def _mostly_latin(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(c.isascii() for c in letters) * 2 > len(letters)


def language_for(signal: Signal, setting: str = "") -> str:
    """Which language to answer in: one the scan found the words in (the chosen
    language when it is among them, else the one with most entries matched, and on a
    tie not English, because English slang turns up in every language's chat, though
    English over Nigerian Pidgin, which shares its words), else the chosen language,
    else English."""
    known = notes()
    chosen = language_code(setting)
    found = [code for code in signal.languages if code in known]
    if chosen in found:
        return chosen
    if found:
        hits = Counter(entry.split(".")[0] for entry in signal.matched)
        return max(found, key=lambda code: (hits[code], code not in ENGLISH, code == "en"))
    return chosen if chosen in known else "en"


def journal_note(signal: Signal, setting: str = "", text: str = "") -> str:
    """The note for a message that fired the scan; `text` only tells whether Hindi or
    Urdu was written in Latin letters, and is not kept."""
    code = language_for(signal, setting)
    if code in LATIN_TOO and _mostly_latin(text):
        code = LATIN_TOO[code]
    return notes()[code]

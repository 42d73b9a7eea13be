"""The person's own records: journal entries, memories, commitments and moods.

Validation and the operations the CLI and the TUI share; no argparse, no Textual.
Every function takes an open `Vault` and holds its lock while it works, so the TUI's
worker threads may call these too. Mistakes raise `UsageError` (exit 2) with one
sentence the person can act on; nothing is stored when a check fails.

Text is stored exactly as given (any Unicode, any length) once it passes `clean_text`:
not empty after trimming whitespace, and no lone surrogates (which are not text: they
are what Python makes of bytes that were not valid UTF-8).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta
from typing import TYPE_CHECKING

from companion import i18n
from companion.domain import MEMORY_KINDS, Commitment, JournalEntry, Memory, Mood
from companion.errors import UsageError
from companion.i18n import t

if TYPE_CHECKING:
    from companion.vault import Vault

MOOD_MIN, MOOD_MAX = 1, 5
MAX_QUERY_WORDS = 64
"""Words beyond this many in a search are ignored; the first ones already rank well."""
_SEARCH_SCAN = 5000
"""How many hits of every kind to read before keeping one kind (the index mixes kinds)."""
_SURROGATE = re.compile("[\ud800-\udfff]")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class NotFound(UsageError):
    """An id that names no record of that kind."""


# validation ---------------------------------------------------------------------------


_WHAT = {"text": "text", "journal entry": "journal", "memory": "memory",
         "commitment": "commitment", "the message": "message", "message": "message"}
"""What callers call their text → the catalogue's word for it (`memory_errors.empty_*`)."""


def _about(problem: str, what: str) -> str:
    return t(f"memory_errors.{problem}_{_WHAT.get(what, 'text')}")


def decode_input(data: bytes, what: str = "text") -> str:
    """Bytes read from stdin → str, strictly as UTF-8 (which also refuses encoded
    surrogates such as b"\\xed\\xa0\\x80")."""
    try:
        return data.decode("utf-8", errors="strict")
    except UnicodeDecodeError:
        raise UsageError(_about("stdin_not_utf8", what)) from None


def clean_text(text: str, what: str = "text") -> str:
    """Return `text` unchanged if it can be stored; raise UsageError otherwise."""
    if _SURROGATE.search(text):
        raise UsageError(_about("not_utf8", what))
    if not text.strip():
        raise UsageError(_about("empty", what))
    return text


def clean_note(note: str) -> str:
    """A mood's note may be empty, but must be text."""
    if _SURROGATE.search(note):
        raise UsageError(t("memory_errors.note_not_utf8"))
    return note


def parse_kind(kind: str) -> str:
    if kind not in MEMORY_KINDS:
        raise UsageError(t("memory_errors.bad_kind", kinds=", ".join(MEMORY_KINDS),
                           value=_short(kind)))
    return kind


def parse_due(text: str, today: date | None = None) -> str:
    """YYYY-MM-DD, `today` or `tomorrow` → an ISO date string; the two words in the
    person's language too (`dates.today`), as the hints in that language name them."""
    base = today or date.today()
    word = text.strip().lower()
    if word in ("today", t("dates.today").lower()):
        return base.isoformat()
    if word in ("tomorrow", t("dates.tomorrow").lower()):
        return (base + timedelta(days=1)).isoformat()
    if _ISO_DATE.fullmatch(word):
        try:
            return date.fromisoformat(word).isoformat()
        except ValueError:
            pass
    raise UsageError(t("memory_errors.bad_due", value=_short(text)))


def parse_score(value: str | int) -> int:
    """A mood from 1 (very low) to 5 (very good)."""
    try:
        score = int(str(value).strip(), 10)
    except ValueError:
        score = 0
    if not MOOD_MIN <= score <= MOOD_MAX:
        raise UsageError(t("memory_errors.bad_mood", low=MOOD_MIN, high=MOOD_MAX,
                           value=_short(str(value))))
    return score


def _is_word_char(char: str) -> bool:
    # The index's tokenizer (unicode61) keeps letters, numbers, private-use characters
    # and combining marks together; everything else separates words.
    category = unicodedata.category(char)
    return category[0] in "LNM" or category == "Co"


def match_query(query: str) -> str:
    """An FTS5 MATCH expression built from the words of `query`, never from its syntax:
    each word double-quoted (so AND, NEAR, `*`, `:` and quotes mean nothing), joined
    with OR. Raises UsageError when no word is left."""
    if _SURROGATE.search(query):
        raise UsageError(t("memory_errors.search_not_utf8"))
    words: list[str] = []
    current: list[str] = []
    for char in query + " ":
        if _is_word_char(char):
            current.append(char)
        elif current:
            word = "".join(current)
            current = []
            if word.casefold() not in (w.casefold() for w in words):
                words.append(word)
    if not words:
        raise UsageError(t("memory_errors.search_empty"))
    return " OR ".join(f'"{w}"' for w in words[:MAX_QUERY_WORDS])


def _short(text: str, limit: int = 40) -> str:
    text = _SURROGATE.sub("\ufffd", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# journal ------------------------------------------------------------------------------


def add_journal(vault: Vault, text: str, remember: bool = True) -> JournalEntry:
    """Store an entry as written; `remember=False` keeps it out of conversations."""
    text = clean_text(text, "journal entry")
    with vault.lock:
        return vault.journal.add(text, remember=remember)


def journal_entries(vault: Vault, limit: int | None = None) -> list[JournalEntry]:
    """Newest first."""
    with vault.lock:
        return vault.journal.list(limit)


def get_journal(vault: Vault, entry_id: int) -> JournalEntry:
    with vault.lock:
        entry = vault.journal.get(entry_id)
    if entry is None:
        raise NotFound(t("memory_errors.no_journal_entry", entry_id=entry_id))
    return entry


def search_journal(vault: Vault, query: str, limit: int = 20) -> list[JournalEntry]:
    """Journal entries only, best match first."""
    expression = match_query(query)
    with vault.lock:
        ids = _hits(vault, expression, "journal", limit)
        found = [vault.journal.get(i) for i in ids]
    return [e for e in found if e is not None]


def delete_journal(vault: Vault, entry_id: int) -> None:
    """Delete an entry and fold the WAL back, so its text leaves every file."""
    with vault.lock:
        if not vault.journal.delete(entry_id):
            raise NotFound(t("memory_errors.no_journal_entry", entry_id=entry_id))
        vault.checkpoint()


def _hits(vault: Vault, expression: str, kind: str, limit: int) -> list[int]:
    hits = vault.search.match(expression, limit=_SEARCH_SCAN)
    return [item_id for hit_kind, item_id, _score in hits if hit_kind == kind][:limit]


# memories -----------------------------------------------------------------------------


def add_memory(vault: Vault, text: str, kind: str = "fact") -> Memory:
    """A memory the person adds by hand: accepted at once, source "manual"."""
    text = clean_text(text, "memory")
    kind = parse_kind(kind)
    with vault.lock:
        return vault.memories.add(kind, text, source_kind="manual")


def memories(vault: Vault, proposed: bool = False) -> list[Memory]:
    """Accepted memories (or the proposals waiting for review), newest first."""
    with vault.lock:
        return vault.memories.list("proposed" if proposed else "accepted")


def get_memory(vault: Vault, memory_id: int) -> Memory:
    with vault.lock:
        memory = vault.memories.get(memory_id)
    if memory is None:
        raise NotFound(t("memory_errors.no_memory", memory_id=memory_id))
    return memory


def search_memories(vault: Vault, query: str, limit: int = 20) -> list[Memory]:
    """Accepted memories only (proposals are not indexed), best match first."""
    expression = match_query(query)
    with vault.lock:
        ids = _hits(vault, expression, "memory", limit)
        found = [vault.memories.get(i) for i in ids]
    return [m for m in found if m is not None]


def edit_memory(vault: Vault, memory_id: int, text: str | None = None,
                kind: str | None = None) -> Memory:
    """Change a memory's words and/or kind; its status and source stay."""
    if text is not None:
        text = clean_text(text, "memory")
    if kind is not None:
        kind = parse_kind(kind)
    with vault.lock:
        get_memory(vault, memory_id)
        vault.memories.edit(memory_id, content=text, kind=kind)
        if text is not None:
            vault.checkpoint()  # the old words leave the WAL
        return get_memory(vault, memory_id)


def forget_memory(vault: Vault, memory_id: int) -> Memory:
    """Delete a memory (accepted or proposed) from the table, the index and the WAL.
    Returns what was forgotten, for the caller to confirm."""
    with vault.lock:
        memory = get_memory(vault, memory_id)
        vault.memories.delete(memory_id)
        vault.checkpoint()
    return memory


def accept_memory(vault: Vault, memory_id: int) -> Memory:
    """A proposal becomes a memory the companion may recall; accepting twice is harmless."""
    with vault.lock:
        memory = get_memory(vault, memory_id)
        if memory.status != "proposed":
            return memory
        vault.memories.edit(memory_id, status="accepted")
        return get_memory(vault, memory_id)


def discard_memory(vault: Vault, memory_id: int) -> Memory:
    """Delete a proposal; an accepted memory is refused (that is `forget_memory`)."""
    with vault.lock:
        memory = get_memory(vault, memory_id)
        if memory.status != "proposed":
            raise UsageError(t("memory_errors.not_a_proposal", memory_id=memory_id))
        vault.memories.delete(memory_id)
        vault.checkpoint()
    return memory


def describe_source(memory: Memory, language: str | None = None) -> str:
    """Where a memory came from, in words: the reader's language, or `language` (English
    for --json, whose values must not change with the reader)."""
    code = language or i18n.current()
    where = (i18n.t_as(code, "sources.in_conversation", conversation=memory.conversation_id)
             if memory.conversation_id else "")
    ref = f" #{memory.source_id}" if memory.source_id is not None else ""
    key = {"manual": "manual", "message": "message", "journal": "journal",
           "summary": "summary"}.get(memory.source_kind, "other")
    return i18n.t_as(code, f"sources.{key}", ref=ref, where=where, kind=memory.source_kind)


# commitments --------------------------------------------------------------------------


def add_commitment(vault: Vault, text: str, due: str | None = None,
                   today: date | None = None) -> Commitment:
    """Something the person means to do, open at once; `due` as `parse_due` reads it."""
    text = clean_text(text, "commitment")
    due_date = parse_due(due, today) if due is not None else None
    with vault.lock:
        return vault.commitments.add(text, due_date)


def commitments(vault: Vault, include_all: bool = False) -> list[Commitment]:
    """Proposed and open ones (all of them with `include_all`), soonest due first."""
    statuses = ("proposed", "open", "done", "dropped") if include_all else ("proposed", "open")
    with vault.lock:
        return vault.commitments.list(statuses)


def get_commitment(vault: Vault, commitment_id: int) -> Commitment:
    with vault.lock:
        item = vault.commitments.get(commitment_id)
    if item is None:
        raise NotFound(t("memory_errors.no_commitment", commitment_id=commitment_id))
    return item


def _set_status(vault: Vault, commitment_id: int, status: str) -> Commitment:
    with vault.lock:
        get_commitment(vault, commitment_id)
        vault.commitments.set_status(commitment_id, status)
        return get_commitment(vault, commitment_id)


def complete_commitment(vault: Vault, commitment_id: int) -> Commitment:
    return _set_status(vault, commitment_id, "done")


def drop_commitment(vault: Vault, commitment_id: int) -> Commitment:
    return _set_status(vault, commitment_id, "dropped")


def accept_commitment(vault: Vault, commitment_id: int) -> Commitment:
    """A proposed commitment becomes open; an open one stays open."""
    with vault.lock:
        item = get_commitment(vault, commitment_id)
        if item.status == "open":
            return item
        if item.status != "proposed":
            raise UsageError(t(f"memory_errors.commitment_already_{item.status}",
                               commitment_id=commitment_id))
        return _set_status(vault, commitment_id, "open")


# moods --------------------------------------------------------------------------------


def add_mood(vault: Vault, score: str | int, note: str = "") -> Mood:
    value = parse_score(score)
    note = clean_note(note)
    with vault.lock:
        return vault.moods.add(value, note)


def moods(vault: Vault) -> list[Mood]:
    """Newest first."""
    with vault.lock:
        return vault.moods.list()

"""Finding what the companion should remember before it replies.

BM25 over memories, journal entries and summaries (SQLite FTS5 inside the encrypted
database) finds candidates; the ranking blends that relevance with recency and
importance so an old, minor match does not crowd out what matters now. Everything is
deterministic: the same vault and words recall the same items.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone

from companion.domain import Recalled
from companion.vault import Vault

_WORD = re.compile(r"\w+", re.UNICODE)
# Words that match nearly everything tell BM25 little and cost the most to rank.
_STOP_WORDS = """a an and are as at be but by for from had has have he her his i in is it its
me my of on or our she so that the their them they this to too was we were what when who
will with you your am do did does not no yes just very really"""
_STOP = frozenset(_STOP_WORDS.split())
MAX_TERMS = 16
"""Ranking cost grows with every term's matches; past 16 terms recall p95 at 100k items
went over 20 ms (bench/memory.py), so a long message keeps its 16 longest words."""


@dataclass(frozen=True)
class Weights:
    relevance: float = 0.6
    recency: float = 0.25
    importance: float = 0.15
    half_life_days: float = 30.0


def fts_query(text: str) -> str | None:
    """The person's words as an OR of quoted terms: never FTS5 syntax from user text."""
    terms: list[str] = []
    for word in _WORD.findall(text.lower()):
        if len(word) < 2 or word in _STOP or word in terms:
            continue
        terms.append(word)
    if not terms:
        return None
    if len(terms) > MAX_TERMS:  # longer words are rarer, so they say more about the topic
        keep = set(sorted(terms, key=lambda t: (-len(t), terms.index(t)))[:MAX_TERMS])
        terms = [t for t in terms if t in keep]
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)


def _age_days(created_at: str, now: datetime) -> float:
    try:
        then = datetime.fromisoformat(created_at)
    except ValueError:
        return 365.0
    if then.tzinfo is None:
        then = then.replace(tzinfo=timezone.utc)
    return max(0.0, (now - then).total_seconds() / 86400)


def recall(vault: Vault, text: str, *, limit: int = 5, candidates: int = 50,
           skip_conversation: int | None = None, now: datetime | None = None,
           weights: Weights = Weights()) -> list[Recalled]:
    query = fts_query(text)
    if query is None or limit <= 0:
        return []
    moment = now or datetime.now(timezone.utc)
    with vault.lock:
        hits = vault.search.match(query, candidates)
        items = vault.search.items(hits, skip_conversation)
    if not hits:
        return []
    best = min(score for _, _, score in hits) or -1e-9  # bm25: more negative is better
    ranked = []
    for kind, item_id, bm25 in hits:
        item = items.get((kind, item_id))
        if item is None:
            continue
        text_, created_at, importance = item
        relevance = bm25 / best if best else 0.0
        recency = 0.5 ** (_age_days(created_at, moment) / weights.half_life_days)
        score = (weights.relevance * relevance + weights.recency * recency
                 + weights.importance * importance)
        ranked.append(Recalled(kind, item_id, text_, created_at, round(score, 6)))
    ranked.sort(key=lambda r: (-r.score, r.kind, r.item_id))
    return ranked[:limit]


def explain(vault: Vault, message_id: int) -> list[tuple[str, int, float, str | None]]:
    """What was recalled for a reply: (kind, id, score, text, or None once forgotten)."""
    from companion.errors import UsageError
    from companion.i18n import t

    with vault.lock:
        row = vault.conversations.message(message_id)
        if row is None:
            raise UsageError(t("memory_errors.no_message", message_id=message_id))
        recalled = vault.recalls.for_message(message_id)
        items = vault.search.items([(k, i, s) for k, i, s in recalled], None)
    return [(k, i, s, items[(k, i)][0] if (k, i) in items else None) for k, i, s in recalled]

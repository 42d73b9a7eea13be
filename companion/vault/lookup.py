"""Loading the items a full-text search found, with what recall needs to rank them.

Only items recall may use come back: accepted memories, journal entries the person
allowed the companion to remember, and summaries.
"""

from __future__ import annotations

from typing import Any

from companion.vault.connection import Connection

_QUERIES = {
    "memory": "SELECT id, content, created_at, importance FROM memories"
              " WHERE status = 'accepted' AND id IN ({marks})",
    "journal": "SELECT id, content, created_at, 0.5 FROM journal"
               " WHERE remember = 1 AND id IN ({marks})",
    "summary": "SELECT id, content, created_at, 0.4 FROM summaries"
               " WHERE id IN ({marks}) AND conversation_id IS NOT ?",
}


def load_items(conn: Connection, hits: list[tuple[str, int, float]],
               skip_conversation: int | None = None) -> dict[tuple[str, int], tuple[Any, ...]]:
    """(kind, id) → (text, created_at, importance); the summary of `skip_conversation`
    is left out because that conversation is already in the prompt verbatim."""
    found: dict[tuple[str, int], tuple[Any, ...]] = {}
    for kind, sql in _QUERIES.items():
        ids = [item_id for k, item_id, _ in hits if k == kind]
        if not ids:
            continue
        params: tuple[Any, ...] = tuple(ids)
        if kind == "summary":
            params = (*params, skip_conversation)
        rows = conn.execute(sql.format(marks=", ".join("?" for _ in ids)), params).fetchall()
        for row in rows:
            found[(kind, int(row[0]))] = (str(row[1]), str(row[2]), float(row[3]))
    return found

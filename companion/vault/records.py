"""The person's records beyond conversations: journal, memories, summaries, commitments,
moods, and which items each reply recalled.

One small class per kind, each the only code that writes its table. Full-text search
over memories, journal and summaries is kept in step by triggers (see migrations).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from companion.domain import Commitment, JournalEntry, Memory, Mood, Summary
from companion.vault.connection import Connection, transaction

KIND_CODES = {"memory": 1, "journal": 2, "summary": 3}
CODE_KINDS = {code: kind for kind, code in KIND_CODES.items()}


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


class _Table:
    table = ""
    columns = ""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def _select(self, where: str = "", params: tuple[Any, ...] = (),
                order: str = "id") -> list[tuple[Any, ...]]:
        sql = f"SELECT {self.columns} FROM {self.table} {where} ORDER BY {order}"
        return list(self._conn.execute(sql, params).fetchall())

    def _insert(self, values: dict[str, Any]) -> int:
        names = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        with transaction(self._conn):
            cur = self._conn.execute(f"INSERT INTO {self.table} ({names}) VALUES ({marks})",
                                     tuple(values.values()))
        return int(cur.lastrowid)

    def _update(self, item_id: int, values: dict[str, Any]) -> bool:
        sets = ", ".join(f"{k} = ?" for k in values)
        with transaction(self._conn):
            cur = self._conn.execute(f"UPDATE {self.table} SET {sets} WHERE id = ?",
                                     (*values.values(), item_id))
        return bool(cur.rowcount)

    def delete(self, item_id: int) -> bool:
        with transaction(self._conn):
            cur = self._conn.execute(f"DELETE FROM {self.table} WHERE id = ?", (item_id,))
        return bool(cur.rowcount)

    def count(self) -> int:
        return int(self._conn.execute(f"SELECT count(*) FROM {self.table}").fetchone()[0])


class Journal(_Table):
    table = "journal"
    columns = "id, content, created_at, remember"

    def _make(self, row: tuple[Any, ...]) -> JournalEntry:
        return JournalEntry(row[0], row[1], row[2], bool(row[3]))

    def add(self, content: str, remember: bool = True) -> JournalEntry:
        created = now()
        new_id = self._insert({"content": content, "created_at": created,
                               "remember": int(remember)})
        return JournalEntry(new_id, content, created, remember)

    def get(self, entry_id: int) -> JournalEntry | None:
        rows = self._select("WHERE id = ?", (entry_id,))
        return self._make(rows[0]) if rows else None

    def list(self, limit: int | None = None) -> list[JournalEntry]:
        tail = f" LIMIT {int(limit)}" if limit else ""
        return [self._make(r) for r in self._select(order="id DESC" + tail)]


class Memories(_Table):
    table = "memories"
    columns = ("id, kind, content, importance, status, source_kind, source_id, conversation_id,"
               " created_at, updated_at, used_count, last_used_at")

    def _make(self, row: tuple[Any, ...]) -> Memory:
        return Memory(*row)

    def add(self, kind: str, content: str, *, source_kind: str = "manual",
            source_id: int | None = None, conversation_id: int | None = None,
            importance: float = 0.5, status: str = "accepted") -> Memory:
        created = now()
        new_id = self._insert({
            "kind": kind, "content": content, "importance": importance, "status": status,
            "source_kind": source_kind, "source_id": source_id,
            "conversation_id": conversation_id, "created_at": created, "updated_at": created,
        })
        return Memory(new_id, kind, content, importance, status, source_kind, source_id,
                      conversation_id, created, created)

    def get(self, memory_id: int) -> Memory | None:
        rows = self._select("WHERE id = ?", (memory_id,))
        return self._make(rows[0]) if rows else None

    def list(self, status: str = "accepted") -> list[Memory]:
        return [self._make(r) for r in self._select("WHERE status = ?", (status,), "id DESC")]

    def edit(self, memory_id: int, *, content: str | None = None, kind: str | None = None,
             status: str | None = None) -> bool:
        values: dict[str, Any] = {"updated_at": now()}
        for key, value in (("content", content), ("kind", kind), ("status", status)):
            if value is not None:
                values[key] = value
        return self._update(memory_id, values)

    def mark_used(self, memory_ids: list[int]) -> None:
        if not memory_ids:
            return
        stamp = now()
        with transaction(self._conn):
            self._conn.executemany(
                "UPDATE memories SET used_count = used_count + 1, last_used_at = ? WHERE id = ?",
                [(stamp, i) for i in memory_ids])


class Summaries(_Table):
    table = "summaries"
    columns = "id, conversation_id, content, up_to_message_id, created_at"

    def for_conversation(self, conversation_id: int) -> Summary | None:
        rows = self._select("WHERE conversation_id = ?", (conversation_id,))
        return Summary(*rows[0]) if rows else None

    def put(self, conversation_id: int, content: str, up_to_message_id: int) -> Summary:
        """One summary per conversation, rewritten as the conversation grows."""
        created = now()
        with transaction(self._conn):
            self._conn.execute(
                "INSERT INTO summaries (conversation_id, content, up_to_message_id, created_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (conversation_id) DO UPDATE SET"
                " content = excluded.content, up_to_message_id = excluded.up_to_message_id,"
                " created_at = excluded.created_at",
                (conversation_id, content, up_to_message_id, created))
        found = self.for_conversation(conversation_id)
        assert found is not None
        return found

    def list(self) -> list[Summary]:
        return [Summary(*r) for r in self._select(order="id DESC")]

    def stale_conversations(self) -> list[int]:
        """Conversations with messages newer than their summary (or none yet)."""
        rows = self._conn.execute(
            "SELECT c.id FROM conversations c LEFT JOIN summaries s ON s.conversation_id = c.id"
            " WHERE EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id"
            "   AND m.id > coalesce(s.up_to_message_id, 0))"
            " ORDER BY c.updated_at").fetchall()
        return [int(r[0]) for r in rows]


class Commitments(_Table):
    table = "commitments"
    columns = ("id, content, due, status, source_message_id, conversation_id, created_at,"
               " checked_in_at, answer")

    def add(self, content: str, due: str | None = None, *, status: str = "open",
            source_message_id: int | None = None,
            conversation_id: int | None = None) -> Commitment:
        created = now()
        new_id = self._insert({"content": content, "due": due, "status": status,
                               "source_message_id": source_message_id,
                               "conversation_id": conversation_id, "created_at": created})
        return Commitment(new_id, content, due, status, source_message_id, conversation_id,
                          created)

    def get(self, commitment_id: int) -> Commitment | None:
        rows = self._select("WHERE id = ?", (commitment_id,))
        return Commitment(*rows[0]) if rows else None

    def list(self, statuses: tuple[str, ...] = ("open",)) -> list[Commitment]:
        marks = ", ".join("?" for _ in statuses)
        return [Commitment(*r) for r in self._select(f"WHERE status IN ({marks})", statuses,
                                                     "coalesce(due, '9999'), id")]

    def set_status(self, commitment_id: int, status: str) -> bool:
        return self._update(commitment_id, {"status": status})

    def due_unchecked(self, today: str) -> list[Commitment]:
        """Open commitments due on or before `today` that have not been checked in on."""
        return [Commitment(*r) for r in self._select(
            "WHERE status = 'open' AND due IS NOT NULL AND due <= ? AND checked_in_at IS NULL",
            (today,), "due, id")]

    def record_check_in(self, commitment_id: int, answer: str | None = None) -> bool:
        values: dict[str, Any] = {"checked_in_at": now()}
        if answer is not None:
            values["answer"] = answer
        return self._update(commitment_id, values)


class Moods(_Table):
    table = "moods"
    columns = "id, score, note, created_at, conversation_id"

    def add(self, score: int, note: str = "", conversation_id: int | None = None) -> Mood:
        created = now()
        new_id = self._insert({"score": score, "note": note, "created_at": created,
                               "conversation_id": conversation_id})
        return Mood(new_id, score, note, created, conversation_id)

    def list(self) -> list[Mood]:
        return [Mood(*r) for r in self._select(order="id DESC")]


class Recalls:
    """Which items were put before the model for each reply: "why did you say that?"."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def record(self, message_id: int, items: list[tuple[str, int, float]]) -> None:
        with transaction(self._conn):
            self._conn.executemany(
                "INSERT INTO recalls (message_id, kind, item_id, score) VALUES (?, ?, ?, ?)",
                [(message_id, kind, item_id, score) for kind, item_id, score in items])

    def for_message(self, message_id: int) -> list[tuple[str, int, float]]:
        rows = self._conn.execute(
            "SELECT kind, item_id, score FROM recalls WHERE message_id = ? ORDER BY score DESC",
            (message_id,)).fetchall()
        return [(str(r[0]), int(r[1]), float(r[2])) for r in rows]


class Search:
    """BM25 over memories, journal entries and summaries in the encrypted database."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def match(self, query: str, limit: int = 50) -> list[tuple[str, int, float]]:
        """(kind, item id, bm25) best first; bm25 is negative, lower is better."""
        rows = self._conn.execute(
            "SELECT rowid, bm25(search) FROM search WHERE search MATCH ?"
            " ORDER BY rank LIMIT ?", (query, limit)).fetchall()
        return [(CODE_KINDS[int(r[0]) % 4], int(r[0]) // 4, float(r[1])) for r in rows]

    def items(self, hits: list[tuple[str, int, float]],
              skip_conversation: int | None = None) -> dict[tuple[str, int], tuple[Any, ...]]:
        from companion.vault.lookup import load_items

        return load_items(self._conn, hits, skip_conversation)

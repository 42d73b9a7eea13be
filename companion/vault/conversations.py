"""Conversations and messages: the only code that writes them to the vault."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from companion.domain import Conversation, Message, Provenance, Role
from companion.vault.connection import Connection, transaction

TITLE_LENGTH = 60


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def _title_from(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= TITLE_LENGTH else line[: TITLE_LENGTH - 1] + "…"


class Conversations:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def create(self) -> Conversation:
        now = _now()
        cur = self._conn.execute(
            "INSERT INTO conversations (title, created_at, updated_at) VALUES ('', ?, ?)",
            (now, now),
        )
        return Conversation(id=int(cur.lastrowid), title="", created_at=now, updated_at=now)

    def get(self, conversation_id: int) -> Conversation | None:
        row = self._conn.execute(
            "SELECT c.id, c.title, c.created_at, c.updated_at,"
            " (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id), c.mode"
            " FROM conversations c WHERE c.id = ?",
            (conversation_id,),
        ).fetchone()
        return Conversation(*row) if row else None

    def list(self) -> list[Conversation]:
        """Newest activity first, the order a person looks for them in."""
        rows = self._conn.execute(
            "SELECT c.id, c.title, c.created_at, c.updated_at,"
            " (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id), c.mode"
            " FROM conversations c ORDER BY c.updated_at DESC, c.id DESC"
        ).fetchall()
        return [Conversation(*row) for row in rows]

    def latest(self) -> Conversation | None:
        items = self.list()
        return items[0] if items else None

    def add_message(
        self,
        conversation_id: int,
        role: Role,
        content: str,
        *,
        stopped: bool = False,
        provenance: Provenance | None = None,
        speaker: str | None = None,
    ) -> Message:
        """Store one message durably before returning (synchronous=FULL commit)."""
        now = _now()
        prov = json.dumps(provenance.as_dict()) if provenance else None
        with transaction(self._conn):
            cur = self._conn.execute(
                "INSERT INTO messages (conversation_id, role, content, created_at, stopped,"
                " provenance, speaker) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (conversation_id, role, content, now, int(stopped), prov, speaker),
            )
            self._conn.execute(
                "UPDATE conversations SET updated_at = ?,"
                " title = CASE WHEN title = '' AND ? = 'user' THEN ? ELSE title END"
                " WHERE id = ?",
                (now, role, _title_from(content), conversation_id),
            )
        return Message(
            id=int(cur.lastrowid),
            conversation_id=conversation_id,
            role=role,
            content=content,
            created_at=now,
            stopped=stopped,
            provenance=provenance,
            speaker=speaker,
        )

    def message(self, message_id: int) -> Message | None:
        row = self._conn.execute("SELECT conversation_id FROM messages WHERE id = ?",
                                 (message_id,)).fetchone()
        if row is None:
            return None
        return next(m for m in self.messages(int(row[0])) if m.id == message_id)

    def messages(self, conversation_id: int) -> list[Message]:
        rows = self._conn.execute(
            "SELECT id, conversation_id, role, content, created_at, stopped, provenance,"
            " speaker FROM messages WHERE conversation_id = ? ORDER BY id",
            (conversation_id,),
        ).fetchall()
        return [
            Message(
                id=row[0],
                conversation_id=row[1],
                role=row[2],
                content=row[3],
                created_at=row[4],
                stopped=bool(row[5]),
                provenance=Provenance.from_dict(json.loads(row[6])) if row[6] else None,
                speaker=row[7],
            )
            for row in rows
        ]

    def mode(self, conversation_id: int) -> tuple[str, dict[str, object]]:
        row = self._conn.execute("SELECT mode, mode_state FROM conversations WHERE id = ?",
                                 (conversation_id,)).fetchone()
        return ("listen", {}) if row is None else (str(row[0]), json.loads(row[1]))

    def set_mode(self, conversation_id: int, mode: str,
                 state: dict[str, object] | None = None) -> None:
        with transaction(self._conn):
            self._conn.execute("UPDATE conversations SET mode = ?, mode_state = ? WHERE id = ?",
                               (mode, json.dumps(state or {}), conversation_id))

    def edit_message(self, message_id: int, content: str) -> bool:
        with transaction(self._conn):
            cur = self._conn.execute("UPDATE messages SET content = ? WHERE id = ?",
                                     (content, message_id))
        return bool(cur.rowcount)

    def delete_message(self, message_id: int) -> bool:
        """Gone for real: secure_delete is on; the caller checkpoints the WAL."""
        with transaction(self._conn):
            cur = self._conn.execute("DELETE FROM messages WHERE id = ?", (message_id,))
        return bool(cur.rowcount)

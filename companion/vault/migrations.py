"""Schema changes as an ordered list; `PRAGMA user_version` records how far we got.

Append only: a released migration is never edited, so every vault ever created can
walk forward to today's schema.
"""

from __future__ import annotations

from companion.vault.connection import Connection, transaction

MIGRATIONS: list[tuple[str, ...]] = [
    # 1: conversations and their messages, with the provenance of every reply.
    (
        """CREATE TABLE conversations (
            id INTEGER PRIMARY KEY,
            title TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""",
        """CREATE TABLE messages (
            id INTEGER PRIMARY KEY,
            conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
            role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
            content TEXT NOT NULL,
            created_at TEXT NOT NULL,
            stopped INTEGER NOT NULL DEFAULT 0,
            provenance TEXT
        )""",
        "CREATE INDEX messages_by_conversation ON messages (conversation_id, id)",
        "CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    ),
    # 2: the pin history; the newest row not retired is the pin in force.
    (
        """CREATE TABLE pins (
            id INTEGER PRIMARY KEY,
            created_at TEXT NOT NULL,
            data TEXT NOT NULL,
            retired_at TEXT
        )""",
    ),
]


def current_version(conn: Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: Connection) -> int:
    """Bring the schema up to date; each step commits with its version number."""
    version = current_version(conn)
    for number, statements in enumerate(MIGRATIONS[version:], start=version + 1):
        with transaction(conn):
            for statement in statements:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")
    return current_version(conn)

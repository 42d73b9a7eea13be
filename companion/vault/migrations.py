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
    # 3: memory: journal, memory items, summaries, commitments, moods, what each reply
    # recalled, and one full-text index over everything recall may search.
    (
        """CREATE TABLE journal (
            id INTEGER PRIMARY KEY,
            content TEXT NOT NULL,
            created_at TEXT NOT NULL,
            remember INTEGER NOT NULL DEFAULT 1
        )""",
        """CREATE TABLE memories (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            content TEXT NOT NULL,
            importance REAL NOT NULL DEFAULT 0.5,
            status TEXT NOT NULL DEFAULT 'accepted' CHECK (status IN ('accepted', 'proposed')),
            source_kind TEXT NOT NULL,
            source_id INTEGER,
            conversation_id INTEGER REFERENCES conversations(id) ON DELETE CASCADE,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            used_count INTEGER NOT NULL DEFAULT 0,
            last_used_at TEXT
        )""",
        "CREATE INDEX memories_by_status ON memories (status, id)",
        """CREATE TABLE summaries (
            id INTEGER PRIMARY KEY,
            conversation_id INTEGER NOT NULL UNIQUE
                REFERENCES conversations(id) ON DELETE CASCADE,
            content TEXT NOT NULL,
            up_to_message_id INTEGER NOT NULL,
            created_at TEXT NOT NULL
        )""",
        """CREATE TABLE commitments (
            id INTEGER PRIMARY KEY,
            content TEXT NOT NULL,
            due TEXT,
            status TEXT NOT NULL DEFAULT 'open'
                CHECK (status IN ('proposed', 'open', 'done', 'dropped')),
            source_message_id INTEGER,
            conversation_id INTEGER REFERENCES conversations(id) ON DELETE CASCADE,
            created_at TEXT NOT NULL,
            checked_in_at TEXT,
            answer TEXT
        )""",
        """CREATE TABLE moods (
            id INTEGER PRIMARY KEY,
            score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
            note TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            conversation_id INTEGER REFERENCES conversations(id) ON DELETE SET NULL
        )""",
        """CREATE TABLE recalls (
            message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            item_id INTEGER NOT NULL,
            score REAL NOT NULL
        )""",
        "CREATE INDEX recalls_by_message ON recalls (message_id)",
        # One index over everything recall searches. Its rowid is item id * 4 + kind
        # (1 memory, 2 journal, 3 summary), so keeping it in step is a lookup, not a scan.
        """CREATE VIRTUAL TABLE search USING fts5(
            body, tokenize = 'unicode61 remove_diacritics 2'
        )""",
        # Deleted text must leave the index's pages too, not only the table's.
        "INSERT INTO search (search, rank) VALUES ('secure-delete', 1)",
        """CREATE TRIGGER memories_ai AFTER INSERT ON memories WHEN new.status = 'accepted' BEGIN
             INSERT INTO search (rowid, body) VALUES (new.id * 4 + 1, new.content);
           END""",
        """CREATE TRIGGER memories_au AFTER UPDATE OF content, status ON memories BEGIN
             DELETE FROM search WHERE rowid = old.id * 4 + 1;
             INSERT INTO search (rowid, body)
               SELECT new.id * 4 + 1, new.content WHERE new.status = 'accepted';
           END""",
        """CREATE TRIGGER memories_ad AFTER DELETE ON memories BEGIN
             DELETE FROM search WHERE rowid = old.id * 4 + 1;
           END""",
        """CREATE TRIGGER journal_ai AFTER INSERT ON journal BEGIN
             INSERT INTO search (rowid, body) VALUES (new.id * 4 + 2, new.content);
           END""",
        """CREATE TRIGGER journal_au AFTER UPDATE OF content ON journal BEGIN
             DELETE FROM search WHERE rowid = old.id * 4 + 2;
             INSERT INTO search (rowid, body)
               SELECT new.id * 4 + 2, new.content;
           END""",
        """CREATE TRIGGER journal_ad AFTER DELETE ON journal BEGIN
             DELETE FROM search WHERE rowid = old.id * 4 + 2;
           END""",
        """CREATE TRIGGER summaries_ai AFTER INSERT ON summaries BEGIN
             INSERT INTO search (rowid, body) VALUES (new.id * 4 + 3, new.content);
           END""",
        """CREATE TRIGGER summaries_au AFTER UPDATE OF content ON summaries BEGIN
             DELETE FROM search WHERE rowid = old.id * 4 + 3;
             INSERT INTO search (rowid, body)
               SELECT new.id * 4 + 3, new.content;
           END""",
        """CREATE TRIGGER summaries_ad AFTER DELETE ON summaries BEGIN
             DELETE FROM search WHERE rowid = old.id * 4 + 3;
           END""",
    ),
    # 4: care: a mode per conversation (with its state: rehearsal role, room voices,
    # exercise), who spoke each message, the safety plan, trusted contacts, exercise
    # progress and time spent (for boundaries the person sets).
    (
        "ALTER TABLE conversations ADD COLUMN mode TEXT NOT NULL DEFAULT 'listen'",
        "ALTER TABLE conversations ADD COLUMN mode_state TEXT NOT NULL DEFAULT '{}'",
        "ALTER TABLE messages ADD COLUMN speaker TEXT",
        """CREATE TABLE safety_plan (
            section TEXT PRIMARY KEY,
            content TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""",
        """CREATE TABLE contacts (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            how TEXT NOT NULL DEFAULT '',
            note TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL
        )""",
        """CREATE TABLE exercise_progress (
            id INTEGER PRIMARY KEY,
            conversation_id INTEGER REFERENCES conversations(id) ON DELETE CASCADE,
            exercise TEXT NOT NULL,
            step INTEGER NOT NULL DEFAULT 0,
            answers TEXT NOT NULL DEFAULT '[]',
            started_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            finished_at TEXT
        )""",
        """CREATE TABLE usage (
            day TEXT PRIMARY KEY,
            seconds REAL NOT NULL DEFAULT 0
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

"""Forgetting: one conversation with everything learned from it, or the whole vault.

Deleted text must leave the files, not only the tables: the vault runs with
`secure_delete=ON` (freed pages are zeroed), its full-text index with FTS5's
secure-delete, and after forgetting the WAL is checkpointed and truncated so no old
page image stays behind in it.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from companion.paths import Paths
from companion.vault import Vault
from companion.vault.connection import Connection, transaction
from companion.vault.private_files import fsync_dir
from companion.vault.restore import vault_files

PHRASE = "forget everything"
"""What the person types to wipe the vault; nothing else will do."""

CURRENT_KEY = "current_conversation"  # companion.conversation.session.CURRENT_KEY
DRAFT_KEY = "draft"  # companion.conversation.session.DRAFT_KEY
AWAITING_KEY = "awaiting_check_in"  # companion.memory.checkin.AWAITING_KEY


@dataclass(frozen=True)
class Forgotten:
    """What deleting one conversation removed, for the sentence that reports it."""

    conversation_id: int
    messages: int
    summaries: int
    memories: int
    commitments: int
    """Proposed commitments from it, deleted."""
    kept_commitments: int
    """Commitments from it the person had accepted: kept, detached from the conversation."""
    recalls: int
    answers: int
    """Check-in answers (their words in this conversation) cleared from other commitments."""


def _ids(conn: Connection, sql: str, params: tuple[object, ...]) -> list[int]:
    return [int(r[0]) for r in conn.execute(sql, params).fetchall()]


def _delete_ids(conn: Connection, table: str, ids: list[int]) -> int:
    if not ids:
        return 0
    marks = ", ".join("?" for _ in ids)
    return int(conn.execute(f"DELETE FROM {table} WHERE id IN ({marks})", ids).rowcount)


def _awaits_in(raw: str | None, conversation_id: int) -> bool:
    try:
        return bool(raw) and json.loads(raw).get("conversation") == conversation_id
    except (ValueError, AttributeError):
        return False


def forget_conversation(vault: Vault, conversation_id: int) -> Forgotten:
    """Delete the conversation and everything derived from it, in one transaction.

    Goes: its messages; its summary; memories taken from it (`conversation_id`, or a
    source message or the summary of it); commitments from it still only proposed; the
    recall records of its messages, and recall records elsewhere that point at the
    memories and summary removed here; check-in answers copied from its messages; the
    current-conversation mark and the draft if it was the open conversation.

    Stays: commitments from it the person accepted (they are the person's plans now;
    they are detached from the conversation so the cascade does not take them) and
    moods, whose link to the conversation is cleared by the schema.
    """
    conn = vault._conn  # one atomic unit across tables no repository spans
    with vault.lock:
        with transaction(conn):
            message_ids = _ids(conn, "SELECT id FROM messages WHERE conversation_id = ?",
                               (conversation_id,))
            summary_ids = _ids(conn, "SELECT id FROM summaries WHERE conversation_id = ?",
                               (conversation_id,))
            memory_ids = _ids(conn, "SELECT id FROM memories WHERE conversation_id = ?",
                              (conversation_id,))
            for kind, sources in (("message", message_ids), ("summary", summary_ids)):
                for source in sources:
                    memory_ids += _ids(conn, "SELECT id FROM memories WHERE source_kind = ?"
                                       " AND source_id = ?", (kind, source))
            memory_ids = sorted(set(memory_ids))
            marks = ", ".join("?" for _ in message_ids) or "NULL"
            proposed = _ids(conn, "SELECT id FROM commitments WHERE status = 'proposed' AND"
                            f" (conversation_id = ? OR source_message_id IN ({marks}))",
                            (conversation_id, *message_ids))
            kept = conn.execute(
                "UPDATE commitments SET conversation_id = NULL, source_message_id = NULL"
                f" WHERE status != 'proposed' AND (conversation_id = ?"
                f" OR source_message_id IN ({marks}))",
                (conversation_id, *message_ids)).rowcount
            answers = conn.execute(
                "UPDATE commitments SET answer = NULL WHERE answer IN (SELECT content FROM"
                " messages WHERE conversation_id = ? AND role = 'user')",
                (conversation_id,)).rowcount
            recalls = conn.execute(f"DELETE FROM recalls WHERE message_id IN ({marks})",
                                   message_ids).rowcount
            for kind, ids in (("memory", memory_ids), ("summary", summary_ids)):
                for item in ids:
                    recalls += conn.execute(
                        "DELETE FROM recalls WHERE kind = ? AND item_id = ?",
                        (kind, item)).rowcount
            memories = _delete_ids(conn, "memories", memory_ids)
            commitments = _delete_ids(conn, "commitments", proposed)
            summaries = _delete_ids(conn, "summaries", summary_ids)
            messages = _delete_ids(conn, "messages", message_ids)
            conn.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))
            if vault.state.get(CURRENT_KEY) == str(conversation_id):
                vault.state.delete(CURRENT_KEY)
                vault.state.delete(DRAFT_KEY)
            if _awaits_in(vault.state.get(AWAITING_KEY), conversation_id):
                vault.state.delete(AWAITING_KEY)
        vault.checkpoint()
    return Forgotten(conversation_id, messages, summaries, memories, commitments,
                     int(kept), int(recalls), int(answers))


def forget_everything(paths: Paths) -> list[Path]:
    """Remove the vault's files and return them; model files and settings stay.

    The real guarantee is the key file: the database is encrypted with a random key
    that exists only wrapped inside `vault.key`, so once that file is gone the database
    cannot be read by anyone, even with the passphrase. The key file is removed first
    and the database after it. Before removal the key file is overwritten with random
    bytes, but that is best effort only: SSDs remap writes (wear levelling) and
    copy-on-write or journalling file systems and snapshots may keep the old blocks, so
    overwriting a file is no reliable erasure and the database is not overwritten at
    all. Backups made with `companion backup` hold their own copy of the key file and
    are not touched.
    """
    removed = []
    for path in vault_files(paths.vault_db, paths.vault_key):
        key = path.name.startswith(paths.vault_key.name)  # vault.key, .tmp, .new (a change)
        if key and path.is_file() and not path.is_symlink():
            _scribble(path)
        path.unlink(missing_ok=True)
        removed.append(path)
        if key:
            fsync_dir(path.parent)  # the key's removal is on disk before anything else
    fsync_dir(paths.vault_db.parent)
    return removed


def _scribble(path: Path) -> None:
    with contextlib.suppress(OSError):
        size = path.stat().st_size
        fd = os.open(path, os.O_WRONLY)
        try:
            os.write(fd, secrets.token_bytes(size))
            os.fsync(fd)
        finally:
            os.close(fd)

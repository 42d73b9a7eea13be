"""The person's hand on every message: edit the last one and ask again, delete any one.

"User agency (delete a thread and restart)" was one of the things people asked for.
Esc already stops a reply (the session's `cancel`); deleting a whole conversation is
`companion.vault.forget.forget_conversation`. This module adds the rest, without any UI, so
the TUI and the command line share it:

- `edit_last(vault, conversation_id, text)`: the person's last message gets the new
  words; the replies after it are removed (they answered words that are gone).
  `edit_and_regenerate(session, text)` then asks the model again if there were replies.
- `delete_message(vault, message_id)`: removes one message.

Words that change or go must not live on in what was derived from them: the
conversation's summary (deleted, so it is written again from what is left), memories
and still-proposed commitments taken from those messages, recall records, a check-in
answer copied from them, and the conversation's title when it was made from them.
The WAL is checkpointed afterwards, as for every forgetting (secure_delete is on).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from companion.domain import Message
from companion.errors import UsageError
from companion.i18n import t
from companion.vault.connection import transaction
from companion.vault.conversations import _title_from

if TYPE_CHECKING:  # the session sits above care; only its shape is needed here
    from companion.conversation.session import Reply, Session
    from companion.vault import Vault


@dataclass(frozen=True)
class Removed:
    """What went with a change: the messages themselves and what was learned from them."""

    messages: tuple[int, ...] = ()
    summaries: int = 0
    memories: int = 0
    commitments: int = 0


@dataclass(frozen=True)
class Edited:
    message: Message
    """The person's message with its new words."""
    removed: Removed
    """The replies after it, gone, and what was derived from them or the old words."""

    @property
    def had_reply(self) -> bool:
        return bool(self.removed.messages)


def last_user_message(vault: Vault, conversation_id: int | None) -> Message | None:
    if conversation_id is None:
        return None
    with vault.lock:
        messages = vault.conversations.messages(conversation_id)
    return next((m for m in reversed(messages) if m.role == "user"), None)


def edit_last(vault: Vault, conversation_id: int | None, text: str) -> Edited:
    """Give the person's last message new words and remove the replies after it."""
    if not text.strip():
        raise UsageError(t("conversation_errors.edit_empty"))
    with vault.lock:
        last = last_user_message(vault, conversation_id)
        if last is None:
            raise UsageError(t("conversation_errors.nothing_to_edit"))
        after = [m for m in vault.conversations.messages(last.conversation_id)
                 if m.id > last.id]
        counts = _forget_derived(vault, last.conversation_id, [last, *after], text)
        for message in after:
            vault.conversations.delete_message(message.id)
        vault.conversations.edit_message(last.id, text)
        _retitle(vault, last.conversation_id)
        vault.checkpoint()
    edited = Message(last.id, last.conversation_id, "user", text, last.created_at,
                     speaker=last.speaker)
    return Edited(edited, Removed(tuple(m.id for m in after), *counts))


def edit_and_regenerate(session: Session, text: str,
                        on_text: Callable[[str], None] | None = None,
                        cancel: threading.Event | None = None) -> tuple[Edited, Reply | None]:
    """Edit the last message of the session's conversation; if it had been answered,
    answer it again (when a model is loaded). The new reply streams through `on_text`
    and stops on `cancel`, like any other."""
    edited = edit_last(session.vault, session.conversation_id, text)
    if not edited.had_reply or session.engine is None:
        return edited, None
    return edited, session.reply(on_text, cancel)


def delete_message(vault: Vault, message_id: int) -> Removed:
    """Delete one message, with what was learned from it; the WAL is checkpointed."""
    with vault.lock:
        message = vault.conversations.message(message_id)
        if message is None:
            raise UsageError(t("conversation_errors.no_message", message_id=message_id))
        counts = _forget_derived(vault, message.conversation_id, [message], None)
        vault.conversations.delete_message(message_id)
        _retitle(vault, message.conversation_id)
        vault.checkpoint()
    return Removed((message_id,), *counts)


# what was derived ---------------------------------------------------------------------


def _forget_derived(vault: Vault, conversation_id: int, messages: Sequence[Message],
                    new_text: str | None) -> tuple[int, int, int]:
    """Remove what was derived from `messages` (whose words change or go), in one
    transaction, before the messages themselves change. `new_text` is the replacement
    for the first message's words, when it is edited rather than deleted."""
    conn = vault._conn  # one atomic unit across tables no repository spans (see forget.py)
    ids = [m.id for m in messages]
    marks = ", ".join("?" for _ in ids)
    with transaction(conn):
        summaries = [int(r[0]) for r in conn.execute(
            "SELECT id FROM summaries WHERE conversation_id = ? AND up_to_message_id >= ?",
            (conversation_id, min(ids))).fetchall()]
        memories = [int(r[0]) for r in conn.execute(
            "SELECT id FROM memories WHERE source_kind = 'message'"
            f" AND source_id IN ({marks})", ids).fetchall()]
        for kind, items in (("memory", memories), ("summary", summaries)):
            for item in items:
                conn.execute("DELETE FROM recalls WHERE kind = ? AND item_id = ?", (kind, item))
        for item in memories:
            conn.execute("DELETE FROM memories WHERE id = ?", (item,))
        for item in summaries:  # the conversation is stale again and summarised anew
            conn.execute("DELETE FROM summaries WHERE id = ?", (item,))
        commitments = conn.execute(
            "DELETE FROM commitments WHERE status = 'proposed'"
            f" AND source_message_id IN ({marks})", ids).rowcount
        conn.execute("UPDATE commitments SET source_message_id = NULL"
                     f" WHERE source_message_id IN ({marks})", ids)
        for message in messages:
            if message.role != "user":
                continue
            replacement = new_text if message is messages[0] else None
            conn.execute("UPDATE commitments SET answer = ? WHERE answer = ?",
                         (replacement, message.content))
    return len(summaries), len(memories), int(commitments)


def _retitle(vault: Vault, conversation_id: int) -> None:
    """The title is made from the first message of the person's; keep it in step."""
    conn = vault._conn
    first = next((m for m in vault.conversations.messages(conversation_id)
                  if m.role == "user"), None)
    title = _title_from(first.content) if first is not None else ""
    with transaction(conn):
        conn.execute("UPDATE conversations SET title = ? WHERE id = ?", (title, conversation_id))

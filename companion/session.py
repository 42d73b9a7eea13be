"""One turn of conversation, end to end: save, assemble, stream, save with provenance.

The user's message is committed before the model sees it, so a crash, Ctrl+C or a
kill during the reply never loses what they wrote; a reply cut short is kept and
marked as stopped.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from companion.care.persona import system_prompt
from companion.config import Settings
from companion.domain import (
    Conversation,
    Message,
    Provenance,
    Recalled,
    SamplingParams,
    TurnStats,
)
from companion.engine import prompt
from companion.engine.base import ChatEngine
from companion.errors import ModelError, UsageError
from companion.memory import checkin
from companion.memory.recall import recall
from companion.vault import Vault

CURRENT_KEY = "current_conversation"
DRAFT_KEY = "draft"


@dataclass(frozen=True)
class Reply:
    message: Message
    stopped: bool
    stats: TurnStats
    recalled: tuple[Recalled, ...] = ()

    @property
    def text(self) -> str:
        return self.message.content


class Session:
    """A person's conversation with their model; the UI and the CLI both drive this."""

    def __init__(self, vault: Vault, settings: Settings, engine: ChatEngine | None = None) -> None:
        self.vault = vault
        self.settings = settings
        self.engine = engine
        self._system = system_prompt(settings.persona)
        self.conversation_id = self._initial_conversation()
        # One model, one job at a time: background consolidation yields to a reply.
        self._engine_lock = threading.Lock()
        self.background_cancel = threading.Event()

    # conversations -----------------------------------------------------------------

    def _initial_conversation(self) -> int | None:
        with self.vault.lock:
            stored = self.vault.state.get(CURRENT_KEY)
            if stored is not None and self.vault.conversations.get(int(stored)) is not None:
                return int(stored)
            latest = self.vault.conversations.latest()
            return latest.id if latest else None

    def _remember_current(self, conversation_id: int) -> None:
        self.conversation_id = conversation_id
        self.vault.state.set(CURRENT_KEY, str(conversation_id))

    def new_conversation(self) -> Conversation:
        with self.vault.lock:
            conversation = self.vault.conversations.create()
            self._remember_current(conversation.id)
            return conversation

    def start_blank(self) -> None:
        """A fresh page; the conversation is created with its first message, so empty
        ones never clutter the list."""
        with self.vault.lock:
            self.conversation_id = None
            self.vault.state.delete(CURRENT_KEY)

    def open_conversation(self, conversation_id: int) -> list[Message]:
        with self.vault.lock:
            if self.vault.conversations.get(conversation_id) is None:
                raise UsageError(f"There is no conversation {conversation_id}; "
                                 "`companion history` lists them.")
            self._remember_current(conversation_id)
            return self.vault.conversations.messages(conversation_id)

    def conversations(self) -> list[Conversation]:
        with self.vault.lock:
            return self.vault.conversations.list()

    def messages(self) -> list[Message]:
        if self.conversation_id is None:
            return []
        with self.vault.lock:
            return self.vault.conversations.messages(self.conversation_id)

    # drafts -------------------------------------------------------------------------

    def save_draft(self, text: str) -> None:
        """Unsent words live in the vault too, so closing the window loses nothing."""
        with self.vault.lock:
            if text:
                self.vault.state.set(DRAFT_KEY, text)
            else:
                self.vault.state.delete(DRAFT_KEY)

    def draft(self) -> str:
        with self.vault.lock:
            return self.vault.state.get(DRAFT_KEY) or ""

    # a turn -------------------------------------------------------------------------

    def add_user_message(self, text: str) -> Message:
        """Commit the user's words first; everything after this may fail safely."""
        if not text.strip():
            raise UsageError("There is nothing to send; type a message first.")
        with self.vault.lock:
            if self.conversation_id is None:
                self._remember_current(self.vault.conversations.create().id)
            assert self.conversation_id is not None
            message = self.vault.conversations.add_message(self.conversation_id, "user", text)
            self.vault.state.delete(DRAFT_KEY)
            checkin.record_answer(self.vault, self.conversation_id, text)
            return message

    def sampling(self) -> tuple[SamplingParams, int]:
        seed = self.settings.seed
        return self.settings.sampling, seed if seed is not None else secrets.randbelow(2**31)

    def reply(
        self,
        on_text: Callable[[str], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> Reply:
        """Stream the model's answer to the conversation so far and store it.

        Whatever was generated is stored even when the reply is cancelled or fails,
        marked as stopped, with the same provenance as a finished one.
        """
        engine = self.engine
        if engine is None:
            raise ModelError(
                "No model is set, so your message is saved without a reply; "
                "start companion with --model PATH to a .gguf file."
            )
        cancel = cancel or threading.Event()
        self.background_cancel.set()
        with self._engine_lock:
            self.background_cancel.clear()
            return self._reply(engine, on_text, cancel)

    def _reply(self, engine: ChatEngine, on_text: Callable[[str], None] | None,
               cancel: threading.Event) -> Reply:
        history = self.messages()
        newest = history[-1].content if history and history[-1].role == "user" else ""
        recalled = recall(self.vault, newest, skip_conversation=self.conversation_id,
                          limit=self.settings.recall_items)
        messages = prompt.build(self._system, history, [(r.source, r.text) for r in recalled])
        params, seed = self.sampling()
        provenance = Provenance(engine.model.sha256, engine.model.name, params, seed)
        pieces: list[str] = []
        try:
            for piece in engine.stream(messages, params, seed, cancel):
                pieces.append(piece)
                if on_text is not None:
                    on_text(piece)
        except BaseException:
            if pieces:  # a failure before any text leaves no empty reply in the history
                self._store_reply("".join(pieces), True, provenance, recalled)
            raise
        stopped = cancel.is_set()
        message = self._store_reply("".join(pieces), stopped, provenance, recalled)
        return Reply(message=message, stopped=stopped, stats=engine.last_stats,
                     recalled=tuple(recalled))

    def _store_reply(self, text: str, stopped: bool, provenance: Provenance | None,
                     recalled: Sequence[Recalled] = ()) -> Message:
        """Store the reply with what was recalled for it: "why did you say that?"."""
        assert self.conversation_id is not None
        with self.vault.lock:
            message = self.vault.conversations.add_message(
                self.conversation_id, "assistant", text, stopped=stopped, provenance=provenance
            )
            if recalled:
                self.vault.recalls.record(message.id, [(r.kind, r.item_id, r.score)
                                                       for r in recalled])
                self.vault.memories.mark_used([r.item_id for r in recalled
                                               if r.kind == "memory"])
            return message

    # memory ---------------------------------------------------------------------------

    def check_in(self, cancel: threading.Event | None = None) -> checkin.CheckIn | None:
        """At the start of a session: ask about a commitment that fell due, if any.

        Opens a new conversation for it, so the question is the first thing there.
        """
        if checkin.choose(self.vault) is None:
            return None
        with self.vault.lock:
            conversation = self.vault.conversations.create()
            self._remember_current(conversation.id)
        params, seed = self.sampling()
        with self._engine_lock:
            return checkin.open_check_in(self.vault, conversation.id, self.engine, self._system,
                                         params, seed, cancel=cancel)

    def consolidate_pending(self, *, include_current: bool = False,
                            auto_accept: bool = False) -> list[int]:
        """Summarise conversations with new messages, one at a time, while the model is
        free; stops as soon as a reply needs the model. Returns the ids finished."""
        from companion.memory.consolidate import consolidate

        engine = self.engine
        if engine is None:
            return []
        with self.vault.lock:
            stale = self.vault.summaries.stale_conversations()
        done = []
        for conversation_id in stale:
            if conversation_id == self.conversation_id and not include_current:
                continue
            if self.background_cancel.is_set() or not self._engine_lock.acquire(blocking=False):
                break
            try:
                result = consolidate(self.vault, engine, conversation_id,
                                     auto_accept=auto_accept, cancel=self.background_cancel)
            except ModelError:
                break  # cut short (usually by a reply); it stays stale and is retried
            finally:
                self._engine_lock.release()
            if result is not None:
                done.append(conversation_id)
        return done

    def turn(
        self,
        text: str,
        on_text: Callable[[str], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> Reply:
        self.add_user_message(text)
        return self.reply(on_text, cancel)


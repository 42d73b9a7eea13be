"""One turn of conversation, end to end: save, assemble, stream, save with provenance.

The user's message is committed before the model sees it, so a crash, Ctrl+C or a
kill during the reply never loses what they wrote; a reply cut short is kept and
marked as stopped. Each conversation has a mode (companion.care.modes); the answer
in that mode is one of `mode_answers`, driven through a `turn.Turn`.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from typing import Any

from companion.care import coach, exercises, modes, safety, second_opinion
from companion.care.modes import ModeState
from companion.care.persona import profile_of, system_prompt_for
from companion.care.safety import Signal
from companion.config import Settings
from companion.conversation import mode_answers
from companion.conversation.turn import OnPart, OnText, Reply, Turn
from companion.domain import Conversation, Message, SamplingParams
from companion.engine.base import ChatEngine, ChatMessage, PromptView
from companion.errors import ModelError, UsageError
from companion.i18n import t
from companion.memory import checkin
from companion.vault import Vault

CURRENT_KEY = "current_conversation"
DRAFT_KEY = "draft"

__all__ = ["Reply", "Session"]


class Session:
    """A person's conversation with their model; the UI and the CLI both drive this."""

    def __init__(self, vault: Vault, settings: Settings, engine: ChatEngine | None = None) -> None:
        self.vault = vault
        self.settings = settings
        self.engine = engine
        self._system = system_prompt_for(settings, profile_of(vault))
        self.conversation_id = self._initial_conversation()
        # The mode the next new conversation starts in (chosen on a blank page).
        self._blank_mode = ModeState(modes.default_mode(settings.mode))
        # One model, one job at a time: background consolidation yields to a reply.
        self._engine_lock = threading.Lock()
        self.background_cancel = threading.Event()
        self._raised: dict[int | None, int] = {}
        """conversation → the message the second opinion raised (see crisis_signal)."""

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

    def _create_conversation(self) -> Conversation:
        """A new conversation in the mode chosen for it (by default `settings.mode`)."""
        with self.vault.lock:
            conversation = self.vault.conversations.create()
            mode, self._blank_mode = self._blank_mode, ModeState(
                modes.default_mode(self.settings.mode))
            self.vault.conversations.set_mode(conversation.id, mode.name, dict(mode.state))
            self._remember_current(conversation.id)
            return conversation

    def new_conversation(self) -> Conversation:
        return self._create_conversation()

    def start_blank(self) -> None:
        """A fresh page; the conversation is created with its first message, so empty
        ones never clutter the list."""
        with self.vault.lock:
            self.conversation_id = None
            self._blank_mode = ModeState(modes.default_mode(self.settings.mode))
            self.vault.state.delete(CURRENT_KEY)

    def open_conversation(self, conversation_id: int) -> list[Message]:
        with self.vault.lock:
            if self.vault.conversations.get(conversation_id) is None:
                raise UsageError(t("conversation_errors.no_conversation",
                                   conversation_id=conversation_id))
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
            raise UsageError(t("conversation_errors.nothing_to_send"))
        with self.vault.lock:
            if self.conversation_id is None:
                self._create_conversation()
            assert self.conversation_id is not None
            message = self.vault.conversations.add_message(self.conversation_id, "user", text)
            self.vault.state.delete(DRAFT_KEY)
            checkin.record_answer(self.vault, self.conversation_id, text)
            return message

    def sampling(self) -> tuple[SamplingParams, int]:
        seed = self.settings.seed
        return self.settings.sampling, seed if seed is not None else secrets.randbelow(2**31)

    def reply(self, on_text: OnText | None = None, cancel: threading.Event | None = None,
              on_part: OnPart | None = None) -> Reply:
        """Answer the conversation so far in its mode, streaming through `on_text`.

        Whatever was generated is stored even when the answer is cancelled or fails,
        marked as stopped, with the same provenance as a finished one. Journal mode
        answers nothing and calls no model.
        """
        mode = self.mode()
        if self.engine is None and modes.needs_model(mode.name):
            raise ModelError(t("conversation_errors.no_model"))
        return self._run(mode_answers.ANSWERS[mode.name], on_text, cancel, on_part)

    def _run(self, flow: Callable[[Turn], None], on_text: OnText | None,
             cancel: threading.Event | None, on_part: OnPart | None) -> Reply:
        if self.conversation_id is None:
            raise UsageError(t("conversation_errors.nothing_to_answer"))
        turn = self._turn(on_text=on_text, on_part=on_part, cancel=cancel,
                          crisis=self.crisis_signal())
        try:
            flow(turn)
        finally:
            turn.release()
        return turn.result()

    def _turn(self, **how: Any) -> Turn:
        return Turn(vault=self.vault, conversation_id=self.conversation_id or 0,
                    engine=self.engine, settings=self.settings, system=self._system,
                    mode=self.mode(), sampling=self.sampling, lock=self._engine_lock,
                    background_cancel=self.background_cancel, **how)

    def _ahead(self, text: str) -> tuple[list[ChatMessage], int]:
        """The prompt for `text` as the next message (not stored), and the reply's cap,
        which decides where `fit` cuts old turns: as a listen answer would build them."""
        upcoming = Message(0, self.conversation_id or 0, "user", text, "")
        crisis = safety.scan(text) if text.strip() else safety.NOTHING
        messages = self._turn(crisis=crisis).prompt([*self.messages(), upcoming],
                                                    with_recall=bool(text.strip()))
        cap = self.settings.sampling.max_tokens
        if self.mode().name == "listen":
            cap = min(cap, self.settings.listen_max_tokens)
        return messages, cap

    def preview(self, text: str = "") -> PromptView:
        """What the model would be given for `text` as the next message, sent nowhere."""
        if self.engine is None:
            raise ModelError(t("conversation_errors.no_model"))
        messages, cap = self._ahead(text)
        with self._engine_lock:
            return self.engine.view(messages, cap)

    def warm(self) -> int:
        """Evaluate the open conversation's prefix, up to where the person's next words
        will start, while they read or type; under the engine lock like consolidation,
        so a reply (setting `background_cancel`) takes over within one batch."""
        engine = self.engine
        if engine is None or not modes.needs_model(self.mode().name):
            return 0
        messages, cap = self._ahead("")
        if not self._engine_lock.acquire(blocking=False):
            return 0
        try:
            return engine.warm(messages, self.background_cancel, cap)
        finally:
            self._engine_lock.release()

    def crisis_signal(self) -> Signal:
        """The offline scan of the newest message (the reply always goes on); after the
        second opinion raised the message before it, crisis-aware whatever the words."""
        users = [m for m in self.messages() if m.role == "user"]
        if not users:
            return safety.NOTHING
        signal = safety.scan(users[-1].content)
        if (not signal.fired and len(users) > 1
                and self._raised.get(self.conversation_id) == users[-2].id):
            return safety.Signal("possible", (second_opinion.SECOND_OPINION,), checked=True)
        return signal

    def second_opinion(self) -> Signal | None:
        """After a reply: the model on a borderline or distressed newest message, within
        `crisis_check_seconds` (care/second_opinion.py). None: nothing was asked; else
        the signal, raised when the model said yes (the caller then shows support)."""
        users, engine = [m for m in self.messages() if m.role == "user"], self.engine
        if not users or engine is None or not self.settings.crisis_model_check:
            return None
        signal = safety.scan(users[-1].content)
        if not second_opinion.needs_second_opinion(signal):
            return None
        refined = second_opinion.run(engine, signal, users[-1].content, self._engine_lock,
                                     self.background_cancel,
                                     self.settings.crisis_check_seconds)
        if refined.level != signal.level and self.conversation_id is not None:
            self._raised[self.conversation_id] = users[-1].id
        return refined

    # modes ----------------------------------------------------------------------------

    def mode(self) -> ModeState:
        """The open conversation's mode, or the one a new conversation will start in."""
        if self.conversation_id is None:
            return self._blank_mode
        with self.vault.lock:
            name, state = self.vault.conversations.mode(self.conversation_id)
        return ModeState(modes.default_mode(name), state)

    def set_mode(self, name: str, state: dict[str, Any] | None = None) -> ModeState:
        """Switch the open conversation (or the blank page) to `name`.

        Choosing the mode it is already in without new `state` keeps its setup (a coach
        proposal waiting for a yes, the Room's voices). Exercise mode needs an exercise
        (`{"exercise": id}`) unless this conversation has an unfinished one to resume.
        """
        name = modes.check(name)
        current = self.mode()
        if state is None and name == current.name:
            return current
        state = dict(state or {})
        if name == "room" and "voices" in state:
            state = modes.room_state([str(v.get("name", "")) if isinstance(v, dict) else str(v)
                                      for v in state["voices"]])
        if name == "rehearse" and state.get("role"):
            state = modes.rehearse_state(str(state["role"]), str(state.get("scene", "")))
        if name == "exercise":
            state = self._exercise_state(state)
            if current.name == "exercise" and current.state.get("exercise") == state["exercise"]:
                return current  # already doing this one: keep its place
        chosen = ModeState(name, state)
        if self.conversation_id is None:
            self._blank_mode = chosen
        else:
            with self.vault.lock:
                self.vault.conversations.set_mode(self.conversation_id, name, state)
        return chosen

    def _exercise_state(self, state: dict[str, Any]) -> dict[str, Any]:
        wanted = state.get("exercise")
        if isinstance(wanted, str):
            return {"exercise": exercises.get(wanted).id}
        if self.conversation_id is not None:
            with self.vault.lock:
                unfinished = self.vault.exercises.unfinished(self.conversation_id)
            if unfinished:
                return {"exercise": unfinished[-1].exercise}
        raise UsageError(t("conversation_errors.choose_exercise_to_start",
                           choices=", ".join(exercises.builtin())))

    def needs_model(self) -> bool:
        return modes.needs_model(self.mode().name)

    def exercise_status(self) -> exercises.Status | None:
        """Where the open conversation's exercise stands (saved after every answer)."""
        mode = self.mode()
        if mode.name != "exercise" or self.conversation_id is None:
            return None
        return exercises.status(self.vault, mode.state.get("progress"))

    def exercise_waiting(self) -> bool:
        """True when an exercise step should be put to the person but has not been yet
        (chosen on a blank page, or stopped before its step was shown)."""
        mode, status = self.mode(), self.exercise_status()
        if mode.name != "exercise":
            return False
        return status is None or (not status.finished and mode.state.get("asked") != status.step)

    def describe_mode(self) -> str:
        status = self.exercise_status()
        return modes.describe(self.mode(), status.label if status is not None else "")

    def start_exercise(self, exercise_id: str, on_text: OnText | None = None,
                       cancel: threading.Event | None = None,
                       on_part: OnPart | None = None) -> Reply:
        """Switch to an exercise and put its current step to the person: its first, or
        where an unfinished run in this conversation stopped."""
        if self.conversation_id is None:
            self._create_conversation()
        return self._run(lambda turn: mode_answers.begin_exercise(turn, exercise_id), on_text,
                         cancel, on_part)

    def continue_exercise(self, on_text: OnText | None = None,
                          cancel: threading.Event | None = None,
                          on_part: OnPart | None = None) -> Reply:
        """Put the waiting step (see `exercise_waiting`) to the person."""
        wanted = self.mode().state.get("exercise")
        if not isinstance(wanted, str):
            raise UsageError(t("conversation_errors.no_exercise_here"))
        return self.start_exercise(wanted, on_text, cancel, on_part)

    def end_rehearsal(self, on_text: OnText | None = None, cancel: threading.Event | None = None,
                      on_part: OnPart | None = None) -> Reply:
        """Step out of the role: a short debrief in the companion's voice, then Listen."""
        if self.mode().name != "rehearse" or self.conversation_id is None:
            raise UsageError(t("conversation_errors.no_rehearsal"))
        return self._run(mode_answers.debrief, on_text, cancel, on_part)

    def proposed_steps(self) -> list[str]:
        return [s.text for s in coach.from_state(self.mode().state)[1]]

    def accept_steps(self, numbers: list[int] | None = None, on_text: OnText | None = None,
                     on_part: OnPart | None = None) -> Reply:
        """Take on the coach's proposed steps (all, or these numbers) as commitments
        (`Reply.commitments`), as a "yes" would; no model is needed."""
        steps = self.proposed_steps()
        if self.mode().name != "coach" or not steps:
            raise UsageError(t("conversation_errors.no_proposed_steps"))
        if numbers is not None and not all(1 <= n <= len(steps) for n in numbers):
            raise UsageError(t("conversation_errors.step_numbers", count=len(steps)))
        return self._run(lambda turn: mode_answers.take_steps(turn, numbers), on_text, None,
                         on_part)

    # memory ---------------------------------------------------------------------------

    def check_in(self, cancel: threading.Event | None = None) -> checkin.CheckIn | None:
        """At the start of a session: ask about a commitment that fell due, if any.

        Opens a new conversation for it, so the question is the first thing there.
        """
        if checkin.choose(self.vault) is None or self.mode().name == "journal":
            return None  # journal mode: the person asked for no replies
        conversation = self._create_conversation()
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


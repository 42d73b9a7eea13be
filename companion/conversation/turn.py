"""One answer in the conversation's mode: which model calls it makes and what it stores.

`Session` builds a `Turn` (vault, conversation, engine, callbacks) and hands it to the
flow for the mode. Every flow stores what is said as it goes, so a cancelled or failed
answer keeps what was said so far; `model_calls` counts the calls to the engine, which
journal mode keeps at zero. Prompts always have the same layout (engine.prompt.build):
persona, the mode part, history, then what changes per call (notes) at the end; the
engine fits that layout to the model's own chat template.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date

from companion.care import exercises, modes
from companion.care.modes import ModeState
from companion.care.safety import NOTHING, Signal
from companion.config import Settings
from companion.domain import (
    Commitment,
    Message,
    Provenance,
    Recalled,
    SamplingParams,
    TurnStats,
)
from companion.engine import prompt
from companion.engine.base import ChatEngine, ChatMessage
from companion.errors import ModelError
from companion.i18n import t
from companion.memory.recall import recall
from companion.vault import Vault

OnText = Callable[[str], None]
OnPart = Callable[[str | None, str | None], None]
"""Called before each stored part of an answer with its speaker and colour (None, None
for the companion's own voice), so a UI can start a new labelled message."""

CRISIS_CARE = (
    "The person's last message may mean they are in danger. Do not refuse, lecture or change "
    "the subject. Stay with them warmly, ask directly and kindly whether they are safe right "
    "now and whether they are thinking of ending their life, and encourage them to reach a "
    "person they trust or a crisis line; their safety plan and local lines are shown beside "
    "this chat. Answer in their language."
)

@dataclass(frozen=True)
class Reply:
    message: Message | None
    """The last message stored for this answer; None when nothing was said (journal)."""
    stopped: bool
    stats: TurnStats
    recalled: tuple[Recalled, ...] = ()
    mode: str = "listen"
    model_calls: int = 0
    parts: tuple[Message, ...] = ()
    """Every message this answer stored, in order: one per Room voice."""
    steps: tuple[str, ...] = ()
    """Coach: the steps proposed, waiting for the person's yes."""
    commitments: tuple[Commitment, ...] = ()
    """Coach or exercise: commitments the person took on with this answer."""
    exercise: exercises.Status | None = None
    crisis: Signal = NOTHING
    """What the offline crisis scan found in the newest message (never the words)."""

    @property
    def text(self) -> str:
        return self.message.content if self.message is not None else ""


class _Unlabel:
    """Drops a leading "Name:" that a model copies from how the history shows speakers."""

    def __init__(self, name: str | None) -> None:
        self.label = f"{name}:" if name else ""
        self.buffer = ""
        self.done = not name
        self.strip_next = False

    def feed(self, piece: str) -> str:
        if self.strip_next:
            piece = piece.lstrip()
            self.strip_next = not piece
        if self.done:
            return piece
        self.buffer += piece
        probe = self.buffer.lstrip()
        if probe.startswith(self.label):
            self.done, self.buffer = True, ""
            rest = probe[len(self.label):].lstrip()
            self.strip_next = not rest
            return rest
        if self.label.startswith(probe):
            return ""
        self.done = True
        out, self.buffer = self.buffer, ""
        return out

    def flush(self) -> str:
        out, self.buffer, self.done = self.buffer, "", True
        return out


class Turn:
    """An answer in progress; the answers in `mode_answers` drive it."""

    def __init__(self, *, vault: Vault, conversation_id: int, engine: ChatEngine | None,
                 settings: Settings, system: str, mode: ModeState,
                 sampling: Callable[[], tuple[SamplingParams, int]],
                 lock: threading.Lock, background_cancel: threading.Event,
                 on_text: OnText | None = None, on_part: OnPart | None = None,
                 cancel: threading.Event | None = None, today: date | None = None,
                 crisis: Signal = NOTHING) -> None:
        self.vault, self.conversation_id, self.engine = vault, conversation_id, engine
        self.settings, self.system, self.mode, self.ran_in = settings, system, mode, mode.name
        self.sampling, self.today = sampling, today
        self.on_text, self.on_part = on_text, on_part
        self.cancel = cancel or threading.Event()
        self._lock, self._background_cancel, self._claimed = lock, background_cancel, False
        self.calls = 0
        self.parts: list[Message] = []
        self.stopped = False
        self.stats = TurnStats()
        self.recalled: tuple[Recalled, ...] = ()
        self._recall_done = self._marked = False
        self.steps: tuple[str, ...] = ()
        self.commitments: list[Commitment] = []
        self.exercise: exercises.Status | None = None
        self.crisis = crisis

    # the model ------------------------------------------------------------------------

    def claim(self) -> ChatEngine:
        """The engine, taken from background work for the rest of this answer."""
        if self.engine is None:
            raise ModelError(t("conversation_errors.no_model"))
        if not self._claimed:
            self._background_cancel.set()
            self._lock.acquire()
            self._background_cancel.clear()
            self._claimed = True
        return self.engine

    def release(self) -> None:
        if self._claimed:
            self._claimed = False
            self._lock.release()

    # reading and prompting ------------------------------------------------------------

    def history(self) -> list[Message]:
        with self.vault.lock:
            return self.vault.conversations.messages(self.conversation_id)

    def set_mode(self, name: str, state: dict[str, object]) -> None:
        with self.vault.lock:
            self.vault.conversations.set_mode(self.conversation_id, name, state)
        self.mode = ModeState(name, state)

    def prompt(self, history: Sequence[Message], *, cue: str = "",
               with_recall: bool = False) -> list[ChatMessage]:
        if with_recall and not self._recall_done:
            users = [m for m in history if m.role == "user"]
            self.recalled = tuple(recall(self.vault, users[-1].content if users else "",
                                         skip_conversation=self.conversation_id,
                                         limit=self.settings.recall_items))
            self._recall_done = True
        context = [(r.source, r.text) for r in self.recalled] if with_recall else []
        if self.crisis.fired:  # the conversation goes on, with care for the person's safety
            cue = f"{CRISIS_CARE}\n{cue}" if cue else CRISIS_CARE
        with self.vault.lock:
            summary = self.vault.summaries.for_conversation(self.conversation_id)
        return prompt.build(self.system, history, context, mode=modes.instructions(self.mode),
                            cue=cue, summary=summary.content if summary else "")

    # saying ---------------------------------------------------------------------------

    def _start(self, speaker: str | None) -> None:
        if self.on_part is not None:
            colour = modes.colour_for(speaker, self.mode.state) if speaker else None
            self.on_part(speaker, colour)

    def _emit(self, text: str) -> None:
        if text and self.on_text is not None:
            self.on_text(text)

    def _store(self, text: str, stopped: bool, provenance: Provenance | None,
               speaker: str | None, recalled: bool) -> Message:
        with self.vault.lock:
            message = self.vault.conversations.add_message(
                self.conversation_id, "assistant", text, stopped=stopped,
                provenance=provenance, speaker=speaker)
            if recalled and self.recalled:  # "why did you say that?"
                self.vault.recalls.record(message.id, [(r.kind, r.item_id, r.score)
                                                       for r in self.recalled])
                if not self._marked:
                    self._marked = True
                    self.vault.memories.mark_used([r.item_id for r in self.recalled
                                                   if r.kind == "memory"])
        self.parts.append(message)
        return message

    def post(self, text: str, speaker: str | None = None) -> Message:
        """The code's own words (no model, no provenance)."""
        self._start(speaker)
        self._emit(text)
        return self._store(text, False, None, speaker, False)

    def open_part(self) -> None:
        """Show that an answer is coming before one that does not stream (coach)."""
        self._start(None)

    def say(self, text: str, provenance: Provenance, *, recalled: bool = False) -> Message:
        """A finished model answer that did not stream, after `open_part`."""
        self._emit(text)
        return self._store(text, False, provenance, None, recalled)

    def generate(self, messages: list[ChatMessage], *, cap: int, speaker: str | None = None,
                 prefix: str = "", fallback: str = "", recalled: bool = False) -> Message | None:
        """Stream one model answer and store it (stopped, if cut short)."""
        engine = self.claim()
        params, seed = self.sampling()
        params = replace(params, max_tokens=max(1, min(params.max_tokens, cap)))
        provenance = Provenance(engine.model.sha256, engine.model.name, params, seed,
                                engine.model.engine_url)
        self.calls += 1
        self._start(speaker)
        self._emit(prefix)
        unlabel, pieces = _Unlabel(speaker), []
        try:
            for piece in engine.stream(messages, params, seed, self.cancel):
                text = unlabel.feed(piece)
                pieces.append(text)
                self._emit(text)
            pieces.append(unlabel.flush())
            self._emit(pieces[-1])
        except BaseException:
            self.stopped = True
            if "".join(pieces):  # a failure before any text leaves no empty reply
                self._store(prefix + "".join(pieces), True, provenance, speaker, recalled)
            raise
        finally:
            self.stats = engine.last_stats
        stopped = self.cancel.is_set()
        self.stopped |= stopped
        body = "".join(pieces)
        if not body.strip() and fallback and not stopped:
            self._emit(fallback)
            body = fallback
        return self._store(prefix + body, stopped, provenance, speaker, recalled)

    def result(self) -> Reply:
        return Reply(self.parts[-1] if self.parts else None, self.stopped, self.stats,
                     self.recalled, self.ran_in, self.calls, tuple(self.parts), self.steps,
                     tuple(self.commitments), self.exercise, self.crisis)

"""`models try`: the same words through the pinned model and a candidate, side by side.

Choosing a new model should be an informed, reversible decision, so the person sees
how each would answer their own recent messages, with the same seed and parameters,
before moving the pin. Nothing is written to the conversation.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from companion.care import modes
from companion.care.modes import ModeState
from companion.care.persona import profile_of, system_prompt_for
from companion.config import Settings
from companion.domain import Message, SamplingParams
from companion.engine import prompt
from companion.engine.base import ChatEngine, ChatMessage
from companion.errors import UsageError
from companion.models.install import record_file
from companion.models.library import Library
from companion.models.pin import PROBE_SEED, Pin
from companion.paths import Paths
from companion.pinning import (
    check_pinned_file,
    checked_info,
    close_engine,
    current_pin,
    load_engine,
    registry_for,
    resolve_local,
)
from companion.vault import Vault

Step = Callable[[str], None]


@dataclass(frozen=True)
class Pair:
    user_text: str
    pinned: str
    candidate: str


@dataclass(frozen=True)
class Comparison:
    pin: Pin
    candidate_id: str
    candidate_name: str
    candidate_sha256: str
    seed: int
    pairs: list[Pair]


Prompt = tuple[str, list[ChatMessage], SamplingParams]


def _prompts(vault: Vault, messages: list[Message], system: str, mode: ModeState,
             fallback: SamplingParams, last: int) -> list[Prompt]:
    """For each of the last N user messages: the conversation up to it as the model saw it
    (mode instructions, and the items recalled for the stored reply), with the parameters
    that reply was drawn with, so the pinned column can reproduce it exactly."""
    user_at = [i for i, m in enumerate(messages) if m.role == "user"][-last:]
    prompts = []
    for i in user_at:
        after = messages[i + 1] if i + 1 < len(messages) else None
        replied = after is not None and after.role == "assistant"
        params = (after.provenance.params if replied and after and after.provenance
                  else fallback)
        context: list[tuple[str, str]] = []
        if replied and after is not None:
            with vault.lock:
                hits = vault.recalls.for_message(after.id)
                items = vault.search.items(hits, None)
            context = [(f"{k} #{n}, {items[(k, n)][1][:10]}", items[(k, n)][0])
                       for k, n, _ in hits if (k, n) in items]
        built = prompt.build(system, messages[: i + 1], context, mode=modes.instructions(mode))
        prompts.append((messages[i].content, built, params))
    return prompts


def _answers(engine: ChatEngine, prompts: list[Prompt], seed: int,
             cancel: threading.Event) -> list[str]:
    answers = []
    for _text, messages, params in prompts:
        engine.reset_cache()  # each answer from scratch, so the order cannot matter
        answers.append("".join(engine.stream(messages, params, seed, cancel)))
    return answers


def replay(paths: Paths, vault: Vault, settings: Settings, candidate_id: str, *,
           conversation_id: int | None = None, last: int = 3,
           step: Step | None = None, cancel: threading.Event | None = None) -> Comparison:
    if last < 1:
        raise UsageError("--last must be 1 or more.")
    pin = current_pin(vault)
    if pin is None:
        raise UsageError("Nothing is pinned yet, so there is nothing to compare with; start "
                         "companion with a model first.")
    library = Library(paths.models)
    registry = registry_for(paths)
    candidate = resolve_local(library, registry, candidate_id)
    with vault.lock:
        if conversation_id is None:
            latest = vault.conversations.latest()
            conversation_id = latest.id if latest else None
        if conversation_id is None or vault.conversations.get(conversation_id) is None:
            raise UsageError("There is no such conversation to replay; `companion history` "
                             "lists them.")
        messages = vault.conversations.messages(conversation_id)
        mode = ModeState(*vault.conversations.mode(conversation_id))
    system = system_prompt_for(settings, profile_of(vault))
    fallback = replace(pin.sampling, max_tokens=min(pin.sampling.max_tokens,
                                                    settings.listen_max_tokens))
    prompts = _prompts(vault, messages, system, mode, fallback, last)
    if not prompts:
        raise UsageError(f"Conversation {conversation_id} has no messages of yours to replay.")
    seed = settings.seed if settings.seed is not None else PROBE_SEED
    cancel = cancel or threading.Event()
    say = step or (lambda _text: None)
    results = []
    for label, info in (
        (f"pinned model {pin.model_name}", lambda: check_pinned_file(library, pin, registry)),
        (f"candidate {candidate.id}", lambda: checked_info(record_file(
            library, Path(candidate.path), registry, source=candidate.source,
            model_id=candidate.id))),
    ):
        say(f"Loading the {label}…")
        engine = load_engine(info(), settings)
        try:
            say(f"Answering {len(prompts)} message(s) with the {label}…")
            results.append(_answers(engine, prompts, seed, cancel))
        finally:
            close_engine(engine)
    checked = library.get(candidate.id) or candidate
    pairs = [Pair(text, a, b) for (text, _, _), a, b in zip(prompts, *results, strict=True)]
    return Comparison(pin, checked.id, checked.name, checked.sha256, seed, pairs)

"""`models try`: the same words through the pinned model and a candidate, side by side.

Choosing a new model should be an informed, reversible decision, so the person sees
how each would answer their own recent messages, with the same seed and parameters,
before moving the pin. Nothing is written to the conversation.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from companion.config import Settings
from companion.domain import SamplingParams
from companion.engine.base import ChatEngine, ChatMessage
from companion.i18n import t
from companion.models.install import record_file
from companion.models.library import Library, LocalModel
from companion.models.pin import PROBE_SEED, Pin
from companion.models.pinning import (
    check_pinned_file,
    checked_info,
    close_engine,
    load_engine,
    registry_for,
)
from companion.paths import Paths

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


def _answers(engine: ChatEngine, prompts: list[Prompt], seed: int,
             cancel: threading.Event) -> list[str]:
    answers = []
    for _text, messages, params in prompts:
        engine.reset_cache()  # each answer from scratch, so the order cannot matter
        answers.append("".join(engine.stream(messages, params, seed, cancel)))
    return answers


def compare(paths: Paths, settings: Settings, pin: Pin, candidate: LocalModel,
            prompts: list[Prompt], *, step: Step | None = None,
            cancel: threading.Event | None = None) -> Comparison:
    """Answer each prompt with the pinned model, then with the candidate, one model loaded
    at a time; the caller builds the prompts, since only it knows the conversation."""
    library = Library(paths.models)
    registry = registry_for(paths)
    seed = settings.seed if settings.seed is not None else PROBE_SEED
    cancel = cancel or threading.Event()
    say = step or (lambda _text: None)
    results = []
    for which, named, info in (  # whole sentences per model: "the {label}" does not translate
        ("pinned", {"name": pin.model_name}, lambda: check_pinned_file(library, pin, registry)),
        ("candidate", {"id": candidate.id}, lambda: checked_info(record_file(
            library, Path(candidate.path), registry, source=candidate.source,
            model_id=candidate.id))),
    ):
        say(t(f"model_texts.loading_{which}", **named))
        engine = load_engine(info(), settings, paths)
        try:
            say(t(f"model_texts.answering_{which}", count=len(prompts), **named))
            results.append(_answers(engine, prompts, seed, cancel))
        finally:
            close_engine(engine)
    checked = library.get(candidate.id) or candidate
    pairs = [Pair(text, a, b) for (text, _, _), a, b in zip(prompts, *results, strict=True)]
    return Comparison(pin, checked.id, checked.name, checked.sha256, seed, pairs)

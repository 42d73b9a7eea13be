"""The local model's second opinion on the crisis scan, after the reply, within a budget.

The word list (`care/safety.py`) is the fast first pass and decides on its own whether
support is shown with the reply. Two kinds of message are then put to the local model,
under a JSON grammar: a borderline match, and strong distress without crisis words
(paraphrase the list cannot know). It runs after the reply, never before it or in its
way: a new reply cancels it, and it gets a strict time budget. Its answer can only raise
the signal (support shown, the next reply crisis-aware); no, a failure or a timeout
leaves the signal as the list found it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from companion.care.safety import Level, Signal
from companion.engine.threads import AnyOf

CHECK_QUESTION = (
    "You are checking one message for a safety tool. Answer only yes or no.\n"
    "Does the writer say or hint that they themselves might end their life, want to "
    "die or want to hurt themselves? Jokes and figures of speech ('this traffic is "
    "killing me') are no.\n\nMessage:\n{text}\n\nAnswer:"
)
"""What `refine` asks the local model about a borderline or distressed message."""

ANSWER_SCHEMA = {"type": "object", "properties": {"yes": {"type": "boolean"}},
                 "required": ["yes"]}


def check_question(text: str) -> str:
    return CHECK_QUESTION.format(text=text)


SECOND_OPINION = "model.second_opinion"
"""The id a signal carries when the local model, not the word list, raised it."""


def needs_second_opinion(signal: Signal) -> bool:
    """A borderline match, or distress without crisis words: what the model is asked about."""
    return signal.level == "possible" or signal.distress


def refine(signal: Signal, text: str, ask: Callable[[str], bool] | None) -> Signal:
    """The local model's second opinion on a borderline signal or on distress.

    `ask` receives `check_question(text)` and returns True when the model answers
    yes; the caller owns the model (and the time budget), so this stays pure. Yes
    raises the signal: borderline becomes likely, distress becomes possible (support
    shown). No, a failure or a timeout never lowers it: the check runs after the reply,
    and doubt must fall on the side of showing support. A likely signal and a quiet
    message are never asked about.
    """
    if ask is None or not needs_second_opinion(signal):
        return signal
    try:
        yes = bool(ask(check_question(text)))
    except Exception:
        return signal
    if not yes:
        return Signal(signal.level, signal.matched, signal.languages, True, signal.distress)
    level: Level = "likely" if signal.level == "possible" else "possible"
    return Signal(level, (*signal.matched, SECOND_OPINION), signal.languages, True,
                  signal.distress)


def ask_with(engine: Any, cancel: threading.Event | AnyOf) -> Callable[[str], bool]:
    """The question put to `engine` under a grammar; `cancel` ends it (the budget)."""
    def ask(question: str) -> bool:
        answer = engine.complete_json([{"role": "user", "content": question}], ANSWER_SCHEMA,
                                      seed=0, max_tokens=24, cancel=cancel)
        if cancel.is_set():
            raise TimeoutError("the second opinion ran out of time")
        return bool(answer["yes"])

    return ask


def run(engine: Any, signal: Signal, text: str, lock: threading.Lock,
        background: threading.Event, seconds: float) -> Signal:
    """`refine` with the engine's lock taken as background work, all within `seconds`:
    a reply setting `background` stops it at once, the timer stops it at the budget."""
    budget = threading.Event()
    timer = threading.Timer(seconds, budget.set)
    timer.start()
    try:
        if not lock.acquire(timeout=seconds):
            return signal
        try:
            return refine(signal, text, ask_with(engine, AnyOf(budget, background)))
        finally:
            lock.release()
    finally:
        timer.cancel()

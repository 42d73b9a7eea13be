"""Real llama.cpp on the tiny generated model: streaming, cancel, seeds, prefix reuse."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from companion.domain import Message, SamplingParams
from companion.engine import prompt
from companion.engine.llama import LlamaEngine
from companion.errors import ModelError
from companion.models.files import inspect_model

PARAMS = SamplingParams(temperature=0.8, max_tokens=48)


@pytest.fixture(scope="module")
def engine(tiny_model: Path) -> LlamaEngine:
    return LlamaEngine.load(inspect_model(tiny_model), context_tokens=2048)


def msg(role: str, text: str, i: int = 0) -> Message:
    return Message(id=i, conversation_id=1, role=role, content=text, created_at="")  # type: ignore[arg-type]


def chat(*texts: str) -> list:
    roles = ["user", "assistant"]
    history = [msg(roles[i % 2], t, i) for i, t in enumerate(texts)]
    return prompt.build("You are kind.", history)


def test_streams_several_pieces(engine: LlamaEngine) -> None:
    pieces = list(engine.stream(chat("hello there"), PARAMS, 7, threading.Event()))
    assert len(pieces) > 3
    assert engine.last_stats.generated_tokens >= len(pieces)
    assert engine.last_stats.first_token_s > 0


def test_same_seed_same_reply_across_engines(tiny_model: Path, engine: LlamaEngine) -> None:
    first = "".join(engine.stream(chat("same seed please"), PARAMS, 1234, threading.Event()))
    fresh = LlamaEngine.load(inspect_model(tiny_model), context_tokens=2048)
    second = "".join(fresh.stream(chat("same seed please"), PARAMS, 1234, threading.Event()))
    other = "".join(fresh.stream(chat("same seed please"), PARAMS, 999, threading.Event()))
    assert first == second
    assert first != other


def test_cancel_stops_within_one_token(engine: LlamaEngine) -> None:
    cancel = threading.Event()
    params = SamplingParams(temperature=0.8, max_tokens=400)
    seen = []
    for piece in engine.stream(chat("tell me a long story"), params, 3, cancel):
        seen.append(piece)
        cancel.set()
    assert len(seen) == 1
    # the tokens that made the one piece shown, plus at most one more
    assert engine.last_stats.generated_tokens <= len(engine._llm.tokenize(
        seen[0].encode(), add_bos=False, special=True)) + 1


def test_second_turn_evaluates_only_new_tokens(engine: LlamaEngine) -> None:
    turn1 = chat("first message about my day")
    reply = "".join(engine.stream(turn1, PARAMS, 11, threading.Event()))
    stats1 = engine.last_stats
    turn2 = chat("first message about my day", reply, "and a second message")
    "".join(engine.stream(turn2, PARAMS, 12, threading.Event()))
    stats2 = engine.last_stats

    assert stats2.prompt_tokens > stats1.prompt_tokens
    assert stats2.evaluated_tokens == stats2.prompt_tokens - stats2.reused_tokens
    # the whole first prompt (system + first message) came from the KV cache
    assert stats2.reused_tokens >= stats1.prompt_tokens - 1
    assert stats2.evaluated_tokens <= stats2.prompt_tokens - stats1.prompt_tokens + 1


def test_long_history_is_trimmed_to_fit(tiny_model: Path) -> None:
    small = LlamaEngine.load(inspect_model(tiny_model), context_tokens=256)
    texts = [f"message number {i} " * 8 for i in range(30)]
    messages = chat(*texts, "newest")
    assert small.count_tokens(messages) > 256
    params = SamplingParams(max_tokens=16)
    out = "".join(small.stream(messages, params, 5, threading.Event()))
    assert small.last_stats.prompt_tokens <= 256 - 16
    assert isinstance(out, str)


def test_closing_waits_for_a_warm_up_on_another_thread(tiny_model: Path) -> None:
    """Reloading the model while the background warm-up evaluates must not free the
    weights under it (it crashed the process): close() stops it within a batch."""
    engine = LlamaEngine.load(inspect_model(tiny_model), context_tokens=4096)
    history = chat(*[f"message {n} " + "words and more words " * 20 for n in range(30)])
    done: list[int] = []

    def warm() -> None:
        try:
            done.append(engine.warm(history, threading.Event(), 64))
        except ModelError:  # closed before it began: it says so, it does not crash
            done.append(-1)

    worker = threading.Thread(target=warm)
    worker.start()
    time.sleep(0.05)
    engine.close()
    worker.join(timeout=30)
    assert not worker.is_alive() and len(done) == 1
    with pytest.raises(ModelError, match="closed"):
        list(engine.stream(chat("hello"), PARAMS, 1, threading.Event()))

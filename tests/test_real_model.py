"""The real Gemma 3 270M through the engine: it loads, renders its template and answers."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import llama_cpp
import pytest

from companion.domain import ModelInfo, SamplingParams
from companion.engine.llama import LlamaEngine
from tests.real_model import CHAT_TEMPLATE_KEY, TEMPLATE, read_stamp

MESSAGES = [
    {"role": "system", "content": "You are kind."},
    {"role": "user", "content": "Hello, how are you?"},
]


@pytest.fixture(scope="module")
def engine(gemma_path: Path) -> Iterator[LlamaEngine]:
    stamp = read_stamp(gemma_path)
    assert stamp is not None
    info = ModelInfo(path=str(gemma_path), sha256=stamp["sha256"], name="Gemma 3 270m",
                     size=gemma_path.stat().st_size)
    loaded = LlamaEngine.load(info, context_tokens=1024)
    yield loaded
    loaded.close()


def test_file_carries_the_gemma_3_template(engine: LlamaEngine) -> None:
    text = TEMPLATE.read_bytes().decode("utf-8")
    assert engine._llm.metadata[CHAT_TEMPLATE_KEY] == text


def test_end_of_turn_ends_generation(engine: LlamaEngine) -> None:
    llm = engine._llm
    (end_of_turn,) = llm.tokenize(b"<end_of_turn>", add_bos=False, special=True)
    assert llama_cpp.llama_vocab_is_eog(llm._model.vocab, end_of_turn)
    assert llama_cpp.llama_vocab_is_eog(llm._model.vocab, llm.token_eos())


def test_streams_a_short_reply_and_stops(engine: LlamaEngine) -> None:
    params = SamplingParams(temperature=0.7, max_tokens=24)
    pieces = list(engine.stream(MESSAGES, params, 7, threading.Event()))
    text = "".join(pieces)
    assert text.strip()
    assert "<end_of_turn>" not in text
    assert "<start_of_turn>" not in text
    assert 0 < engine.last_stats.generated_tokens <= params.max_tokens

"""The real Gemma 3 270M through the engine: it loads, renders its template and answers."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import llama_cpp
import pytest

from companion.domain import ModelInfo, SamplingParams
from companion.engine import llama as llama_module
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


def _chain(engine: LlamaEngine) -> list[str]:
    chain = engine._llm._sampler.sampler
    return [llama_cpp.llama_sampler_name(llama_cpp.llama_sampler_chain_get(chain, i)).decode()
            for i in range(llama_cpp.llama_sampler_chain_n(chain))]


def test_top_k_before_the_penalties_draws_the_same_replies(
        engine: LlamaEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    """engine/sampling.py moves a wider top-k in front of the repetition penalties (they
    looked up all 262k tokens); a reply must come out exactly as llama-cpp-python's own
    chain draws it, here with penalties strong enough to matter."""
    messages = [{"role": "user", "content": "List fruits, one per line, repeat any you like."}]
    params = [SamplingParams(max_tokens=40),
              SamplingParams(temperature=1.2, top_k=80, top_p=0.98, min_p=0.0,
                             repeat_penalty=1.3, max_tokens=40)]

    def replies() -> list[str]:
        return ["".join(engine.stream(messages, p, seed, threading.Event()))
                for p in params for seed in (1, 2)]

    ours = replies()
    assert _chain(engine)[:3] == ["top-k", "penalties", "top-k"]
    monkeypatch.setattr(llama_module, "prefilter_k", lambda *_: 0)
    theirs = replies()
    assert _chain(engine)[:2] == ["penalties", "top-k"]
    assert ours == theirs

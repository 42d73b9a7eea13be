"""First-token latency on turn 1 and turn 10, with and without KV-cache prefix reuse.

Run: .venv/bin/python -m bench.first_token [MODEL.gguf]
Without a model path it uses the tiny generated test model. Both runs happen side by
side in one process, so the ratio, not the absolute time, is the figure to read.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import threading
from pathlib import Path

from companion.domain import Message, SamplingParams
from companion.engine import prompt
from companion.engine.llama import LlamaEngine
from companion.models.files import inspect_model

TURNS = 10
PARAMS = SamplingParams(max_tokens=48)
USER = "Today was long, and I keep thinking about what my sister said at dinner. "


def conversation(engine_for_turn, label: str) -> list[float]:
    history: list[Message] = []
    firsts: list[float] = []
    for turn in range(TURNS):
        history.append(Message(len(history), 1, "user", f"{USER} ({turn})", ""))
        engine = engine_for_turn()
        messages = prompt.build("You are a kind companion.", history)
        reply = "".join(engine.stream(messages, PARAMS, turn, threading.Event()))
        history.append(Message(len(history), 1, "assistant", reply, ""))
        stats = engine.last_stats
        firsts.append(stats.first_token_s)
        first_ms = stats.first_token_s * 1000
        print(f"{label:>10} turn {turn + 1:>2}: prompt {stats.prompt_tokens:>5} tok, "
              f"evaluated {stats.evaluated_tokens:>5}, first token {first_ms:7.1f} ms")
    return firsts


def main() -> None:
    if len(sys.argv) > 1:
        model = inspect_model(sys.argv[1])
    else:
        from tests.tiny_model import write_tiny_gguf

        folder = Path(tempfile.mkdtemp())
        model = inspect_model(write_tiny_gguf(folder / "tiny.gguf"))
    kept = LlamaEngine.load(model, context_tokens=8192)
    reuse = conversation(lambda: kept, "reuse")

    def fresh() -> LlamaEngine:
        return LlamaEngine.load(model, context_tokens=8192)

    cold = conversation(fresh, "no reuse")
    print()
    print(f"turn 1  first token: reuse {reuse[0]*1000:.1f} ms, no reuse {cold[0]*1000:.1f} ms")
    print(f"turn 10 first token: reuse {reuse[-1]*1000:.1f} ms, no reuse {cold[-1]*1000:.1f} ms")
    print(f"turn 10 / turn 1 with reuse:    {reuse[-1] / reuse[0]:.2f}x")
    print(f"turn 10 / turn 1 without reuse: {cold[-1] / cold[0]:.2f}x")
    print(f"median turns 2-10, no reuse / reuse: "
          f"{statistics.median(cold[1:]) / statistics.median(reuse[1:]):.2f}x")


if __name__ == "__main__":
    main()

"""Does a long conversation stay fast once it no longer fits the context?

    python bench/conversation.py MODEL [--turns 80] [--context 1024] [--max-tokens 48]

One engine is kept for the whole conversation, as the app keeps it. Each turn adds a
person's message, streams a reply (fixed seed) and records the first-token time. Once
the history no longer fits, old turns have to go: if that broke the cached prefix on
every turn, every reply would re-evaluate the whole window. The last line is JSON:
`first_token_ms_turn2`, `first_token_ms_p95_after_overflow` and `ratio` (the second over
the first; the goal is at most 3 at 80 turns and 1024 tokens on Gemma 3 270M).

Run it with PYTHONPATH pointing at another checkout to measure that code instead.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
from pathlib import Path

from companion.domain import Message, SamplingParams
from companion.engine import prompt
from companion.engine.llama import LlamaEngine
from companion.models.files import inspect_model

SYSTEM = ("You are a warm, patient companion for journaling and emotional support. Listen "
          "closely, reflect what you hear in a few sentences, and ask at most one question.")
SUMMARY = ("The person talked about a long week at work, their sister's visit and trouble "
           "sleeping; they want to feel calmer in the evenings.")
TOPICS = ("work was long again", "my sister called", "I could not sleep", "I went for a walk",
          "the bus was late", "I cooked dinner for once", "my manager was kind today",
          "I keep replaying an argument")


def build(history: list[Message]) -> list:
    try:
        return prompt.build(SYSTEM, history, summary=SUMMARY)
    except TypeError:  # an older checkout without summaries
        return prompt.build(SYSTEM, history)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("--turns", type=int, default=80)
    parser.add_argument("--context", type=int, default=1024)
    parser.add_argument("--max-tokens", type=int, default=48)
    args = parser.parse_args()
    engine = LlamaEngine.load(inspect_model(args.model), context_tokens=args.context)
    params = SamplingParams(max_tokens=args.max_tokens)
    budget = args.context - args.max_tokens
    history: list[Message] = []
    firsts: list[float] = []
    overflow_at: int | None = None
    for turn in range(1, args.turns + 1):
        text = f"Today {TOPICS[turn % len(TOPICS)]}, and I keep thinking about it ({turn})."
        history.append(Message(len(history), 1, "user", text, ""))
        messages = build(history)
        if overflow_at is None and engine.count_tokens(messages) > budget:
            overflow_at = turn
        reply = "".join(engine.stream(messages, params, turn, threading.Event()))
        history.append(Message(len(history), 1, "assistant", reply.strip() or "I hear you.", ""))
        stats = engine.last_stats
        firsts.append(stats.first_token_s * 1000)
        print(f"turn {turn:>3}: prompt {stats.prompt_tokens:>5} tok, evaluated "
              f"{stats.evaluated_tokens:>5}, first token {firsts[-1]:8.1f} ms"
              + ("  (overflow)" if turn == overflow_at else ""), file=sys.stderr)
    after = firsts[overflow_at:] if overflow_at is not None else []
    turn2 = firsts[1]
    tail = p95(after) if after else float("nan")
    print(f"first token, turn 2: {turn2:.1f} ms; after overflow (turn {overflow_at}), "
          f"p95 {tail:.1f} ms, median {statistics.median(after) if after else float('nan'):.1f} ms")
    print(json.dumps({"model": args.model.name, "turns": args.turns, "context": args.context,
                      "overflow_turn": overflow_at, "first_token_ms_turn2": round(turn2, 1),
                      "first_token_ms_p95_after_overflow": round(tail, 1),
                      "ratio": round(tail / turn2, 2) if after else None}))


if __name__ == "__main__":
    main()

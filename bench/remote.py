"""First token and decode speed through the person's own server beside the local engine.

Run: .venv/bin/python -m bench.remote MODEL.gguf [--rounds 6] [--tokens 64] [--threads 1]

One run, one model, one machine: llama-cpp-python's OpenAI-compatible server
(`python -m llama_cpp.server`) is started on 127.0.0.1 with MODEL, and the app's
`RemoteEngine` streams from it; the app's `LlamaEngine` loads the same file in this
process. Both get the same threads, context, messages, sampling and seed. Rounds
alternate who goes first, so a machine getting busier hits both. Each round is a
two-turn conversation: the first reply (`first_token_s` with nothing cached) and the
next one on the same prefix (`next_first_token_s`, the cached prefix at work), then the
decode rate of the second (`TurnStats.tokens_per_second`, first token to last).

The server runs in its own process: on a two-core machine its threads and this
process's compete only while one side runs, which is what happens when a person
runs a server beside the app. The last line is JSON: local_*, remote_* medians and
the ratios remote/local (first token: >1 is slower; decode: <1 is slower).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
from pathlib import Path
from typing import Any

SYSTEM = ("You are a kind, plain-spoken companion. You listen first and answer briefly, "
          "in the person's own words where you can.")
TURNS = ["I walked along the harbour this morning and thought about the week.",
         "Tell me, slowly and with many details, what you would notice there."]


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench.remote", description=__doc__.split("\n")[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--context", type=int, default=2048)
    return parser.parse_args(argv)


def _conversation(engine: Any, tokens: int, seed: int) -> dict[str, float]:
    from companion.domain import SamplingParams

    params = SamplingParams(max_tokens=tokens)
    # The round's number leads the system text, so no side finds the first prompt cached
    # (llama-cpp-python's server keeps the last prefix, and reset_cache cannot reach it).
    messages: list[dict[str, str]] = [{"role": "system", "content": f"({seed}) {SYSTEM}"},
                                      {"role": "user", "content": TURNS[0]}]
    engine.reset_cache()
    first = "".join(engine.stream(messages, params, seed, threading.Event()))
    first_stats = engine.last_stats
    messages += [{"role": "assistant", "content": first.strip()},
                 {"role": "user", "content": TURNS[1]}]
    "".join(engine.stream(messages, params, seed, threading.Event()))
    second = engine.last_stats
    return {"first_token_s": first_stats.first_token_s,
            "next_first_token_s": second.first_token_s,
            "tokens_per_s": second.tokens_per_second,
            "tokens": float(second.generated_tokens)}


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from companion.engine.llama import LlamaEngine
    from companion.engine.remote import RemoteEngine
    from companion.models.files import inspect_model
    from tests.engine_server import EngineServer

    local = LlamaEngine.load(inspect_model(args.model), context_tokens=args.context,
                             threads=args.threads)
    server = EngineServer(args.model, n_ctx=args.context, threads=args.threads).start()
    try:
        remote = RemoteEngine.connect(server.url, context_tokens=args.context)
        runs: dict[str, list[dict[str, float]]] = {"local": [], "remote": []}
        for n in range(args.rounds):
            order = [("local", local), ("remote", remote)]
            for name, engine in order if n % 2 == 0 else order[::-1]:
                runs[name].append(_conversation(engine, args.tokens, seed=11 + n))
                row = runs[name][-1]
                print(f"round {n + 1} {name:6} first token {row['first_token_s'] * 1000:7.1f} ms"
                      f"  next {row['next_first_token_s'] * 1000:7.1f} ms"
                      f"  decode {row['tokens_per_s']:6.1f} tok/s ({row['tokens']:.0f})",
                      flush=True)
    finally:
        server.stop()
        local.close()
    result: dict[str, Any] = {"model": args.model.name, "rounds": args.rounds,
                              "threads": args.threads, "tokens": args.tokens}
    for name in ("local", "remote"):
        for key in ("first_token_s", "next_first_token_s", "tokens_per_s"):
            result[f"{name}_{key}"] = round(statistics.median(r[key] for r in runs[name]), 4)
    for key in ("first_token_s", "next_first_token_s", "tokens_per_s"):
        local_value = result[f"local_{key}"]
        result[f"ratio_{key}"] = round(result[f"remote_{key}"] / local_value, 3) \
            if local_value else None
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

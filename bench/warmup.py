"""How long the first message after start waits, with and without the warm-up.

    python bench/warmup.py MODEL [--history 10] [--rounds 3]

A vault holds one conversation with `--history` earlier exchanges. Each round loads the
model fresh twice: once the first message is answered straight away (what the person
waited for before), once `Session.warm` runs first, as the app runs it while the person
reads or types. The first-token times are printed side by side, and the last line is
JSON with `first_token_ms_cold`, `first_token_ms_warm`, `warm_up_ms` and `ratio`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from companion.config import Settings
from companion.conversation.session import Session
from companion.domain import SamplingParams
from companion.engine.llama import LlamaEngine
from companion.models.files import inspect_model
from companion.vault import Vault

PASSPHRASE = "a bench passphrase that is long enough"


def first_token_ms(model: Path, folder: Path, warm: bool) -> tuple[float, float]:
    engine = LlamaEngine.load(inspect_model(model), context_tokens=4096)
    vault = Vault.unlock(folder / "v.db", folder / "v.key", PASSPHRASE)
    try:
        session = Session(vault, Settings(seed=1, sampling=SamplingParams(max_tokens=8),
                                          listen_max_tokens=8), engine)
        warmed = 0.0
        if warm:
            started = time.perf_counter()
            session.warm()
            warmed = (time.perf_counter() - started) * 1000
        session.add_user_message("I am back. Today was a little better.")
        reply = session.reply()
        return reply.stats.first_token_s * 1000, warmed
    finally:
        vault.close()
        engine.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("--history", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="companion-warmup-"))
    vault = Vault.create(folder / "v.db", folder / "v.key", PASSPHRASE)
    session = Session(vault, Settings())
    for n in range(args.history):
        session.add_user_message(f"Entry {n}: work was long and I kept thinking about my "
                                 "sister's visit and whether I said the wrong thing.")
        with vault.lock:
            vault.conversations.add_message(session.conversation_id or 0, "assistant",
                                            "That sounds heavy to carry. What part of it "
                                            "stays with you most?")
    vault.close()
    cold, warm, spent = [], [], []
    for _ in range(args.rounds):
        cold.append(first_token_ms(args.model, folder, warm=False)[0])
        ms, warm_ms = first_token_ms(args.model, folder, warm=True)
        warm.append(ms)
        spent.append(warm_ms)
        print(f"first token: without warm-up {cold[-1]:7.1f} ms, after warm-up "
              f"{warm[-1]:7.1f} ms (warm-up took {warm_ms:.0f} ms)", file=sys.stderr)
    a, b = statistics.median(cold), statistics.median(warm)
    print(f"first message after start: {a:.1f} ms without, {b:.1f} ms with the warm-up")
    print(json.dumps({"model": args.model.name, "history": args.history,
                      "first_token_ms_cold": round(a, 1), "first_token_ms_warm": round(b, 1),
                      "warm_up_ms": round(statistics.median(spent), 1),
                      "ratio": round(b / a, 3)}))


if __name__ == "__main__":
    main()

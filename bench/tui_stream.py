"""Decode speed in the TUI beside `say --json`: same model, message, seed and max tokens.

Run: .venv/bin/python -m bench.tui_stream [MODEL.gguf|gemma] [--message TEXT] [--tokens N]
                        [--runs R] [--interval S] [--per-token-too]
  MODEL         a GGUF file; `gemma`: Gemma 3 270M with its chat template, as the tests
                build it (tests/real_model.py); without one, the tiny generated test model
                (so fast that it measures per-token Python more than llama.cpp's threads)
  --interval S  a fixed batch interval for the TUI; 0 renders every token (as before)
  --per-token-too  in each run, also the TUI rendering every token, for before/after

Each run gets fresh homes (a new vault, the first pin) with one config.toml: the seed and
the max tokens (also Listen mode's cap). `say --json` runs as a subprocess through the
real entry point; the TUI is the real app driven by Pilot, headless, in this process,
and its figure is read from the status bar, as a person would see it. Both are decode
only (`TurnStats.tokens_per_second`: tokens after the first over the time after the
first). Runs alternate say/TUI, so a busy moment of the machine hurts both; the figures
are medians, `ratio` the median of each run's TUI/say. Each TUI line also gives the UI
thread's CPU time per token and its share of a core while the reply streamed (that
thread is this one), a figure that other work on the machine hardly moves. The last
line is JSON with `say_tps`, `tui_tps` and `ratio`.

Run it on a quiet machine (each line shows the load average). With other processes busy
on the same two cores, decoding driven from a process's main thread (`say`) was seen to
slow down far more than from a worker thread (the TUI): 4 against 24 tok/s for Gemma 3
270M in one process (llama.cpp here is an OpenMP build), so the ratio then says nothing
about the UI.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

PASSPHRASE = "bench passphrase, not a secret"
SIZE = (100, 34)
MESSAGE = ("Today was long, and I keep thinking about what my sister said at dinner. "
           "Can you help me sort out how I feel about it?")


def make_home(root: Path, name: str, seed: int, tokens: int) -> Path:
    home = root / name
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.toml").write_text(
        f"seed = {seed}\nlisten_max_tokens = {tokens}\n\n[sampling]\nmax_tokens = {tokens}\n",
        encoding="utf-8")
    return home


def run_say(model: Path, home: Path, passphrase_file: Path, message: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "COMPANION_HOME"}
    proc = subprocess.run(
        [sys.executable, "-m", "companion", "--home", str(home), "--passphrase-file",
         str(passphrase_file), "--model", str(model), "say", "--json", "-"],
        input=message.encode("utf-8"), capture_output=True, check=False, env=env,
        cwd=Path(__file__).resolve().parents[1])
    if proc.returncode != 0:
        raise SystemExit(f"say failed ({proc.returncode}): {proc.stderr.decode()[-2000:]}")
    out = json.loads(proc.stdout.decode("utf-8").strip().splitlines()[-1])
    return {"tps": out["stats"]["tokens_per_second"],
            "tokens": out["stats"]["generated_tokens"], "reply": out["reply"]}


async def until(condition: Callable[[], bool], what: str, timeout: float = 300) -> None:
    """Polls with asyncio.sleep: Pilot.pause forces a screen refresh each time, which
    would add UI work the app does not do by itself."""
    for _ in range(int(timeout / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise SystemExit(f"the app did not get there in time: {what}")


async def run_tui(model: Path, home: Path, message: str) -> dict:
    """Runs in the main thread, which is the UI's: its CPU time is the UI's work."""
    from textual.widgets import Input

    from companion import config, paths
    from companion.ui.app import CompanionApp
    from companion.ui.screens.chat import ChatScreen
    from companion.ui.screens.onboarding import OnboardingScreen
    from companion.ui.widgets.message import MessageView

    where = paths.resolve(home)
    where.ensure()
    settings = replace(config.load(where.config_file), model=str(model))  # as cli/tui.py
    app = CompanionApp(where, settings, passphrase=PASSPHRASE)
    async with app.run_test(size=SIZE) as pilot:
        def chat_ready() -> bool:
            if isinstance(app.screen, OnboardingScreen) and app.screen.query("#onboarding-skip"):
                app.screen.dismiss()
            return isinstance(app.screen, ChatScreen) and app.engine_state in ("ready", "failed")

        await until(chat_ready, "the chat screen with the model loaded")
        if app.engine_state != "ready":
            raise SystemExit(f"the TUI did not load the model: {app.screen.status.model_text}")
        screen = app.screen
        screen.query_one("#composer", Input).value = message
        cpu, wall = time.thread_time(), time.perf_counter()  # this thread is the UI's
        await pilot.press("enter")
        await until(lambda: not screen.replying and len(app.session.messages()) >= 2,
                    "the reply")
        cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
        await pilot.pause()
        status = screen.status.render().plain
        shown = re.search(r"([\d.]+) tok/s", status)
        if shown is None:
            raise SystemExit(f"no tok/s in the status bar: {status!r}")
        stored = app.session.messages()[-1].content
        view = list(screen.query(MessageView))[-1]
        stats = app.session.engine.last_stats
        result = {"tps": float(shown.group(1)), "tokens": stats.generated_tokens,
                  "reply": stored, "shown_whole": view.markdown.source == stored,
                  "ui_ms_per_token": 1000 * cpu / max(1, stats.generated_tokens),
                  "ui_share": cpu / wall if wall else 0.0}
        await pilot.press("ctrl+q")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", nargs="?", type=Path, help="a GGUF file (default: tiny)")
    parser.add_argument("--message", default=MESSAGE)
    parser.add_argument("--tokens", type=int, default=256, help="max tokens (default 256)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--interval", type=float, metavar="S",
                        help="a fixed batch interval for the TUI (0: one UI update per "
                             "token, as before batching; default: the app's own pacing)")
    parser.add_argument("--per-token-too", action="store_true",
                        help="in each run, also the TUI rendering every token (as before)")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="tui-stream-"))
    model = args.model
    if model is None:
        from tests.tiny_model import write_tiny_gguf

        model = write_tiny_gguf(root / "tiny.gguf")
    elif str(model) == "gemma":
        from tests.real_model import gemma_270m

        model = gemma_270m()
    model = model.resolve()
    passphrase_file = root / "passphrase.txt"
    passphrase_file.write_text(PASSPHRASE + "\n", encoding="utf-8")
    print(f"model {model} ({model.stat().st_size / 1e6:.1f} MB), max tokens {args.tokens}, "
          f"seed {args.seed}, {os.cpu_count()} CPUs")
    from companion.ui import stream_batch

    pacing = (stream_batch.MIN_INTERVAL_S, stream_batch.MAX_INTERVAL_S)
    variants: dict[str, float | None] = {"tui": args.interval}
    if args.per_token_too:
        variants["tui_per_token"] = 0.0
    figures: dict[str, list[float]] = {"say": [], **{name: [] for name in variants}}
    ratios: dict[str, list[float]] = {name: [] for name in variants}
    ui: dict[str, list[float]] = {name: [] for name in variants}
    same = True
    for run in range(args.runs):
        say = run_say(model, make_home(root, f"say{run}", args.seed, args.tokens),
                      passphrase_file, args.message)
        figures["say"].append(say["tps"])
        line = [f"run {run + 1} (load {os.getloadavg()[0]:.1f}): say {say['tps']:7.2f} tok/s"]
        for name, every in variants.items():
            # a fixed interval (--interval, or 0 for every token) in place of the pacing
            stream_batch.MIN_INTERVAL_S, stream_batch.MAX_INTERVAL_S = (
                pacing if every is None else (every, every))
            tui = asyncio.run(run_tui(model, make_home(root, f"{name}{run}", args.seed,
                                                       args.tokens), args.message))
            same = same and say["reply"] == tui["reply"] and tui["shown_whole"]
            figures[name].append(tui["tps"])
            ratios[name].append(tui["tps"] / say["tps"] if say["tps"] else 0.0)
            ui[name].append(tui["ui_ms_per_token"])
            line.append(f"{name} {tui['tps']:7.1f} tok/s (UI thread {tui['ui_ms_per_token']:.2f} "
                        f"ms/token, {100 * tui['ui_share']:.0f}% of a core)")
        print(";  ".join(line) + f";  {say['tokens']} tokens, same reply: {same}")
    medians = {name: statistics.median(values) for name, values in figures.items()}
    result: dict[str, object] = {"say_tps": round(medians["say"], 2),
                                 "tui_tps": round(medians["tui"], 2),
                                 "ratio": round(statistics.median(ratios["tui"]), 3)}
    print(f"median: say {medians['say']:.2f} tok/s", end="")
    for name in variants:
        ratio = statistics.median(ratios[name])
        print(f", {name} {medians[name]:.1f} tok/s (TUI/say {ratio:.3f}, UI thread "
              f"{statistics.median(ui[name]):.2f} ms/token)", end="")
        if name != "tui":
            result[f"{name}_tps"] = round(medians[name], 2)
            result[f"{name}_ratio"] = round(ratio, 3)
        result[f"{name}_ui_ms_per_token"] = round(statistics.median(ui[name]), 3)
    print()
    result |= {"same_reply": same, "runs": args.runs, "tokens": args.tokens,
               "model": model.name,
               "interval_s": "paced" if args.interval is None else args.interval}
    print(json.dumps(result))


if __name__ == "__main__":
    main()

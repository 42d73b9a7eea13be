"""Time to the first frame of the TUI from process start, beside bare Python and `--help`.

Run: .venv/bin/python -m bench.startup [--against DIR]
  --against DIR  also measure another checkout of companion (e.g. a `git worktree` of
                 an older commit) in the same run, with the same interpreter.

The app is started the way a person starts it (`python -m companion --home HOME`, no
passphrase file, so the first screen is the passphrase screen); a small wrapper makes
Textual run headless and print the wall clock once the first screen is up. Each figure
is the median of RUNS fresh processes; the trees are measured interleaved, so a busy
moment of the machine hurts both. A bare Textual app with the same widgets as the
passphrase screen shows the floor Textual itself sets here. The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 5
HERE = Path(__file__).resolve().parents[1]

FIRST_FRAME = r"""
import runpy, sys, time
from textual.app import App

_run = App.run

async def _first_frame(pilot):
    await pilot.pause()
    print(f"FRAME {time.time():.6f}", flush=True)
    pilot.app.exit()

def run(self, *args, **kwargs):
    kwargs.update(headless=True, size=(100, 30), auto_pilot=_first_frame)
    return _run(self, *args, **kwargs)

App.run = run
sys.argv = ["companion", "--home", sys.argv[1]]
try:
    runpy.run_module("companion", run_name="__main__")
except SystemExit:
    pass
"""


# The floor: a bare Textual app showing the same widgets as the passphrase screen.
BARE_TEXTUAL = r"""
import time
from textual.app import App
from textual.containers import Center, Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, Static

class Unlock(Screen):
    def compose(self):
        with Center():
            with Vertical():
                yield Label("companion")
                yield Static("A place to think out loud.")
                yield Input(password=True)
                yield Input(password=True)
                yield Static("")
                yield Button("Create")
        yield Footer()

class Bare(App):
    def on_mount(self):
        self.push_screen(Unlock())

async def _first_frame(pilot):
    await pilot.pause()
    print(f"FRAME {time.time():.6f}", flush=True)
    pilot.app.exit()

Bare().run(headless=True, size=(100, 30), auto_pilot=_first_frame)
"""


def wall(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, env=env, cwd=tempfile.gettempdir())
    return time.perf_counter() - start


def env_for(tree: Path) -> dict[str, str]:
    """Import companion from TREE (the processes run in another folder, since `-c` puts the
    current folder first on sys.path)."""
    return {**os.environ, "PYTHONPATH": str(tree)}


def first_frame(script: str, tree: Path) -> float:
    home = tempfile.mkdtemp()
    start = time.time()
    out = subprocess.run([sys.executable, "-c", script, home], check=True, cwd=home,
                         capture_output=True, text=True, env=env_for(tree)).stdout
    return float(out.split("FRAME")[1].split()[0]) - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", type=Path, help="another checkout to measure too")
    args = parser.parse_args()
    trees = {"this": HERE}
    if args.against is not None:
        trees["against"] = args.against.resolve()
    bare = [wall([sys.executable, "-c", "pass"], dict(os.environ)) for _ in range(RUNS)]
    helps: dict[str, list[float]] = {name: [] for name in trees}
    frames: dict[str, list[float]] = {name: [] for name in trees}
    floor = []
    for _ in range(RUNS):
        floor.append(first_frame(BARE_TEXTUAL, HERE))
        for name, tree in trees.items():
            helps[name].append(wall([sys.executable, "-m", "companion", "--help"],
                                    env_for(tree)))
            frames[name].append(first_frame(FIRST_FRAME, tree))
    b = statistics.median(bare)
    fl = statistics.median(floor)
    result: dict[str, float] = {"bare_python_ms": round(b * 1000, 1),
                                "bare_textual_first_frame_ms": round(fl * 1000, 1)}
    print(f"python -c pass:             {b * 1000:7.1f} ms")
    print(f"bare Textual, same widgets: {fl * 1000:7.1f} ms to its first frame (the floor)")
    for name, tree in trees.items():
        h, f = statistics.median(helps[name]), statistics.median(frames[name])
        print(f"[{name}: {tree}]")
        print(f"  companion --help:         {h * 1000:7.1f} ms  ({h / b:.1f}x bare python)")
        print(f"  TUI first frame:          {f * 1000:7.1f} ms from process start "
              f"({f / b:.1f}x bare python)")
        result[f"{name}_help_ms"] = round(h * 1000, 1)
        result[f"{name}_first_frame_ms"] = round(f * 1000, 1)
    if "against" in trees:
        result["first_frame_ratio"] = round(result["this_first_frame_ms"]
                                            / result["against_first_frame_ms"], 3)
    print(json.dumps(result))


if __name__ == "__main__":
    main()

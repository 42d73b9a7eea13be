"""Time to the first frame of the TUI, beside the bare interpreter and `companion --help`.

Run: .venv/bin/python -m bench.startup
Each figure is the median of several fresh processes, measured side by side.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time

RUNS = 5

FIRST_FRAME = r"""
import time
started = time.perf_counter()
import sys
from companion import paths
from companion.config import Settings
from companion.ui.app import CompanionApp

async def first_frame(pilot):
    await pilot.pause()
    print(f"FRAME {time.perf_counter() - started:.4f}")
    pilot.app.exit()

app = CompanionApp(paths.resolve(sys.argv[1]), Settings())
app.run(headless=True, size=(100, 30), auto_pilot=first_frame)
"""


def wall(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    bare = [wall([sys.executable, "-c", "pass"]) for _ in range(RUNS)]
    helps = [wall([sys.executable, "-m", "companion", "--help"]) for _ in range(RUNS)]
    frames = []
    for _ in range(RUNS):
        home = tempfile.mkdtemp()
        start = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", FIRST_FRAME, home], check=True,
                             capture_output=True, text=True).stdout
        total = time.perf_counter() - start
        inner = float(out.split("FRAME")[1].split()[0])
        frames.append((total, inner))
    b, h = statistics.median(bare), statistics.median(helps)
    f_total = statistics.median(t for t, _ in frames)
    f_inner = statistics.median(i for _, i in frames)
    print(f"python -c pass:        {b*1000:7.1f} ms")
    print(f"companion --help:      {h*1000:7.1f} ms  ({h/b:.1f}x bare python)")
    print(f"TUI first frame:       {f_inner*1000:7.1f} ms after the script started "
          f"(process wall {f_total*1000:.1f} ms, {f_total/b:.1f}x bare python)")


if __name__ == "__main__":
    main()

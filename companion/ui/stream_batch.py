"""Streamed reply text, gathered in the reply worker and handed to the UI in batches.

On two cores llama.cpp's threads and the UI thread share the machine, and each update of
the growing reply costs Textual a layout and a frame or two (~5-10 ms of the UI thread);
one per token cost the TUI a third of the decode speed `say` gets. So pieces are joined
in the worker and sent on at most every `Pace.interval` seconds, and always before a new
part and at the end, so the UI does one update per batch whatever the token rate. The
list belongs to the worker thread alone: batches travel as messages, in order with the
parts and the end, so nothing but the interval (one float) is shared between threads.

The interval starts at MIN_INTERVAL_S (20 updates a second) and grows while the UI
thread's own work would take more than UI_SHARE of a core: frames cost more in a long
conversation, on a slower machine, in a wider terminal.
"""

from __future__ import annotations

import time
from collections.abc import Callable

MIN_INTERVAL_S = 0.05
MAX_INTERVAL_S = 0.3
UI_SHARE = 0.05


class Pace:
    """How often the UI takes a batch; `observe` runs on the UI thread, the worker reads
    `interval` (a float: a plain attribute read is safe across threads)."""

    def __init__(self) -> None:
        self.interval = MIN_INTERVAL_S

    def observe(self, busy_s: float, wall_s: float) -> None:
        """The UI thread was busy `busy_s` of the last `wall_s` seconds (one batch)."""
        if wall_s <= 0:
            return
        wanted = self.interval * (busy_s / wall_s) / UI_SHARE
        # halfway there each batch: one slow frame (a new part mounting) does not decide
        self.interval = min(MAX_INTERVAL_S, max(MIN_INTERVAL_S, (self.interval + wanted) / 2))


class Batcher:
    """`add` each piece as it comes; `flush` before anything that must follow the text,
    `begin` before a new part."""

    def __init__(self, send: Callable[[str], None], pace: Pace | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._send = send
        self._pace = pace or Pace()
        self._clock = clock
        self._pieces: list[str] = []
        self._sent_at: float | None = None  # None: the next piece goes at once

    def add(self, text: str) -> None:
        if not text:
            return
        self._pieces.append(text)
        if self._sent_at is None or self._clock() - self._sent_at >= self._pace.interval:
            self.flush()

    def flush(self) -> None:
        """Send what is gathered (nothing if nothing is), restarting the interval."""
        if self._pieces:
            text = "".join(self._pieces)
            self._pieces.clear()
            self._send(text)
            self._sent_at = self._clock()

    def begin(self) -> None:
        """Flush; the next piece opens a new part, which the person waits for like the
        first, so it goes at once."""
        self.flush()
        self._sent_at = None

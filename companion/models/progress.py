"""Progress of a long byte job (a model download or hash) and a terminal line that shows it.

This module is a leaf: `download.py` builds on `Progress` and `RateMeter` (and re-exports
`Progress`), the CLI draws a `ProgressLine`. On a terminal the line rewrites itself with
`\\r`; anywhere else (logs, CI, a pipe) it prints a plain line every 10 % or 5 s instead,
so a multi-gigabyte download does not flood a log with thousands of lines.
"""

from __future__ import annotations

import math
import shutil
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from companion.i18n import t

_TTY_INTERVAL = 0.1
_PLAIN_INTERVAL = 5.0
_UNITS = ("B", "kB", "MB", "GB", "TB", "PB")


@dataclass(frozen=True)
class Progress:
    """One report from a long byte job; plain data so any front end can draw it."""

    done: int
    """Bytes on disk so far, including bytes kept from an earlier, resumed attempt."""
    total: int | None
    """Expected size in bytes, when the caller or the server said."""
    rate: float
    """Bytes per second over the last few seconds; 0 until there is enough to measure."""
    eta: float | None
    """Seconds left, when both `total` and `rate` are known."""
    phase: str
    """"checking" while re-hashing a partial file before resuming, else "downloading"."""


class RateMeter:
    """Bytes per second over a sliding window.

    A window rather than an average since the start, so a stalled connection shows as
    slow at once and a fast start does not promise an ETA the link cannot keep.
    """

    def __init__(self, window: float = 5.0) -> None:
        self._window = window
        self._samples: deque[tuple[float, int]] = deque()
        self.rate = 0.0

    def add(self, done: int, now: float | None = None) -> float:
        """Record that `done` bytes are finished at `now`; return the current rate."""
        now = time.monotonic() if now is None else now
        self._samples.append((now, done))
        while len(self._samples) > 2 and now - self._samples[1][0] >= self._window:
            self._samples.popleft()
        start, first = self._samples[0]
        if now - start >= 0.25:  # shorter spans give wild numbers
            self.rate = max(0.0, (done - first) / (now - start))
        return self.rate

    def eta(self, done: int, total: int | None) -> float | None:
        """Seconds left at the current rate, or None when that cannot be known."""
        if total is None or self.rate <= 0:
            return None
        return max(0.0, (total - done) / self.rate)


class Reporter:
    """Feeds a progress callback at most every `interval` seconds, plus forced reports (the
    start and the end), so a fast disk or link never makes the UI the bottleneck."""

    def __init__(self, callback: Callable[[Progress], None] | None, phase: str,
                 total: int | None, interval: float = 0.1) -> None:
        self._callback, self._phase, self._total = callback, phase, total
        self._interval = interval
        self._meter = RateMeter()
        self._last = -math.inf

    def __call__(self, done: int, *, force: bool = False) -> None:
        now = time.monotonic()
        if self._callback is None or (not force and now - self._last < self._interval):
            return
        self._last = now
        rate = self._meter.add(done, now)
        self._callback(Progress(done, self._total, rate, self._meter.eta(done, self._total),
                                self._phase))


def human_bytes(n: float) -> str:
    """`45.2 MB`: decimal units, as model hubs quote file sizes."""
    value = float(max(n, 0))
    if value < 1000:
        return f"{int(value)} B"
    for unit in _UNITS[1:]:
        value /= 1000
        if round(value, 1) < 1000 or unit == _UNITS[-1]:
            return f"{value:.1f} {unit}"
    raise AssertionError("unreachable")  # pragma: no cover


def human_duration(seconds: float | None) -> str:
    """`3m 12s`; `?` when unknown. Zero-padded minor parts keep a live line from jittering.
    The units are the person's language's own short ones (`3분 12초`, `3 min 12 s`)."""
    if seconds is None or not math.isfinite(seconds):
        return "?"
    total = max(0, round(seconds))
    if total < 60:
        return t("model_texts.seconds", s=total)
    minutes, secs = divmod(total, 60)
    if minutes < 60:
        return t("model_texts.minutes", m=minutes, s=f"{secs:02d}")
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return t("model_texts.hours", h=hours, m=f"{minutes:02d}")
    days, hours = divmod(hours, 24)
    return t("model_texts.days", d=days, h=hours)


def render(label: str, p: Progress) -> str:
    """`label  45.2 MB / 1.1 GB  4.3 MB/s  ETA 3m 12s` (a word for the phase when checking).

    `p.phase` stays a fixed word in code; only what is drawn is in the person's language."""
    parts = [label]
    if p.phase != "downloading":
        parts.append(t("model_texts.checking") if p.phase == "checking" else p.phase)
    parts.append(f"{human_bytes(p.done)} / {human_bytes(p.total)}" if p.total is not None
                 else human_bytes(p.done))
    if p.rate > 0:
        parts.append(f"{human_bytes(p.rate)}/s")
    if p.eta is not None and p.done != p.total:
        parts.append(t("model_texts.eta", time=human_duration(p.eta)))
    return "  ".join(parts)


class ProgressLine:
    """A single progress line for one download or hash, ended by `finish`.

    Writing to the terminal must never break the job it reports on: a closed or broken
    stream silently turns the line off.
    """

    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self._label = label
        self._stream = stream if stream is not None else sys.stderr
        try:
            self._tty = bool(self._stream.isatty())
        except (AttributeError, ValueError, OSError):
            self._tty = False
        self._meter: RateMeter | None = None
        self._last: Progress | None = None
        self._last_written: Progress | None = None
        self._written_at = -math.inf
        self._decile = -1
        self._width = 0
        self._dead = False

    def update(self, p: Progress) -> None:
        """Show `p`, unless a line was shown too recently to be worth another."""
        self._last = p
        now = time.monotonic()
        phase_changed = self._last_written is None or self._last_written.phase != p.phase
        if self._tty:
            if phase_changed or now - self._written_at >= _TTY_INTERVAL:
                self._draw(render(self._label, p))
                self._mark(p, now)
            return
        decile = p.done * 10 // p.total if p.total else -1
        if phase_changed or decile > self._decile or now - self._written_at >= _PLAIN_INTERVAL:
            self._write(render(self._label, p) + "\n")
            self._mark(p, now)

    def bytes_done(self, done: int, total: int | None) -> None:
        """Report a hash in progress (`done` bytes read of `total`); the rate is measured here."""
        if self._meter is None:
            self._meter = RateMeter()
        rate = self._meter.add(done)
        self.update(Progress(done, total, rate, self._meter.eta(done, total), "checking"))

    def finish(self, message: str | None = None) -> None:
        """End the line: show the final numbers, then `message` (as-is) on a line of its own."""
        last = self._last
        if self._tty:
            if last is not None:
                self._draw(render(self._label, last))
                self._write("\n")
        elif last is not None and last != self._last_written:
            self._write(render(self._label, last) + "\n")
        if message:
            self._write(message + "\n")
        self._last = self._last_written = None
        self._width = 0
        self._decile = -1

    def _mark(self, p: Progress, now: float) -> None:
        self._last_written = p
        self._written_at = now
        if p.total:
            self._decile = p.done * 10 // p.total

    def _draw(self, text: str) -> None:
        """Rewrite the terminal line in place, cut to the terminal's width so it never wraps."""
        columns = shutil.get_terminal_size((80, 24)).columns
        text = text[: max(columns - 1, 10)]
        self._write("\r" + text.ljust(self._width))
        self._width = len(text)

    def _write(self, text: str) -> None:
        if self._dead:
            return
        try:
            self._stream.write(text)
            self._stream.flush()
        except (OSError, ValueError):
            self._dead = True

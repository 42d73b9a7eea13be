"""Threads: how many llama.cpp gets (no llama imports, so the speed check can ask
cheaply), and a stop signal made of several events.

One thread per physical core: a hyper-thread shares its core's vector units, and an
OpenMP thread that waits at one of the hundreds of barriers in each token's graph for a
sibling that has no core of its own stalls the whole token.
"""

from __future__ import annotations

import os
import threading


def physical_cores() -> int:
    """llama.cpp runs fastest with one thread per physical core, not per hyper-thread."""
    try:
        import psutil

        cores = psutil.cpu_count(logical=False)
    except Exception:
        cores = None
    return max(1, cores or (os.cpu_count() or 2) // 2 or 1)


class AnyOf:
    """Set when either event is: the caller's cancel, or the engine closing."""

    def __init__(self, *events: threading.Event) -> None:
        self.events = events

    def is_set(self) -> bool:
        return any(event.is_set() for event in self.events)

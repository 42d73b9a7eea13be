"""The app's log file: warnings and errors about the program, never the user's words.

Only exception types and source locations are logged for unexpected errors, because
an exception message or a local variable can carry text the person wrote.
"""

from __future__ import annotations

import logging
import os
import traceback
from pathlib import Path

LOGGER = "companion"


def setup(log_file: Path) -> None:
    """Send companion's and llama.cpp's warnings to `log_file` (mode 0600), nothing to the tty."""
    log_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.close(fd)
    handler = logging.FileHandler(log_file, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger(LOGGER)
    for old in list(root.handlers):
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    root.propagate = False


def log_unexpected(exc: BaseException) -> None:
    """Record where an unexpected error happened without its message (it may quote the user)."""
    frames = "".join(traceback.format_tb(exc.__traceback__))
    logging.getLogger(LOGGER).error("unexpected %s\n%s", type(exc).__name__, frames)

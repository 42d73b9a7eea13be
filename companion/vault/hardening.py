"""Keeping the data key and the person's words out of core dumps and other users' reach.

While the vault is open its data key is in memory; a crash under `ulimit -c unlimited`
would write it into a core file that opens the vault without the passphrase. So every
command starts by turning core dumps off, marking the process non-dumpable on Linux
(no core, no ptrace by other processes of the same user), and setting a private umask,
so every file the app creates (the database, its WAL and SHM files, exports, logs) is
readable by its owner only.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys

PR_SET_DUMPABLE = 4
PR_GET_DUMPABLE = 3


def harden_process() -> None:
    os.umask(0o077)
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ImportError, ValueError, OSError):  # Windows has no rlimits; nothing to lower
        pass
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)


def is_dumpable() -> bool:
    """Whether the kernel would write a core for this process (Linux; else unknown: True)."""
    if not sys.platform.startswith("linux"):
        return True
    return bool(ctypes.CDLL(None, use_errno=True).prctl(PR_GET_DUMPABLE, 0, 0, 0, 0))

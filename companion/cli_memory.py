"""Journal, memories, commitments and moods from the command line."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}
"""Subcommand name → handler; cli.main dispatches through this."""


def add_parsers(sub: Any) -> None:
    """Add this module's subcommands to the top-level parser."""

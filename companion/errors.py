"""Errors a person can act on.

Every failure that reaches the user is one of these: it carries one plain sentence
(what happened and what to do) and the exit code scripts rely on. Nothing else may
leave the CLI, so no traceback ever shows the user's words.
"""

from __future__ import annotations


class CompanionError(Exception):
    """Base for errors the user sees; `str(err)` is the sentence shown to them."""

    exit_code: int = 1


class UsageError(CompanionError):
    exit_code = 2


class WrongPassphrase(CompanionError):
    exit_code = 3


class ModelError(CompanionError):
    """The model is missing, unreadable or not a GGUF file."""

    exit_code = 4


class VaultDamaged(CompanionError):
    exit_code = 5


class PinMismatch(CompanionError):
    """The model file no longer matches the pin; the app refuses to go on with another one."""

    exit_code = 6


class EngineChanged(PinMismatch):
    """The model on the person's own server answers differently than its pin."""


class DiskFull(CompanionError):
    """No space left: the vault is fine, nothing more could be written."""

    exit_code = 1

"""The data key and its wrapping.

A random 256-bit data key opens the database. It is stored only wrapped (AES-256-GCM)
by a key derived from the passphrase with Argon2id, so changing the passphrase means
re-wrapping 32 bytes, never rewriting the database, and the KDF cost can be raised
later because its parameters live beside the salt.

Secrets in memory, honestly: a passphrase handed in as a `bytearray` reaches Argon2
without a copy, and the wrapping key is derived into a `bytearray` that is zeroed once
used; callers zero their own bytearrays (`wipe`). A passphrase handed in as `str` (a
terminal's getpass, a Textual Input) is immutable: it is encoded into a bytearray that is
zeroed, but the `str` itself, the characters the widget built while it was typed, and the
unwrapped data key (`bytes`, which SQLCipher needs anyway) stay in freed memory until
Python reuses it. Core dumps are off (`hardening.py`), so that memory stays in-process.
"""

from __future__ import annotations

import base64
import contextlib
import errno
import json
import os
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TypeAlias

from argon2 import low_level
from argon2.low_level import ARGON2_VERSION, Type, ffi
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from companion.errors import CompanionError, DiskFull, VaultDamaged, WrongPassphrase
from companion.i18n import t
from companion.vault.private_files import fsync_dir

KEY_FILE_VERSION = 1
_AAD = b"companion vault data key v1"
Secret: TypeAlias = "str | bytes | bytearray"
"""A passphrase: UTF-8 bytes (a bytearray can be wiped afterwards) or text."""


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost; defaults follow RFC 9106's second recommendation (64 MiB, t=3)."""

    time_cost: int = 3
    memory_kib: int = 64 * 1024
    parallelism: int = 4
    salt_b64: str = ""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def wipe(buffer: bytearray) -> None:
    """Overwrite a secret in place; the only kind of memory Python lets us clear."""
    buffer[:] = bytes(len(buffer))


def derive_wrapping_key(passphrase: Secret, params: KdfParams) -> bytearray:
    """Argon2id into a bytearray the caller wipes. The C function is called directly
    because `hash_secret_raw` copies the passphrase into a buffer it never clears."""
    owned = bytearray(passphrase, "utf-8") if isinstance(passphrase, str) else None
    secret = passphrase if owned is None else owned
    salt = _unb64(params.salt_b64)
    out = bytearray(32)
    try:
        code = low_level.lib.argon2_hash(
            params.time_cost, params.memory_kib, params.parallelism,
            ffi.from_buffer(secret), len(secret), ffi.from_buffer(salt), len(salt),
            ffi.from_buffer(out), len(out), ffi.NULL, 0, Type.ID.value, ARGON2_VERSION)
    finally:
        if owned is not None:
            wipe(owned)  # our own copy of a str
    if code != low_level.lib.ARGON2_OK:
        wipe(out)
        raise ValueError(low_level.error_to_str(code))
    return out


def _wrap(passphrase: Secret, data_key: bytes, base: KdfParams) -> str:
    """The key file's text: `data_key` under `passphrase`, with a fresh salt and nonce."""
    params = KdfParams(base.time_cost, base.memory_kib, base.parallelism,
                       _b64(secrets.token_bytes(16)))
    nonce = secrets.token_bytes(12)
    wrapping_key = derive_wrapping_key(passphrase, params)
    try:
        wrapped = AESGCM(wrapping_key).encrypt(nonce, data_key, _AAD)
    finally:
        wipe(wrapping_key)
    record = {
        "version": KEY_FILE_VERSION,
        "kdf": "argon2id",
        "kdf_params": asdict(params),
        "nonce": _b64(nonce),
        "wrapped_key": _b64(wrapped),
    }
    return json.dumps(record, indent=2) + "\n"


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def write_key_file(path: Path, passphrase: Secret, data_key: bytes,
                   params: KdfParams | None = None) -> None:
    """Wrap `data_key` under `passphrase` and store it with everything needed to unwrap."""
    _write_atomically(path, _wrap(passphrase, data_key, params or KdfParams()))


def new_data_key() -> bytes:
    return secrets.token_bytes(32)


def _read_record(path: Path) -> tuple[KdfParams, bytes, bytes]:
    """The KDF parameters, nonce and wrapped key of a key file; VaultDamaged if unusable."""
    damaged = _damaged(path)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        if record.get("version") != KEY_FILE_VERSION or record.get("kdf") != "argon2id":
            raise damaged
        return (KdfParams(**record["kdf_params"]), _unb64(record["nonce"]),
                _unb64(record["wrapped_key"]))
    except VaultDamaged:
        raise
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        raise damaged from None


def _damaged(path: Path) -> VaultDamaged:
    return VaultDamaged(t("vault_errors.key_file_damaged", path=path))


def _unwrap(path: Path, passphrase: Secret) -> tuple[bytes, KdfParams]:
    params, nonce, wrapped = _read_record(path)
    try:
        wrapping_key = derive_wrapping_key(passphrase, params)
    except Exception:
        raise _damaged(path) from None
    try:
        data_key = AESGCM(wrapping_key).decrypt(nonce, wrapped, _AAD)
    except InvalidTag:
        raise WrongPassphrase(t("vault_errors.wrong_passphrase")) from None
    finally:
        wipe(wrapping_key)
    if len(data_key) != 32:
        raise _damaged(path)
    return data_key, params


def read_key_file(path: Path, passphrase: Secret) -> bytes:
    """Unwrap the data key; a wrong passphrase and a damaged file are told apart."""
    return _unwrap(path, passphrase)[0]


def pending_key_path(path: Path) -> Path:
    """Where a passphrase change writes the new key file before it replaces the old."""
    return path.with_name(path.name + ".new")


def rewrap_key_file(path: Path, old: Secret, new: Secret) -> None:
    """Change the passphrase: the same data key, wrapped under `new` (fresh salt, the
    file's own KDF cost), so the database is not touched.

    Crash-safe by order: the new file is written beside (`vault.key.new`), fsynced and
    unwrapped again with `new` before `os.replace` puts it in place in one step, and the
    folder is fsynced. Until the rename only the old passphrase opens the vault, after it
    only the new one; a leftover `vault.key.new` (a change cut short, never in use) is
    removed here and ignored everywhere else. A wrong `old` changes nothing.
    """
    data_key, params = _unwrap(path, old)
    pending = pending_key_path(path)
    text = _wrap(new, data_key, params)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        pending.unlink(missing_ok=True)
        fd = os.open(pending, flags, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if _unwrap(pending, new)[0] != data_key:
            raise _damaged(pending)
        os.replace(pending, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            pending.unlink(missing_ok=True)
        if not isinstance(exc, OSError):
            raise
        error = DiskFull if exc.errno == errno.ENOSPC else CompanionError
        raise error(t("vault_errors.key_file_not_written", pending=pending,
                      reason=exc.strerror or exc)) from None
    fsync_dir(path.parent)

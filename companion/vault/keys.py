"""The data key and its wrapping.

A random 256-bit data key opens the database. It is stored only wrapped (AES-256-GCM)
by a key derived from the passphrase with Argon2id, so changing the passphrase means
re-wrapping 32 bytes, never rewriting the database, and the KDF cost can be raised
later because its parameters live beside the salt.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from companion.errors import VaultDamaged, WrongPassphrase

KEY_FILE_VERSION = 1
_AAD = b"companion vault data key v1"


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


def derive_wrapping_key(passphrase: str, params: KdfParams) -> bytes:
    return hash_secret_raw(
        secret=passphrase.encode("utf-8"),
        salt=_unb64(params.salt_b64),
        time_cost=params.time_cost,
        memory_cost=params.memory_kib,
        parallelism=params.parallelism,
        hash_len=32,
        type=Type.ID,
    )


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def write_key_file(path: Path, passphrase: str, data_key: bytes,
                   params: KdfParams | None = None) -> None:
    """Wrap `data_key` under `passphrase` and store it with everything needed to unwrap."""
    base = params or KdfParams()
    params = KdfParams(base.time_cost, base.memory_kib, base.parallelism,
                       _b64(secrets.token_bytes(16)))
    nonce = secrets.token_bytes(12)
    wrapped = AESGCM(derive_wrapping_key(passphrase, params)).encrypt(nonce, data_key, _AAD)
    record = {
        "version": KEY_FILE_VERSION,
        "kdf": "argon2id",
        "kdf_params": asdict(params),
        "nonce": _b64(nonce),
        "wrapped_key": _b64(wrapped),
    }
    _write_atomically(path, json.dumps(record, indent=2) + "\n")


def new_data_key() -> bytes:
    return secrets.token_bytes(32)


def read_key_file(path: Path, passphrase: str) -> bytes:
    """Unwrap the data key; a wrong passphrase and a damaged file are told apart."""
    damaged = VaultDamaged(
        f"The key file {path} is damaged or unreadable; restore it from a backup "
        "(nothing was changed)."
    )
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        if record.get("version") != KEY_FILE_VERSION or record.get("kdf") != "argon2id":
            raise damaged
        params = KdfParams(**record["kdf_params"])
        nonce = _unb64(record["nonce"])
        wrapped = _unb64(record["wrapped_key"])
    except VaultDamaged:
        raise
    except (OSError, ValueError, KeyError, TypeError):
        raise damaged from None
    try:
        wrapping_key = derive_wrapping_key(passphrase, params)
    except Exception:
        raise damaged from None
    try:
        data_key = AESGCM(wrapping_key).decrypt(nonce, wrapped, _AAD)
    except InvalidTag:
        raise WrongPassphrase(
            "That passphrase does not open this vault; check it and try again."
        ) from None
    if len(data_key) != 32:
        raise damaged
    return data_key

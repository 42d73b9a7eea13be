"""Checking a model file before llama.cpp ever sees it.

Model files are untrusted input: llama.cpp parses them in C, so a file must prove it
is a readable GGUF (magic bytes, then a full header parse) and is identified by its
sha256, which every reply records as its provenance.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from companion.domain import ModelInfo
from companion.errors import ModelError

GGUF_MAGIC = b"GGUF"
_CHUNK = 1 << 20


def sha256_of(path: Path, progress: Callable[[int], None] | None = None) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            if progress is not None:
                progress(len(chunk))
    return digest.hexdigest()


def _gguf_name(path: Path) -> str:
    """Parse the whole GGUF header with the `gguf` package; refuse anything it rejects."""
    from gguf import GGUFReader

    try:
        reader = GGUFReader(path, "r")
    except Exception:
        raise ModelError(
            f"{path} looks like a GGUF file but its header is damaged; download or copy it again."
        ) from None
    field = reader.get_field("general.name")
    if field is not None:
        try:
            name = field.contents()
        except Exception:
            name = None
        if isinstance(name, str) and name.strip():
            return name.strip()
    return path.stem


def inspect_model(path: str | Path) -> ModelInfo:
    """Check that `path` is a real GGUF file and identify it; ModelError says what is wrong."""
    file = Path(path).expanduser()
    if not file.exists():
        raise ModelError(f"The model file {file} does not exist; check the path and try again.")
    if file.is_dir():
        raise ModelError(f"{file} is a folder, not a model file; give the path of a .gguf file.")
    try:
        size = file.stat().st_size
        with file.open("rb") as handle:
            magic = handle.read(4)
    except OSError as exc:
        raise ModelError(
            f"The model file {file} cannot be read ({exc.strerror}); check its permissions."
        ) from None
    if size == 0:
        raise ModelError(f"The model file {file} is empty; download or copy it again.")
    if magic != GGUF_MAGIC:
        raise ModelError(
            f"{file} is not a GGUF model file; companion needs a .gguf file made for llama.cpp."
        )
    name = _gguf_name(file)
    try:
        digest = sha256_of(file)
    except OSError as exc:
        raise ModelError(f"The model file {file} cannot be read ({exc.strerror}).") from None
    return ModelInfo(path=str(file), sha256=digest, name=name, size=size)

"""Checking a model file before llama.cpp ever sees it.

Model files are untrusted input: llama.cpp parses them in C, so a file must prove it
is a readable GGUF (magic bytes, then a full header parse) and is identified by its
sha256, which every reply records as its provenance.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

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


@dataclass(frozen=True)
class GGUFMetadata:
    """What the header says about a model: shown for unverified imports, pinned by hash."""

    name: str
    architecture: str
    parameters: int
    context: int | None
    has_chat_template: bool
    chat_template_sha256: str

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _field(reader: Any, key: str) -> Any:
    field = reader.get_field(key)
    if field is None:
        return None
    try:
        return field.contents()
    except Exception:
        return None


def read_metadata(path: Path) -> GGUFMetadata:
    """Parse the whole GGUF header with the `gguf` package; refuse anything it rejects."""
    from gguf import GGUFReader

    try:
        reader = GGUFReader(path, "r")
        parameters = sum(int(t.n_elements) for t in reader.tensors)
    except Exception:
        raise ModelError(
            f"{path} looks like a GGUF file but its header is damaged; download or copy it again."
        ) from None
    name = _field(reader, "general.name")
    architecture = _field(reader, "general.architecture")
    arch = architecture if isinstance(architecture, str) else ""
    context = _field(reader, f"{arch}.context_length") if arch else None
    template = _field(reader, "tokenizer.chat_template")
    has_template = isinstance(template, str) and bool(template.strip())
    return GGUFMetadata(
        name=name.strip() if isinstance(name, str) and name.strip() else path.stem,
        architecture=arch or "unknown",
        parameters=parameters,
        context=int(context) if isinstance(context, int) else None,
        has_chat_template=has_template,
        chat_template_sha256=(
            hashlib.sha256(template.encode("utf-8")).hexdigest() if has_template else ""
        ),
    )


def check_file(path: str | Path) -> Path:
    """The cheap checks: the file exists, can be read, and starts with the GGUF magic."""
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
    return file


def inspect_model(path: str | Path, *, known_sha256: str | None = None,
                  progress: Callable[[int], None] | None = None) -> ModelInfo:
    """Check that `path` is a real GGUF file and identify it; ModelError says what is wrong.

    `known_sha256` skips the full hash when the caller has just proved the file is
    unchanged (same size and modification time as when it was last hashed).
    """
    file = check_file(path)
    meta = read_metadata(file)
    if known_sha256 is None:
        try:
            known_sha256 = sha256_of(file, progress)
        except OSError as exc:
            raise ModelError(f"The model file {file} cannot be read ({exc.strerror}).") from None
    return ModelInfo(path=str(file), sha256=known_sha256, name=meta.name,
                     size=file.stat().st_size, chat_template_sha256=meta.chat_template_sha256)

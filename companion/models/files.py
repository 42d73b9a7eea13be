"""Checking a model file before llama.cpp ever sees it.

Model files are untrusted input: llama.cpp parses them in C, so a file must prove it
is a readable GGUF (magic bytes, then a full header parse under hard limits in
`gguf_limits`) and is identified by its sha256, which every reply records as its
provenance. The first load of each sha256 is then tried in a child process (`trial`).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from companion.domain import ModelInfo
from companion.errors import ModelError
from companion.i18n import t
from companion.models.gguf_limits import Header, HeaderRefused, read_header

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


def checked_header(path: Path) -> Header:
    """The GGUF header read under hard limits, or ModelError in one sentence."""
    try:
        with path.open("rb") as handle:
            return read_header(handle, os.fstat(handle.fileno()).st_size)
    except HeaderRefused as exc:
        raise ModelError(t("model_errors.unsafe_header", path=path, detail=exc)) from None
    except OSError as exc:
        raise ModelError(t("model_errors.header_unreadable", path=path,
                           reason=exc.strerror)) from None


def read_metadata(path: Path) -> GGUFMetadata:
    """Parse the whole GGUF header under hard limits (`gguf_limits`); refuse what breaks one.

    This runs before anything else reads the file's header, so a length or count that
    would make a parser allocate gigabytes, or a hyperparameter llama.cpp asserts on, is
    refused here in one sentence.
    """
    header = checked_header(path)
    name = header.text("general.name")
    arch = header.text("general.architecture") or ""
    context = header.integer(f"{arch}.context_length") if arch else None
    template = header.text("tokenizer.chat_template")
    has_template = template is not None and bool(template.strip())
    return GGUFMetadata(
        name=name.strip() if name is not None and name.strip() else path.stem,
        architecture=arch or "unknown",
        parameters=header.parameters,
        context=context,
        has_chat_template=has_template,
        chat_template_sha256=(
            hashlib.sha256(template.encode("utf-8")).hexdigest()
            if template is not None and has_template else ""
        ),
    )


def check_file(path: str | Path) -> Path:
    """The cheap checks: the file exists, can be read, and starts with the GGUF magic."""
    file = Path(path).expanduser()
    if not file.exists():
        raise ModelError(t("model_errors.file_missing", file=file))
    if file.is_dir():
        raise ModelError(t("model_errors.file_is_folder", file=file))
    if not file.is_file():  # a pipe or a device would block or never end
        raise ModelError(t("model_errors.file_not_regular", file=file))
    try:
        size = file.stat().st_size
        with file.open("rb") as handle:
            magic = handle.read(4)
    except OSError as exc:
        raise ModelError(t("model_errors.file_no_permission", file=file,
                           reason=exc.strerror)) from None
    if size == 0:
        raise ModelError(t("model_errors.file_empty", file=file))
    if magic != GGUF_MAGIC:
        raise ModelError(t("model_errors.file_not_gguf", file=file))
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
            raise ModelError(t("model_errors.file_unreadable", file=file,
                               reason=exc.strerror)) from None
    return ModelInfo(path=str(file), sha256=known_sha256, name=meta.name,
                     size=file.stat().st_size, chat_template_sha256=meta.chat_template_sha256)

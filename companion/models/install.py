"""Getting model files onto this machine and keeping track of them.

Every way in (download, import from a USB stick, a path on the command line) ends in
the same place: a file in the library whose sha256 was computed here. A registry hash
match makes it "verified"; anything else is kept, but marked "unverified" with what
its GGUF header says, and llama.cpp never sees a file that fails the header check.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from companion.errors import ModelError, UsageError
from companion.i18n import t
from companion.models.files import check_file, read_metadata, sha256_of
from companion.models.library import Library, LocalModel, stat_of
from companion.models.registry import Registry, RegistryEntry

Progress = Callable[[int], None]
SPARE_BYTES = 64 * 2**20
_CHUNK = 1 << 20


def slug(text: str) -> str:
    cleaned = re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-.")
    return cleaned or "model"


def record_file(library: Library, path: Path, registry: Registry, *, source: str,
                model_id: str | None = None, sha256: str | None = None,
                progress: Progress | None = None) -> LocalModel:
    """Check, hash (unless the caller just did) and record a model file in the library."""
    file = check_file(path).resolve()
    meta = read_metadata(file)
    digest = sha256 or sha256_of(file, progress)
    stat = stat_of(file)
    if stat is None:
        raise ModelError(t("model_errors.file_vanished", file=file))
    entry = registry.by_sha256(digest)
    existing = library.by_path(file)
    wanted = model_id or (entry.id if entry else None) or (existing.id if existing else None)
    wanted = wanted or slug(meta.name)
    clash = library.get(wanted)
    if clash is not None and clash.path != str(file):
        wanted = library.free_id(wanted)
    model = LocalModel(id=wanted, name=entry.name if entry else meta.name, path=str(file),
                       sha256=digest, size=stat[0], mtime_ns=stat[1], verified=entry is not None,
                       source=source, metadata=meta.as_dict(),
                       added_at=existing.added_at if existing else "")
    if existing is not None and existing.id != wanted:
        library.remove(existing.id)
    return library.put(model)


def identify(library: Library, path: str | Path, registry: Registry,
             progress: Progress | None = None) -> LocalModel:
    """The library's record for a file, re-hashing only when its size or mtime changed."""
    file = check_file(path).resolve()
    existing = library.by_path(file)
    if existing is not None and library.unchanged(existing):
        return existing
    return record_file(library, file, registry, source=existing.source if existing else "path",
                       model_id=existing.id if existing else None, progress=progress)


def _need_space(folder: Path, size: int) -> None:
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    free = shutil.disk_usage(folder).free
    if free < size + SPARE_BYTES:
        need = (size + SPARE_BYTES - free) / 1e9
        raise ModelError(t("model_errors.install_no_space", folder=folder, need=f"{need:.1f}"))


def install(library: Library, entry: RegistryEntry, registry: Registry, *,
            mirror: str | None = None, progress: Callable[..., None] | None = None,
            cancel: threading.Event | None = None) -> LocalModel:
    """Download a registry entry, verified against its pinned sha256 before it is kept."""
    from companion.models.download import download

    dest = library.folder / entry.file
    if dest.exists():
        have = identify(library, dest, registry)
        if have.sha256 == entry.sha256:
            return have
        raise ModelError(t("model_errors.install_other_file", dest=dest, model_id=entry.id))
    library.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    download(entry.download_url(mirror), dest, sha256=entry.sha256, size=entry.size,
             progress=progress, cancel=cancel)
    return record_file(library, dest, registry, source="install", model_id=entry.id,
                       sha256=entry.sha256)


def _copy_hashing(src: Path, folder: Path, progress: Progress | None) -> tuple[Path, str]:
    """Copy into a hidden temp file in the models folder, hashing as the bytes pass."""
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".import-", suffix=".part")
    digest = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out, src.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                out.write(chunk)
                digest.update(chunk)
                if progress is not None:
                    progress(len(chunk))
            out.flush()
            os.fsync(out.fileno())
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        if exc.errno in (errno.ENOSPC, errno.EFBIG):
            raise ModelError(t("model_errors.copy_disk_full", src=src)) from None
        raise ModelError(t("model_errors.copy_failed", src=src, reason=exc.strerror)) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp), digest.hexdigest()


def import_file(library: Library, source: str | Path, registry: Registry, *,
                model_id: str | None = None, progress: Progress | None = None) -> LocalModel:
    """Copy a model file in (from a USB stick, say), identified by its hash."""
    src = check_file(source).resolve()
    meta = read_metadata(src)  # refuse a broken header before copying gigabytes
    if model_id is not None and (model_id != slug(model_id) or not model_id[0].isalnum()):
        raise UsageError(t("model_errors.bad_model_id", model_id=repr(model_id)))
    if src.parent == library.folder.resolve():
        return record_file(library, src, registry, source="import", model_id=model_id,
                           progress=progress)
    _need_space(library.folder, src.stat().st_size)
    tmp, digest = _copy_hashing(src, library.folder, progress)
    entry = registry.by_sha256(digest)
    wanted = model_id or (entry.id if entry else None) or slug(meta.name)
    existing = library.by_sha256(digest)
    if existing is not None and Path(existing.path).parent == library.folder.resolve() \
            and library.unchanged(existing):
        tmp.unlink(missing_ok=True)
        return existing
    name = entry.file if entry else f"{wanted}.gguf"
    dest = library.folder / name
    if dest.exists():
        dest = library.folder / f"{wanted}-{digest[:8]}.gguf"
    os.replace(tmp, dest)
    return record_file(library, dest, registry, source="import", model_id=wanted, sha256=digest)


@dataclass(frozen=True)
class Verified:
    model: LocalModel
    ok: bool
    sentence: str


def verify(library: Library, model: LocalModel, registry: Registry,
           progress: Progress | None = None) -> Verified:
    """Re-hash in full; the new hash is recorded so the pin check sees any change."""
    path = Path(model.path)
    if not path.is_file():
        return Verified(model, False, t("model_texts.verify_missing", id=model.id, path=path))
    before = model.sha256
    expected = registry.find(model.id)
    now = record_file(library, path, registry, source=model.source, model_id=model.id,
                      progress=progress)
    if expected is not None and model.verified and now.sha256 != expected.sha256:
        return Verified(now, False, t("model_texts.verify_mismatch", id=model.id,
                                      found=now.short_hash, expected=expected.sha256[:12]))
    if now.sha256 != before:
        return Verified(now, False, t("model_texts.verify_changed", id=model.id,
                                      before=before[:12], found=now.short_hash))
    intact = "model_texts.verify_intact" if now.verified else "model_texts.verify_intact_unlisted"
    return Verified(now, True, t(intact, id=model.id, hash=now.short_hash))


def remove(library: Library, model: LocalModel) -> str:
    """Delete a file companion owns; a file elsewhere (from --model) is only forgotten."""
    path = Path(model.path)
    library.remove(model.id)
    if path.parent == library.folder.resolve():
        path.unlink(missing_ok=True)
        return t("model_texts.removed", id=model.id, path=path)
    return t("model_texts.forgotten", id=model.id, path=path)

"""The models on this machine: which file is which model, and what its hash was.

Hashing a 2 GB file takes seconds, so each file's sha256 is remembered with the size
and modification time it had when hashed; while both are unchanged the file is taken
as unchanged, and any change means a full hash again. The manifest names files and
hashes only (nothing the user wrote), so it lives beside the models in plain JSON.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

MANIFEST = "library.json"


@dataclass(frozen=True)
class LocalModel:
    id: str
    name: str
    path: str
    sha256: str
    size: int
    mtime_ns: int
    verified: bool
    """True when the sha256 is one the registry pins; imports of other files are not."""
    source: str
    """How it arrived: "install" (downloaded), "import" (copied in) or "path" (--model)."""
    metadata: dict[str, Any] = field(default_factory=dict)
    added_at: str = ""

    @property
    def short_hash(self) -> str:
        return self.sha256[:12]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def stat_of(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


class Library:
    """The manifest of local model files; every change is written atomically."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.file = folder / MANIFEST
        self._models: dict[str, LocalModel] = {}
        self.pinned: list[str] = []
        """sha256 of the pinned model, then earlier pins: a hint for `list` and `remove`
        without the passphrase. The pin itself lives in the vault."""
        self._load()

    def _load(self) -> None:
        if not self.file.exists():
            return
        try:
            raw = json.loads(self.file.read_text(encoding="utf-8"))
            models = {m["id"]: LocalModel(**m) for m in raw.get("models", [])}
            self.pinned = [str(h) for h in raw.get("pinned", [])]
        except (OSError, ValueError, TypeError, KeyError) as exc:
            # Only a cache of hashes and names: the pin in the vault still identifies the
            # model, so a damaged manifest costs a re-hash, never a lost model.
            log.warning("model manifest %s unreadable (%s); starting a new one",
                        self.file, type(exc).__name__)
            return
        self._models = models

    def _save(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        data = {"models": [m.as_dict() for m in self._models.values()], "pinned": self.pinned}
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".library-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, indent=2, sort_keys=True)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.file)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def all(self) -> list[LocalModel]:
        return sorted(self._models.values(), key=lambda m: m.id)

    def get(self, model_id: str) -> LocalModel | None:
        return self._models.get(model_id)

    def by_sha256(self, sha256: str) -> LocalModel | None:
        found = [m for m in self.all() if m.sha256 == sha256]
        inside = [m for m in found if Path(m.path).parent == self.folder]
        return (inside or found or [None])[0]

    def by_path(self, path: str | Path) -> LocalModel | None:
        wanted = str(Path(path).expanduser().resolve())
        return next((m for m in self.all() if m.path == wanted), None)

    def put(self, model: LocalModel) -> LocalModel:
        if not model.added_at:
            model = replace(model, added_at=now())
        self._models[model.id] = model
        self._save()
        return model

    def remove(self, model_id: str) -> None:
        if self._models.pop(model_id, None) is not None:
            self._save()

    def set_pinned(self, hashes: list[str]) -> None:
        if hashes != self.pinned:
            self.pinned = hashes
            self._save()

    def unchanged(self, model: LocalModel) -> bool:
        """Same size and modification time as when hashed: the hash still holds."""
        return stat_of(Path(model.path)) == (model.size, model.mtime_ns)

    def free_id(self, wanted: str) -> str:
        """`wanted`, or `wanted-2`, `wanted-3`… when a different file already has it."""
        candidate, n = wanted, 2
        while candidate in self._models:
            candidate, n = f"{wanted}-{n}", n + 1
        return candidate

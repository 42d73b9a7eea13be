"""What `models list` and the Models screen show: the registry and this machine, together.

The recommendation is made here, in one place, from facts the user can see (memory,
language, the estimated speed on this machine), so it is the same in the terminal and
in the app.
"""

from __future__ import annotations

import locale
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from companion.models.library import Library
from companion.models.registry import Registry, fits, total_memory_gb
from companion.models.speed import COMFORTABLE_TOKENS_PER_S, Machine, estimate, this_machine


@dataclass(frozen=True)
class Row:
    id: str
    name: str
    installed: bool
    pinned: bool
    verified: bool
    recommended: bool
    size: int
    ram: float
    fits: bool
    languages: tuple[str, ...]
    licence: str
    sha256: str
    path: str | None
    est_tokens_per_s: float
    est_first_reply_s: float
    repo: str
    revision: str
    file: str


@dataclass(frozen=True)
class Catalog:
    memory_gb: float
    language: str
    rows: list[Row]
    machine: Machine

    def as_dict(self) -> dict[str, Any]:
        return {"memory_gb": round(self.memory_gb, 2), "language": self.language,
                "memory_bandwidth_gbs": round(self.machine.bandwidth_gbs, 1),
                "cores": self.machine.cores,
                "comfortable_tokens_per_s": COMFORTABLE_TOKENS_PER_S,
                "models": [asdict(r) | {"languages": list(r.languages),
                                        "est_tokens_per_s": round(r.est_tokens_per_s, 1),
                                        "est_first_reply_s": round(r.est_first_reply_s, 1)}
                           for r in self.rows]}


def user_language(setting: str) -> str:
    """The setting, else the locale's language ("pt_BR.UTF-8" → "pt"), else English."""
    raw = setting or os.environ.get("LANG", "") or (locale.getlocale()[0] or "")
    code = raw.split(".")[0].replace("-", "_").split("_")[0].lower()
    return code if code.isalpha() and 2 <= len(code) <= 3 else "en"


def catalog(registry: Registry, library: Library, language: str = "",
            memory_gb: float | None = None, machine: Machine | None = None,
            cache_dir: Path | None = None) -> Catalog:
    """`machine` is measured (and cached in `cache_dir`) when not handed in."""
    memory = total_memory_gb() if memory_gb is None else memory_gb
    here = machine if machine is not None else this_machine(cache_dir)
    lang = user_language(language)
    best = registry.recommend(memory, lang, lambda e: estimate(e.size, here).tokens_per_s,
                              COMFORTABLE_TOKENS_PER_S)
    current = library.pinned[0] if library.pinned else None
    rows = []
    for entry in registry.entries:
        local = library.get(entry.id)
        installed = local is not None and local.sha256 == entry.sha256
        speed = estimate(entry.size, here)
        rows.append(Row(entry.id, entry.name, installed, entry.sha256 == current, True,
                        best is not None and best.id == entry.id, entry.size, entry.ram,
                        fits(entry, memory), entry.languages, entry.licence, entry.sha256,
                        local.path if local else None, speed.tokens_per_s,
                        speed.first_reply_s, entry.repo, entry.revision, entry.file))
    listed = {r.id for r in rows}
    for model in library.all():
        if model.id in listed:
            continue
        ram = round(model.size / 1e9 + 0.6, 1)
        speed = estimate(model.size, here)
        rows.append(Row(model.id, model.name, True, model.sha256 == current, model.verified,
                        False, model.size, ram, ram <= 0.75 * memory, (), "unknown",
                        model.sha256, model.path, speed.tokens_per_s, speed.first_reply_s,
                        "", "", Path(model.path).name))
    return Catalog(memory, lang, rows, here)

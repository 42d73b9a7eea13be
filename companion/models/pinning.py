"""The pin, end to end: load the pinned model, create the first pin, move it, roll it back.

Nothing else in the app may switch the model. A file that no longer matches the pin
stops the app with PinMismatch (exit 6) instead of going on with a different model,
and a change in llama.cpp re-runs the behaviour probe and says whether the companion
still answers exactly as before.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from companion.config import Settings
from companion.domain import ModelInfo, SamplingParams
from companion.engine.base import ChatEngine
from companion.errors import CompanionError, ModelError, PinMismatch, UsageError
from companion.i18n import t
from companion.models.files import check_file, sha256_of
from companion.models.install import identify, record_file
from companion.models.library import Library, LocalModel
from companion.models.pin import Pin, make_pin, probe, text_hash
from companion.paths import Paths
from companion.vault import Vault

if TYPE_CHECKING:
    from companion.models.registry import Registry

Progress = Callable[[int], None]
RUNTIME_CHECK_KEY = "pin_runtime_check"
REMOTE_RUNTIME = "the engine's own"


@dataclass
class Loaded:
    engine: ChatEngine
    pin: Pin
    sampling: SamplingParams
    notices: list[str] = field(default_factory=list)


def load_engine(info: ModelInfo, settings: Settings, paths: Paths) -> ChatEngine:
    """Load a checked file into this process, once it has passed a trial in a child one.

    The trial (`models.trial`) is the only place a file's first load may crash, hang or
    loop in its template; its verdict is remembered by sha256 in the cache folder.
    """
    from companion.engine.llama import LlamaEngine
    from companion.models.trial import ensure_tried

    ensure_tried(info, paths.cache, runtime())
    return LlamaEngine.load(info, context_tokens=settings.context_tokens,
                            gpu_layers=settings.gpu_layers)


def runtime() -> str:
    from companion.engine.llama import runtime_version

    return runtime_version()


def current_pin(vault: Vault) -> Pin | None:
    with vault.lock:
        row = vault.pins.current()
    return None if row is None else Pin.from_dict(row.data)


def registry_for(paths: Paths) -> Registry:
    """The built-in registry plus the user's; a broken user file must not stop a start."""
    from companion.models.registry import load_registry

    try:
        return load_registry(paths.user_registry)
    except CompanionError:
        return load_registry(None)


def check_pinned_file(library: Library, pin: Pin, registry: Registry, *, force: bool = False,
                      progress: Progress | None = None) -> ModelInfo:
    """Prove the pinned file is still the pinned bytes before llama.cpp sees it."""
    path = Path(pin.model_path)
    if not path.is_file():
        raise PinMismatch(t("model_errors.pinned_missing", name=pin.model_name,
                            short_hash=pin.short_hash, path=path, model_id=pin.model_id))
    record = library.by_path(path)
    if (force or record is None or record.sha256 != pin.model_sha256
            or not library.unchanged(record)):
        record = record_file(library, path, registry,
                             source=record.source if record else "path",
                             model_id=record.id if record else pin.model_id, progress=progress)
    if record.sha256 != pin.model_sha256:
        raise PinMismatch(t("model_errors.pinned_changed", path=path, expected=pin.short_hash,
                            found=record.short_hash, model_id=pin.model_id))
    return pin.model_info()


def _sync_hint(vault: Vault, library: Library) -> None:
    with vault.lock:
        rows = vault.pins.history()
    active = [Pin.from_dict(r.data).model_sha256 for r in reversed(rows) if r.retired_at is None]
    library.set_pinned([sha for sha in dict.fromkeys(active) if sha])


def load(paths: Paths, vault: Vault, settings: Settings, cli_model: str | None = None,
         overrides: dict[str, Any] | None = None,
         progress: Progress | None = None, *, system: str) -> Loaded | None:
    """The engine for the pinned model; the first model ever chosen becomes the pin.

    `system` is the stable system text (persona and profile): the pin records its hash
    and the behaviour probe runs with it, so the caller that knows the persona passes it.
    Returns None when there is no pin and no model was named.
    """
    library = Library(paths.models)
    registry = registry_for(paths)
    overrides = overrides or {}
    pin = current_pin(vault)
    if settings.engine:
        return _load_remote(vault, settings, overrides, system, library)
    if pin is not None and pin.remote and cli_model is None:
        # Never silently: the app's promise ("runs only on this computer") follows config.
        raise ModelError(t("model_errors.pinned_remote", name=pin.model_name,
                           engine_url=pin.engine_url))
    wanted = cli_model or settings.model
    if pin is None:
        if wanted is None:
            return None
        record = identify(library, wanted, registry, progress)
        engine = load_engine(checked_info(record), settings, paths)
        pin = make_pin(record.id, engine, system, settings.sampling, runtime())
        with vault.lock:
            vault.pins.add(pin.as_dict())
        _sync_hint(vault, library)
        notice = t("model_texts.pinned_first", name=pin.model_name, hash=pin.short_hash)
        return Loaded(engine, pin, replace(pin.sampling, **overrides), [notice])
    if cli_model is not None:  # asked for on this command line: refuse, do not guess
        _refuse_other_file(library, pin, cli_model, registry, progress)
    info = check_pinned_file(library, pin, registry, progress=progress)
    engine = load_engine(info, settings, paths)
    notices = _runtime_notice(vault, engine, pin, system)
    if cli_model is None and settings.model is not None and not _same_file(settings.model, pin):
        notices.append(t("model_texts.named_not_pinned", named=settings.model,
                         name=pin.model_name, hash=pin.short_hash))
    if text_hash(system) != pin.persona_sha256:
        notices.append(t("model_texts.persona_changed", id=pin.model_id))
    _sync_hint(vault, library)
    return Loaded(engine, pin, replace(pin.sampling, **overrides), notices)


def _load_remote(vault: Vault, settings: Settings, overrides: dict[str, Any], system: str,
                 library: Library) -> Loaded:
    """The person's own server, named in config.toml or with --engine."""
    from companion.models import remote_pin

    engine, now, notices = remote_pin.load(vault, settings, settings.engine, overrides,
                                           system=system, runtime=REMOTE_RUNTIME)
    _sync_hint(vault, library)
    return Loaded(engine, now, replace(now.sampling, **overrides), notices)


def _same_file(path: str, pin: Pin) -> bool:
    return Path(path).expanduser().resolve() == Path(pin.model_path)


def _refuse_other_file(library: Library, pin: Pin, wanted: str, registry: Registry,
                       progress: Progress | None) -> None:
    if _same_file(wanted, pin):
        return
    file = check_file(wanted).resolve()
    known = library.by_path(file)
    digest = (known.sha256 if known is not None and library.unchanged(known)
              else sha256_of(file, progress))  # a refused file is not added to the library
    if digest != pin.model_sha256:
        raise PinMismatch(t("model_errors.pinned_other", name=pin.model_name,
                            short_hash=pin.short_hash, wanted=wanted))


def _runtime_notice(vault: Vault, engine: ChatEngine, pin: Pin, system: str) -> list[str]:
    """After llama.cpp changed, re-run the probe once and say what it found."""
    now = runtime()
    if now == pin.runtime:
        return []
    with vault.lock:
        row = vault.pins.current()
        seen = json.loads(vault.state.get(RUNTIME_CHECK_KEY) or "{}")
    assert row is not None
    key = {"pin": row.id, "runtime": now, "pinned": [pin.runtime, pin.fingerprint]}
    if {k: seen.get(k) for k in key} != key:
        same = probe(engine, system, pin.sampling) == pin.fingerprint
        seen = {**key, "same": same}
        with vault.lock:
            vault.state.set(RUNTIME_CHECK_KEY, json.dumps(seen))
    if seen["same"]:
        return [t("model_texts.runtime_same", was=pin.runtime, now=now)]
    return [t("model_texts.runtime_different", was=pin.runtime, now=now)]


def resolve_local(library: Library, registry: Registry, model_id: str) -> LocalModel:
    model = library.get(model_id.strip().lower())
    if model is not None:
        return model
    entry = registry.find(model_id)
    if entry is not None:
        raise UsageError(t("model_errors.not_installed", model_id=entry.id))
    known = sorted({m.id for m in library.all()} | {e.id for e in registry.entries})
    close = difflib.get_close_matches(model_id.lower(), known, n=3, cutoff=0.5)
    hint = t("model_errors.did_you_mean", names=", ".join(close)) if close else ""
    raise UsageError(t("model_errors.no_such_model_local", model_id=repr(model_id), hint=hint))


def use(paths: Paths, vault: Vault, settings: Settings, model_id: str,
        progress: Progress | None = None, *, system: str) -> tuple[Pin, Pin | None]:
    """Move the pin deliberately; the old one stays in the history for `rollback`.

    The file is hashed in full first: a pin is a promise about exact bytes.
    """
    library = Library(paths.models)
    registry = registry_for(paths)
    model = resolve_local(library, registry, model_id)
    if not Path(model.path).is_file():
        raise ModelError(t("model_errors.model_file_missing", model_id=model.id,
                           path=model.path))
    checked = record_file(library, Path(model.path), registry, source=model.source,
                          model_id=model.id, progress=progress)
    engine = load_engine(checked_info(checked), settings, paths)
    try:
        pin = make_pin(checked.id, engine, system, settings.sampling, runtime())
    finally:
        close_engine(engine)
    before = current_pin(vault)
    with vault.lock:
        vault.pins.add(pin.as_dict())
    _sync_hint(vault, library)
    return pin, before


def rollback(paths: Paths, vault: Vault) -> tuple[Pin, Pin]:
    """Return to the pin in force before the current one, in one step."""
    with vault.lock:
        current, previous = vault.pins.current(), vault.pins.previous()
        if current is None or previous is None:
            raise UsageError(t("model_errors.no_earlier_pin"))
        vault.pins.retire(current.id)
    _sync_hint(vault, Library(paths.models))
    return Pin.from_dict(previous.data), Pin.from_dict(current.data)


def checked_info(model: LocalModel) -> ModelInfo:
    return ModelInfo(path=model.path, sha256=model.sha256, name=model.name, size=model.size,
                     chat_template_sha256=str(model.metadata.get("chat_template_sha256", "")))


def close_engine(engine: ChatEngine) -> None:
    close = getattr(engine, "close", None)
    if callable(close):
        close()

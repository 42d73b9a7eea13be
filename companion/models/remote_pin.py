"""The pin for a model on the person's own server: held by behaviour, checked every start.

A server's model bytes cannot be hashed from here, so what is pinned is how it answers:
the behaviour probe under the fixed seed (with a fixed system text, so an edited persona
is not mistaken for a changed model), with the address, the model id the server reports,
its chat template where it says, and the sampling. The probe runs again at every start
and whenever the server reports another model id; a different answer means the model
changed, and the companion stops (exit 6, the pin problem screen) instead of going on
with it. The person's message is saved before any of this runs.

Configuring `engine` is the deliberate choice that creates the first remote pin. After
that, the last remote pin ever made is the reference, even when the person went back to
a local model in between: coming back to a server whose model changed is caught, never
silently re-pinned. `accept` re-pins the server's current behaviour deliberately.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from companion.config import Settings
from companion.errors import EngineChanged, UsageError
from companion.i18n import t
from companion.models.pin import REMOTE_PROBE_SYSTEM, Pin, make_remote_pin, probe
from companion.vault import Vault


def connect(settings: Settings, url: str) -> Any:
    from companion.engine.remote import RemoteEngine

    return RemoteEngine.connect(url, allow_plain_lan=settings.allow_plain_lan,
                                context_tokens=settings.context_tokens,
                                model=settings.engine_model)


def latest_remote(vault: Vault) -> Pin | None:
    """The newest remote pin ever made, retired or not: the behaviour to hold the server to."""
    with vault.lock:
        rows = vault.pins.history()
    pins = [Pin.from_dict(r.data) for r in rows]
    remote = [p for p in pins if p.remote]
    return remote[-1] if remote else None


def changed(pin: Pin, engine: Any, now_model: str) -> EngineChanged:
    was = pin.model_name if pin.model_name == now_model else f"{pin.model_name} → {now_model}"
    return EngineChanged(t("model_errors.engine_changed", url=engine.endpoint.url, was=was))


def _watch(engine: Any, pin: Pin, vault: Vault) -> None:
    """Re-run the probe when the server reports another model id mid-session."""
    def on_change(now_model: str) -> None:
        if probe(engine, REMOTE_PROBE_SYSTEM, pin.sampling) != pin.fingerprint:
            raise changed(pin, engine, now_model)

    engine.on_model_change = on_change


def load(vault: Vault, settings: Settings, url: str, overrides: dict[str, Any], *,
         system: str, runtime: str) -> tuple[Any, Pin, list[str]]:
    """The remote engine, checked against its pin (or pinned now, the first time)."""
    engine = connect(settings, url)
    reference = latest_remote(vault)
    with vault.lock:
        row = vault.pins.current()
    current = None if row is None else Pin.from_dict(row.data)
    notices: list[str] = []
    if reference is None:
        pin = make_remote_pin(engine, settings.sampling, system, runtime)
        with vault.lock:
            vault.pins.add(pin.as_dict())
        notices.append(t("model_texts.engine_pinned", name=pin.model_name, url=pin.engine_url)
                       if current is None else
                       t("model_texts.engine_pinned_back", name=pin.model_name,
                         url=pin.engine_url, before=current.model_name))
    else:
        if probe(engine, REMOTE_PROBE_SYSTEM, reference.sampling) != reference.fingerprint:
            raise changed(reference, engine, engine.model.name)
        pin = replace(reference, engine_url=engine.model.engine_url,
                      model_id=engine.model.name, model_name=engine.model.name)
        if current is None or current.as_dict() != pin.as_dict():
            with vault.lock:
                vault.pins.add(pin.as_dict())
            if reference.engine_url != pin.engine_url:
                notices.append(t("model_texts.engine_moved", was=reference.engine_url,
                                 now=pin.engine_url))
    if not engine.endpoint.on_this_computer:
        notices.append(t("model_texts.engine_elsewhere", url=engine.endpoint.url))
    _watch(engine, pin, vault)
    return engine, pin, notices


def accept(vault: Vault, settings: Settings, *, system: str,
           runtime: str) -> tuple[Pin, Pin | None]:
    """Pin the server's current behaviour deliberately (`companion models use engine`)."""
    reference = latest_remote(vault)
    url = settings.engine or (reference.engine_url if reference else "")
    if not url:
        raise UsageError(t("model_errors.no_engine"))
    engine = connect(settings, url)
    sampling = reference.sampling if reference is not None else settings.sampling
    pin = make_remote_pin(engine, sampling, system, runtime)
    with vault.lock:
        row = vault.pins.current()
        vault.pins.add(pin.as_dict())
    return pin, None if row is None else Pin.from_dict(row.data)

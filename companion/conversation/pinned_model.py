"""The pinned model as a conversation uses it: `models.pinning` with this vault's persona.

The pin records the hash of the stable system text and probes the model with it, and
`models try` replays the person's own conversation; both need what only this layer
knows (the persona and profile in the vault, the conversation's mode and recalled
items), so the model layer is handed them from here and never imports care.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any

from companion.care import modes
from companion.care.modes import ModeState
from companion.care.persona import system_text_of
from companion.config import Settings
from companion.domain import Message, SamplingParams
from companion.engine import prompt
from companion.errors import UsageError
from companion.i18n import t
from companion.models import pinning
from companion.models.compare import Comparison, Prompt, Step, compare
from companion.models.library import Library
from companion.models.pin import Pin
from companion.paths import Paths
from companion.vault import Vault


def load(paths: Paths, vault: Vault, settings: Settings, cli_model: str | None = None,
         overrides: dict[str, Any] | None = None,
         progress: pinning.Progress | None = None) -> pinning.Loaded | None:
    """The engine for the pinned model (the first model chosen becomes the pin)."""
    return pinning.load(paths, vault, settings, cli_model, overrides, progress,
                        system=system_text_of(settings, vault))


def use(paths: Paths, vault: Vault, settings: Settings, model_id: str,
        progress: pinning.Progress | None = None) -> tuple[Pin, Pin | None]:
    """Move the pin deliberately to MODEL_ID, probing it with this person's persona."""
    return pinning.use(paths, vault, settings, model_id, progress,
                       system=system_text_of(settings, vault))


def accept_engine(vault: Vault, settings: Settings) -> tuple[Pin, Pin | None]:
    """Pin how the person's own server answers now, deliberately (`models use engine`)."""
    from companion.models import remote_pin

    return remote_pin.accept(vault, settings, system=system_text_of(settings, vault),
                             runtime=pinning.REMOTE_RUNTIME)


def _prompts(vault: Vault, messages: list[Message], system: str, mode: ModeState,
             fallback: SamplingParams, last: int) -> list[Prompt]:
    """For each of the last N user messages: the conversation up to it as the model saw it
    (mode instructions, and the items recalled for the stored reply), with the parameters
    that reply was drawn with, so the pinned column can reproduce it exactly."""
    user_at = [i for i, m in enumerate(messages) if m.role == "user"][-last:]
    prompts = []
    for i in user_at:
        after = messages[i + 1] if i + 1 < len(messages) else None
        replied = after is not None and after.role == "assistant"
        params = (after.provenance.params if replied and after and after.provenance
                  else fallback)
        context: list[tuple[str, str]] = []
        if replied and after is not None:
            with vault.lock:
                hits = vault.recalls.for_message(after.id)
                items = vault.search.items(hits, None)
            context = [(f"{k} #{n}, {items[(k, n)][1][:10]}", items[(k, n)][0])
                       for k, n, _ in hits if (k, n) in items]
        built = prompt.build(system, messages[: i + 1], context, mode=modes.instructions(mode))
        prompts.append((messages[i].content, built, params))
    return prompts


def replay(paths: Paths, vault: Vault, settings: Settings, candidate_id: str, *,
           conversation_id: int | None = None, last: int = 3,
           step: Step | None = None, cancel: threading.Event | None = None) -> Comparison:
    """`models try`: the person's last N messages through the pinned model and a candidate."""
    if last < 1:
        raise UsageError(t("conversation_errors.last_at_least_one"))
    pin = pinning.current_pin(vault)
    if pin is None:
        raise UsageError(t("conversation_errors.nothing_pinned"))
    if pin.remote:
        raise UsageError(t("conversation_errors.try_needs_local", name=pin.model_name,
                           engine_url=pin.engine_url))
    candidate = pinning.resolve_local(Library(paths.models), pinning.registry_for(paths),
                                      candidate_id)  # an unknown id is said before any work
    with vault.lock:
        if conversation_id is None:
            latest = vault.conversations.latest()
            conversation_id = latest.id if latest else None
        if conversation_id is None or vault.conversations.get(conversation_id) is None:
            raise UsageError(t("conversation_errors.no_conversation_to_replay"))
        messages = vault.conversations.messages(conversation_id)
        mode = ModeState(*vault.conversations.mode(conversation_id))
    fallback = replace(pin.sampling, max_tokens=min(pin.sampling.max_tokens,
                                                    settings.listen_max_tokens))
    prompts = _prompts(vault, messages, system_text_of(settings, vault), mode, fallback, last)
    if not prompts:
        raise UsageError(t("conversation_errors.nothing_to_replay",
                           conversation_id=conversation_id))
    return compare(paths, settings, pin, candidate, prompts, step=step, cancel=cancel)

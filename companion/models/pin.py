"""The pin: everything that decides how the companion answers, fixed until the user moves it.

People told researchers an update "changed" their companion and they wanted the old
one back. So the model file's hash, its chat template, the sampling parameters, the
persona text and the llama.cpp build are recorded together, with a behaviour
fingerprint: the hash of the reply to a fixed probe under a fixed seed. A later start
can then say in plain words whether the companion still answers exactly as before.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import asdict, dataclass, replace
from typing import Any

from companion.domain import ModelInfo, SamplingParams
from companion.engine.base import ChatEngine, ChatMessage

PROBE_TEXT = "Hello. How are you today? Please answer in one or two short sentences."
PROBE_SEED = 20260101
PROBE_MAX_TOKENS = 48
REMOTE_PROBE_SYSTEM = "You are a kind, plain-spoken companion."
"""The probe's system text for a model on a server: fixed, so a persona edited later
is not mistaken at the next start for a changed model."""


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Pin:
    model_id: str
    model_name: str
    model_sha256: str
    model_path: str
    model_size: int
    chat_template_sha256: str
    sampling: SamplingParams
    persona_sha256: str
    runtime: str
    fingerprint: str
    engine_url: str = ""
    """Set for a model on the person's own server: there are no bytes to hash, so the pin
    is the address, the model id it reports, its template where it says, the sampling
    and above all the fingerprint, which is checked at every start."""

    @property
    def short_hash(self) -> str:
        """The file's hash, or for a model on a server its behaviour fingerprint's."""
        return self.model_sha256[:12] or f"probe {self.fingerprint[:8]}"

    @property
    def remote(self) -> bool:
        return bool(self.engine_url)

    def model_info(self) -> ModelInfo:
        return ModelInfo(path=self.model_path, sha256=self.model_sha256, name=self.model_name,
                         size=self.model_size, chat_template_sha256=self.chat_template_sha256,
                         engine_url=self.engine_url)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["sampling"] = self.sampling.as_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Pin:
        values = dict(data)
        values["sampling"] = SamplingParams(**values["sampling"])
        return cls(**{k: values[k] for k in cls.__dataclass_fields__ if k in values})


def probe_messages(system: str) -> list[ChatMessage]:
    return [{"role": "system", "content": system}, {"role": "user", "content": PROBE_TEXT}]


def probe(engine: ChatEngine, system: str, params: SamplingParams) -> str:
    """The behaviour fingerprint: the hash of the probe reply, computed from a clean cache."""
    engine.reset_cache()
    short = replace(params, max_tokens=min(params.max_tokens, PROBE_MAX_TOKENS))
    text = "".join(engine.stream(probe_messages(system), short, PROBE_SEED, threading.Event()))
    engine.reset_cache()
    return text_hash(text)


def make_pin(model_id: str, engine: ChatEngine, system: str, params: SamplingParams,
             runtime: str) -> Pin:
    model = engine.model
    return Pin(
        model_id=model_id,
        model_name=model.name,
        model_sha256=model.sha256,
        model_path=model.path,
        model_size=model.size,
        chat_template_sha256=model.chat_template_sha256,
        sampling=params,
        persona_sha256=text_hash(system),
        runtime=runtime,
        fingerprint=probe(engine, system, params),
    )


def make_remote_pin(engine: ChatEngine, params: SamplingParams, persona: str,
                    runtime: str) -> Pin:
    """A pin for the model on the person's own server, by behaviour (see `Pin.engine_url`)."""
    model = engine.model
    return Pin(
        model_id=model.name,
        model_name=model.name,
        model_sha256="",
        model_path="",
        model_size=0,
        chat_template_sha256=model.chat_template_sha256,
        sampling=params,
        persona_sha256=text_hash(persona),
        runtime=runtime,
        fingerprint=probe(engine, REMOTE_PROBE_SYSTEM, params),
        engine_url=model.engine_url,
    )

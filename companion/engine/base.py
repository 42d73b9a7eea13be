"""What the session needs from an engine, so the UI can be tested with a stand-in."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol, TypedDict

from companion.domain import ModelInfo, SamplingParams, TurnStats


class ChatMessage(TypedDict):
    """One message of the app's prompt layout.

    `role` is "system", "user" or "assistant", or one the engine folds away before the
    model's template sees it: "note" (per-call material for the newest reply) and
    "summary" (stands in for dropped turns); see engine.prompt and engine.chat_shape.
    """

    role: str
    content: str


@dataclass(frozen=True)
class PromptView:
    """What the model is given for the next reply, for `companion prompt`."""

    text: str
    tokens: int
    control_tokens: int
    """Tokens of the prompt that are control tokens: the template's markup only."""
    template: dict[str, bool] = field(default_factory=dict)
    """What the model's chat template accepted when probed at load."""


class ChatEngine(Protocol):
    model: ModelInfo
    last_stats: TurnStats

    def stream(
        self,
        messages: list[ChatMessage],
        params: SamplingParams,
        seed: int,
        cancel: threading.Event,
    ) -> Iterator[str]:
        """Yield reply text piece by piece; stop within one token once `cancel` is set.

        The engine drops the oldest turns itself when the prompt would not fit.
        """
        ...

    def reset_cache(self) -> None:
        """Forget the evaluated prompt, so the next reply is computed from scratch.

        The behaviour probe needs this: reusing a cached prefix evaluates the prompt in
        other batch sizes, which may round differently and so sample other tokens.
        """
        ...

    def view(self, messages: list[ChatMessage], max_tokens: int) -> PromptView:
        """Exactly what `stream` would give the model for these messages."""
        ...

    def warm(self, messages: list[ChatMessage], cancel: threading.Event,
             max_tokens: int = 256) -> int:
        """Evaluate the stable prefix ahead of the next reply; returns tokens cached."""
        ...

    def complete_json(self, messages: list[ChatMessage], schema: dict[str, Any], *,
                      seed: int, max_tokens: int = 1024,
                      cancel: threading.Event | None = None) -> Any:
        """A reply constrained to `schema` (a JSON-schema grammar), parsed."""
        ...

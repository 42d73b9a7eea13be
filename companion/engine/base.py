"""What the session needs from an engine, so the UI can be tested with a stand-in."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any, Protocol, TypedDict

from companion.domain import ModelInfo, SamplingParams, TurnStats


class ChatMessage(TypedDict):
    role: str
    content: str


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

    def complete_json(self, messages: list[ChatMessage], schema: dict[str, Any], *,
                      seed: int, max_tokens: int = 1024,
                      cancel: threading.Event | None = None) -> Any:
        """A reply constrained to `schema` (a JSON-schema grammar), parsed."""
        ...

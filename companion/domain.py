"""Plain records shared by every layer; no behaviour that needs I/O lives here."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True)
class SamplingParams:
    """How a reply is drawn; recorded with every reply so it can be reproduced."""

    temperature: float = 0.7
    top_p: float = 0.9
    top_k: int = 40
    min_p: float = 0.05
    repeat_penalty: float = 1.1
    max_tokens: int = 512

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Provenance:
    """What produced a reply: the exact model file (or the engine and its model id), the
    parameters and the seed."""

    model_sha256: str
    model_name: str
    params: SamplingParams
    seed: int
    engine_url: str = ""
    """The person's own server that gave the reply; empty for the model on this computer."""

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "model_sha256": self.model_sha256,
            "model_name": self.model_name,
            "params": self.params.as_dict(),
            "seed": self.seed,
        }
        if self.engine_url:
            data["engine_url"] = self.engine_url
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Provenance:
        return cls(
            model_sha256=str(data["model_sha256"]),
            model_name=str(data.get("model_name", "")),
            params=SamplingParams(**data["params"]),
            seed=int(data["seed"]),
            engine_url=str(data.get("engine_url", "")),
        )


@dataclass(frozen=True)
class Message:
    id: int
    conversation_id: int
    role: Role
    content: str
    created_at: str
    stopped: bool = False
    provenance: Provenance | None = None
    speaker: str | None = None
    """Who spoke, when it is not the companion's own voice: a Room voice or a rehearsal role."""


@dataclass(frozen=True)
class Conversation:
    id: int
    title: str
    created_at: str
    updated_at: str
    message_count: int = 0
    mode: str = "listen"


@dataclass(frozen=True)
class ModelInfo:
    """A model file that has been checked and hashed, ready to hand to the engine."""

    path: str
    sha256: str
    name: str
    size: int
    chat_template_sha256: str = ""
    engine_url: str = ""
    """Set when the model runs on the person's own server: its address, and `name` is the
    model id the server reports (its bytes cannot be hashed from here)."""

    @property
    def short_hash(self) -> str:
        return self.sha256[:12]


@dataclass
class TurnStats:
    """What the engine measured for one reply; shown in the status bar and the bench."""

    prompt_tokens: int = 0
    reused_tokens: int = 0
    evaluated_tokens: int = 0
    generated_tokens: int = 0
    first_token_s: float = 0.0
    total_s: float = 0.0
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def tokens_per_second(self) -> float:
        gen_time = self.total_s - self.first_token_s
        if self.generated_tokens <= 1 or gen_time <= 0:
            return 0.0
        return (self.generated_tokens - 1) / gen_time


MemoryKind = Literal["person", "event", "feeling", "preference", "goal", "fact"]
MEMORY_KINDS: tuple[str, ...] = ("person", "event", "feeling", "preference", "goal", "fact")


@dataclass(frozen=True)
class JournalEntry:
    id: int
    content: str
    created_at: str
    remember: bool
    """Whether the companion may recall this entry in conversation."""


@dataclass(frozen=True)
class Memory:
    """Something the companion knows about the person, with where it came from."""

    id: int
    kind: str
    content: str
    importance: float
    status: str
    """"accepted" (used in recall) or "proposed" (waiting for the person's review)."""
    source_kind: str
    """"message", "journal", "summary" or "manual"."""
    source_id: int | None
    conversation_id: int | None
    created_at: str
    updated_at: str
    used_count: int = 0
    last_used_at: str | None = None


@dataclass(frozen=True)
class Summary:
    id: int
    conversation_id: int
    content: str
    up_to_message_id: int
    created_at: str


@dataclass(frozen=True)
class Commitment:
    """Something the person means to do; the companion checks in once it falls due."""

    id: int
    content: str
    due: str | None
    status: str
    """"proposed", "open", "done" or "dropped"."""
    source_message_id: int | None
    conversation_id: int | None
    created_at: str
    checked_in_at: str | None = None
    answer: str | None = None


@dataclass(frozen=True)
class Mood:
    id: int
    score: int
    note: str
    created_at: str
    conversation_id: int | None = None


@dataclass(frozen=True)
class Recalled:
    """One item put before the model for a reply, and why (its blended score)."""

    kind: str
    """"memory", "journal" or "summary"."""
    item_id: int
    text: str
    created_at: str
    score: float

    @property
    def source(self) -> str:
        return f"{self.kind} #{self.item_id}, {self.created_at[:10]}"

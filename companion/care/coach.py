"""Coach mode: small steps proposed by the model, taken on only when the person says yes.

The model proposes under a JSON-schema grammar, so even a small model yields a short
reply and one to four steps; the code numbers and shows them, keeps them with the
conversation, and reads the person's answer itself: "yes" (or "ok", "sure", …) takes
them all on, "1 and 3" or "yes 2" only those, "no" none. Steps taken on become open
commitments with a due date, which the memory's check-ins ask about when they fall due.
Anything else is a new message to the coach, which proposes again.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from companion.i18n import t

MAX_STEPS = 4
MAX_DAYS = 30
JSON_TOKENS = 1200

SCHEMA: dict[str, object] = {
    "type": "object",
    "properties": {
        "reply": {"type": "string", "minLength": 1, "maxLength": 240},
        "steps": {
            "type": "array", "minItems": 1, "maxItems": MAX_STEPS,
            "items": {
                "type": "object",
                "properties": {
                    "text": {"type": "string", "minLength": 3, "maxLength": 100},
                    "due_in_days": {"type": "integer"},
                },
                "required": ["text", "due_in_days"],
            },
        },
    },
    "required": ["reply", "steps"],
}

YES = frozenset({
    "yes", "y", "yeah", "yep", "yup", "ok", "okay", "sure", "agreed", "deal", "all",
    "all of them", "sounds good", "lets do it", "let's do it", "do it", "i will", "i'll do it",
    "yes please", "take them", "si", "sí", "oui", "ja", "sim", "да", "네", "好", "हाँ", "हां",
})
NO = frozenset({"no", "n", "nope", "none", "not now", "no thanks", "none of them", "nein",
                "non", "não", "нет", "아니요", "不", "नहीं"})
"""The words the translated question (care.coach_ask) asks for, in every catalogue."""
_FILLER = re.compile(r"\b(and|steps?|numbers?|only|just)\b|[,.;:!&+]")


def _line(value: object) -> str:
    """One printable line: model text is shown and stored, so no control characters."""
    text = "".join(ch if ch.isprintable() else " " for ch in str(value))
    return " ".join(text.split())


@dataclass(frozen=True)
class Step:
    text: str
    days: int


def parse(data: Mapping[str, Any]) -> tuple[str, list[Step]]:
    """The model's answer, cleaned; due days kept between 1 and 30."""
    if not isinstance(data, Mapping):
        return "", []
    reply = _line(data.get("reply", ""))
    steps = []
    for item in data.get("steps", [])[:MAX_STEPS]:
        text = _line(item.get("text", "")) if isinstance(item, dict) else ""
        if text:
            days = item.get("due_in_days")
            days = days if isinstance(days, int) and not isinstance(days, bool) else 1
            steps.append(Step(text, min(max(days, 1), MAX_DAYS)))
    return reply, steps


def render(reply: str, steps: Sequence[Step]) -> str:
    """What the person reads, in their language (the model sees it again in later turns,
    next to its own reply in that language)."""
    lines = [reply] if reply else []
    if steps:
        lines.append("")
        lines += [f"{n}. {s.text} "
                  + t("care.within_day" if s.days == 1 else "care.within_days", days=s.days)
                  for n, s in enumerate(steps, 1)]
        lines += ["", t("care.coach_ask")]
    return "\n".join(lines)


def to_state(message_id: int, steps: Sequence[Step]) -> dict[str, Any]:
    return {"message": message_id, "steps": [{"text": s.text, "days": s.days} for s in steps]}


def from_state(state: Mapping[str, Any]) -> tuple[int | None, list[Step]]:
    """The proposal waiting for an answer, if any."""
    proposal = state.get("proposal")
    if not isinstance(proposal, dict):
        return None, []
    steps = [Step(str(s["text"]), int(s["days"])) for s in proposal.get("steps", [])
             if isinstance(s, dict) and s.get("text")]
    message = proposal.get("message")
    return (int(message) if isinstance(message, int) else None), steps


def answer(text: str, count: int) -> list[int] | None:
    """Which steps (numbered from 1) the person took on; [] for no; None when the
    message is not an answer to the proposal at all."""
    words = " ".join(text.casefold().replace("\u2019", "'").split()).strip(" .!?")
    if words in YES:
        return list(range(1, count + 1))
    if words in NO:
        return []
    numbers = [int(n) for n in re.findall(r"\d+", words)]
    rest = " ".join(_FILLER.sub(" ", re.sub(r"\d+", " ", words)).split())
    if numbers and (not rest or rest in YES) and all(1 <= n <= count for n in numbers):
        return sorted(set(numbers))
    return None


def due(step: Step, today: date | None = None) -> str:
    return ((today or date.today()) + timedelta(days=step.days)).isoformat()


def confirmation(taken: Sequence[tuple[Step, str]]) -> str:
    """The code's own words after an answer; no model needed."""
    if not taken:
        return t("care.coach_none")
    lines = [t("care.coach_taken")]
    lines += ["- " + t("care.coach_by", step=step.text, when=when) for step, when in taken]
    return "\n".join(lines)

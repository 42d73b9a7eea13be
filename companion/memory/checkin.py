"""Following up: once a commitment falls due, the next session opens by asking about it.

Which commitment to ask about is decided here, by code, the same way every time (the
earliest due, then the oldest); the model only phrases the question. The person's next
message in that conversation is recorded as their answer.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, replace
from datetime import date

from companion.domain import Commitment, Message, Provenance, SamplingParams
from companion.engine.base import ChatEngine, ChatMessage
from companion.engine.prompt import NOTE, quote_context
from companion.i18n import t
from companion.vault import Vault

AWAITING_KEY = "awaiting_check_in"
MAX_TOKENS = 80

ASK = ("Open the conversation by asking, warmly and in one or two short sentences, how the "
       "commitment quoted above went. Do not lecture and do not give advice yet.")


@dataclass(frozen=True)
class CheckIn:
    commitment: Commitment
    message: Message


def choose(vault: Vault, today: date | None = None) -> Commitment | None:
    day = (today or date.today()).isoformat()
    with vault.lock:
        due = vault.commitments.due_unchecked(day)
    return due[0] if due else None


def fallback_text(commitment: Commitment) -> str:
    """The question in the app's own words and the person's language, for when no model
    is loaded (ASK, for the model, stays English)."""
    return t("care.check_in", plan=commitment.content)


def _phrase(engine: ChatEngine, system: str, commitment: Commitment, params: SamplingParams,
            seed: int, cancel: threading.Event) -> str:
    source = f"commitment #{commitment.id}, due {commitment.due}"
    messages: list[ChatMessage] = [
        {"role": "system", "content": system},
        {"role": "user", "content": "(I have just opened the app.)"},
        {"role": NOTE, "content": quote_context([(source, commitment.content)]) + "\n" + ASK},
    ]
    short = replace(params, max_tokens=min(params.max_tokens, MAX_TOKENS))
    return "".join(engine.stream(messages, short, seed, cancel)).strip()


def open_check_in(vault: Vault, conversation_id: int, engine: ChatEngine | None, system: str,
                  params: SamplingParams, seed: int, *, today: date | None = None,
                  cancel: threading.Event | None = None) -> CheckIn | None:
    """Post the check-in as the companion's first message in `conversation_id`."""
    commitment = choose(vault, today)
    if commitment is None:
        return None
    text, provenance = "", None
    if engine is not None:
        text = _phrase(engine, system, commitment, params, seed, cancel or threading.Event())
        provenance = Provenance(engine.model.sha256, engine.model.name, params, seed,
                                engine.model.engine_url)
    if not text:
        text, provenance = fallback_text(commitment), None
    with vault.lock:
        message = vault.conversations.add_message(conversation_id, "assistant", text,
                                                  provenance=provenance)
        vault.commitments.record_check_in(commitment.id)
        vault.state.set(AWAITING_KEY, json.dumps({"commitment": commitment.id,
                                                  "conversation": conversation_id}))
    return CheckIn(commitment, message)


def record_answer(vault: Vault, conversation_id: int, text: str) -> int | None:
    """If this conversation opened with a check-in, keep the person's reply as the answer."""
    with vault.lock:
        raw = vault.state.get(AWAITING_KEY)
        if raw is None:
            return None
        waiting = json.loads(raw)
        if waiting.get("conversation") != conversation_id:
            return None
        vault.commitments.record_check_in(int(waiting["commitment"]), answer=text)
        vault.state.delete(AWAITING_KEY)
        return int(waiting["commitment"])

"""Fitting the app's messages to what a model's own chat template accepts.

Real templates disagree: Gemma's refuse a second system message and roles that do not
alternate, Gemma 2's and Mistral's refuse the system role, others render anything. The
app's prompt layout (engine.prompt) speaks one language: leading system messages, the
conversation, then notes (recalled context, check-ins, crisis care, cues) for the
newest reply. `probe` learns at load what the template accepts, and `normalise`
rewrites the layout into the one shape every chat template accepts: at most one
leading system message, then user and assistant turns alternating, starting with the
user, with the notes folded into the newest user turn. Nothing that changes per turn
sits before the newest user message, so the cached prefix stays valid.

`pieces` renders with placeholders so the engine can tell the template's own markup
(tokenized with special tokens) from what people and models wrote (tokenized as plain
text): stored words can never open a chat turn.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from companion.engine.base import ChatMessage
from companion.errors import ModelError
from companion.i18n import t

Render = Callable[[list[ChatMessage]], str]

NOTES_HEADER = "(Notes from the companion app for this reply; not written by the person.)"
SAID_HEADER = "Already said in this reply, quoted:"
OPENING = "(I open the app.)"
"""The user turn put before a conversation that the companion opened (a check-in), for
templates that demand a user turn first."""

_MARK = "\ue000"  # a private-use character: never typed, never produced by a tokenizer


@dataclass(frozen=True)
class TemplateShape:
    """What a chat template was seen to accept at load (True: renders, text kept)."""

    system: bool = True
    system_middle: bool = True
    assistants_in_row: bool = True
    system_after_user: bool = True

    def as_dict(self) -> dict[str, bool]:
        return {"system": self.system, "system_middle": self.system_middle,
                "assistants_in_row": self.assistants_in_row,
                "system_after_user": self.system_after_user}


def _renders(render: Render, messages: list[ChatMessage]) -> bool:
    """Whether the template renders the list and keeps every message's text."""
    try:
        text = render(messages)
    except Exception:  # a template may raise anything: raise_exception, Jinja errors
        return False
    return all(m["content"] in text for m in messages)


def probe(render: Render) -> TemplateShape:
    """Render small message lists through the model's template and remember what works.

    The canonical shape (system, then alternating turns) must render, with each message's
    text and each message as its own placeholder: else the model is refused at load with
    one sentence rather than failing at the first reply.

    There is no time limit here: a render in the app's threads cannot be interrupted.
    Before the app loads a file for the first time, `models.trial` runs this same probe
    in a child process under a timer and a wall-clock limit, so a template that loops
    is refused there and never reaches this call (the verdict is kept by sha256).
    """
    def s(text: str) -> ChatMessage:
        return {"role": "system", "content": text}

    def u(text: str) -> ChatMessage:
        return {"role": "user", "content": text}

    def a(text: str) -> ChatMessage:
        return {"role": "assistant", "content": text}

    shape = TemplateShape(
        system=_renders(render, [s("probe-system"), u("probe-user")]),
        system_middle=_renders(render, [s("probe-system"), u("probe-one"), a("probe-two"),
                                        s("probe-middle"), u("probe-three")]),
        assistants_in_row=_renders(render, [u("probe-one"), a("probe-two"),
                                            a("probe-three"), u("probe-four")]),
        system_after_user=_renders(render, [u("probe-one"), s("probe-after")]),
    )
    canonical = [u("probe-one"), a("probe-two"), u("probe-three")]
    if shape.system:
        canonical.insert(0, s("probe-system"))
    if not _renders(render, canonical):
        raise ModelError(t("engine_errors.template_cannot_render"))
    try:
        pieces(render, canonical)
    except ModelError:
        raise ModelError(t("engine_errors.template_rewrites")) from None
    return shape


def _said(message: ChatMessage) -> str:
    quoted = "\n".join(f"> {line}" for line in message["content"].splitlines() or [""])
    return f"{SAID_HEADER}\n{quoted}"


def normalise(messages: list[ChatMessage], shape: TemplateShape) -> list[ChatMessage]:
    """The app's layout as one leading system message and alternating turns.

    Leading system messages are joined (persona, profile, mode rules); every later
    system or note message, and anything the companion already said after the newest
    user message (Room's earlier voices), is folded into the newest user turn under a
    fixed header; consecutive turns of one role are joined. "summary" messages are
    only for `prompt.fit`, which turns them into notes when it drops turns.
    """
    at = 0
    while at < len(messages) and messages[at]["role"] == "system":
        at += 1
    system = "\n\n".join(m["content"].strip() for m in messages[:at] if m["content"].strip())
    rest = [m for m in messages[at:] if m["role"] != "summary"]
    users = [n for n, m in enumerate(rest) if m["role"] == "user"]
    newest = users[-1] if users else len(rest)
    notes: list[str] = []
    turns: list[ChatMessage] = []
    for n, message in enumerate(rest):
        role, content = message["role"], message["content"].strip()
        if role not in ("user", "assistant"):
            if content:
                notes.append(content)
        elif n > newest:
            notes.append(_said({"role": role, "content": content}))
        elif turns and turns[-1]["role"] == role:
            turns[-1] = {"role": role, "content": f"{turns[-1]['content']}\n\n{content}"}
        else:
            turns.append({"role": role, "content": content})
    if not turns or turns[-1]["role"] != "user":
        turns.append({"role": "user", "content": ""})
    if notes:
        words = turns[-1]["content"]
        folded = "\n\n".join([NOTES_HEADER, *notes])
        turns[-1] = {"role": "user", "content": f"{words}\n\n{folded}" if words else folded}
    if turns[0]["role"] == "assistant":
        turns.insert(0, {"role": "user", "content": OPENING})
    if system and not shape.system:
        first = turns[0]["content"]
        turns[0] = {"role": "user", "content": f"{system}\n\n{first}" if first else system}
    elif system:
        turns.insert(0, {"role": "system", "content": system})
    return turns


def pieces(render: Render, messages: list[ChatMessage]) -> list[tuple[str, bool]]:
    """The rendered prompt as (text, is_content) pieces, in order.

    Each message is rendered as a unique placeholder and its text put back afterwards, so
    the template's markup and the messages' words are known apart exactly. Contents must
    already be stripped (normalise does it): templates that trim would otherwise differ.
    """
    nonce = secrets.token_hex(4)
    marks = [f"{_MARK}{nonce}.{n}{_MARK}" for n in range(len(messages))]
    masked: list[ChatMessage] = [{"role": m["role"], "content": mark}
                                 for m, mark in zip(messages, marks, strict=True)]
    text = render(masked)
    found: list[tuple[int, int]] = []
    for n, mark in enumerate(marks):
        where = text.find(mark)
        if where < 0 or text.find(mark, where + 1) >= 0:
            raise ModelError(t("engine_errors.template_not_once"))
        found.append((where, n))
    out: list[tuple[str, bool]] = []
    pos = 0
    for where, n in sorted(found):
        out.append((text[pos:where], False))
        out.append((messages[n]["content"], True))
        pos = where + len(marks[n])
    out.append((text[pos:], False))
    if _MARK in "".join(t for t, content in out if not content):
        raise ModelError(t("engine_errors.template_not_once"))
    return [(t, content) for t, content in out if t]

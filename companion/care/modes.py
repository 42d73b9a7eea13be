"""Modes: the part the companion plays in one conversation, and the words it is given.

One mode per conversation, stored with it (`vault.conversations.set_mode`), so it holds
across restarts and each conversation keeps its own. This module is policy only —
names, instructions, caps, Room voices, rehearsal setup, status text — with no vault
and no engine, so the rules are easy to read and test; `companion.conversation.turn` does the work.

KV cache: a mode's instructions depend only on the mode and its setup (the rehearsal
role, the Room voices), never on the turn, and go in a second system message right
after the persona. They stay byte-identical for the whole conversation, so llama.cpp
keeps reusing them and the history after them. What changes from call to call (which
voice speaks now, the exercise step, the end of a rehearsal) is a short cue at the very
end of the prompt, where nothing after it needs re-evaluating anyway.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from companion.errors import UsageError
from companion.i18n import t

MODES: tuple[str, ...] = ("listen", "journal", "coach", "rehearse", "room", "exercise")

# The English names and descriptions; `label` and `description` give them in the
# person's language (care.mode_<name>, care.about_<name>).
LABELS = {"listen": "Listen", "journal": "Journal", "coach": "Coach", "rehearse": "Rehearse",
          "room": "Room", "exercise": "Exercise"}

DESCRIPTIONS = {
    "listen": "reflects and validates; short replies; asks before advising",
    "journal": "write freely; no reply at all (or one short acknowledgement)",
    "coach": "breaks a task into small steps; say yes to take them on",
    "rehearse": "practise a hard conversation; the companion plays the other person",
    "room": "two to four voices answer in turn, each from its own view",
    "exercise": "a short guided exercise, one step at a time; resumes where you left off",
}

# Reply caps in tokens; provenance records the cap that was used.
ACK_TOKENS = 48
ROLE_TOKENS = 200
VOICE_TOKENS = 120
STEP_TOKENS = 96
DEBRIEF_TOKENS = 220

NAME_LIMIT = 40
SCENE_LIMIT = 1200
PALETTE = ("#e07a5f", "#81b29a", "#f2cc8f", "#9d8df1", "#5fa8d3", "#e5989b")
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


@dataclass(frozen=True)
class ModeState:
    """A conversation's mode and its setup (role, voices, exercise, coach proposal)."""

    name: str = "listen"
    state: Mapping[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return label(self.name)


def label(name: str) -> str:
    """A mode's name as the person reads it, in their language."""
    return t(f"care.mode_{name}") if name in LABELS else name


def description(name: str) -> str:
    """What a mode does, in a few words, in the person's language."""
    return t(f"care.about_{name}") if name in DESCRIPTIONS else ""


@dataclass(frozen=True)
class Voice:
    name: str
    view: str
    """How this voice sees things, in a few words; given to the model."""
    colour: str


DEFAULT_VOICES: tuple[Voice, ...] = (
    Voice("The cynic", "doubts, names the risks and the catch; dry but never cruel", PALETTE[0]),
    Voice("The optimist", "sees what could go right and the strengths already there",
          PALETTE[1]),
    Voice("The grandparent", "wise and gentle; takes the long view of a whole life",
          PALETTE[2]),
)
_KNOWN_VIEWS = {v.name.casefold().removeprefix("the "): v.view for v in DEFAULT_VOICES}


def check(name: str) -> str:
    """The mode's canonical name, or a usage error that lists the modes."""
    canonical = name.strip().casefold()
    if canonical not in MODES:
        raise UsageError(t("care_errors.no_mode", name=repr(name), choices=", ".join(MODES)))
    return canonical


def default_mode(setting: str) -> str:
    """The mode for a new conversation; a typo in config.toml falls back to listen."""
    canonical = setting.strip().casefold()
    return canonical if canonical in MODES else "listen"


def needs_model(name: str) -> bool:
    """Journal answers nothing (an acknowledgement is skipped without a model) and
    exercises fall back to their own wording, so only these modes need a model."""
    return name in ("listen", "coach", "rehearse", "room")


def _clean(text: object, limit: int) -> str:
    return " ".join(str(text).split())[:limit] if isinstance(text, str) else ""


# Room ---------------------------------------------------------------------------------


def room_state(names: Sequence[str]) -> dict[str, Any]:
    """Voices from their names: the usual three keep their views, others speak as
    themselves. Two to four voices, each named once."""
    cleaned = [_clean(n, NAME_LIMIT) for n in names if _clean(n, NAME_LIMIT)]
    if not 2 <= len(cleaned) <= 4:
        raise UsageError(t("care_errors.room_size"))
    if len({n.casefold() for n in cleaned}) != len(cleaned):
        raise UsageError(t("care_errors.room_names"))
    voices = []
    for n, name in enumerate(cleaned):
        view = _KNOWN_VIEWS.get(name.casefold().removeprefix("the "),
                                f"answers as {name} would, from their own point of view")
        voices.append({"name": name, "view": view, "colour": PALETTE[n % len(PALETTE)]})
    return {"voices": voices}


def voices(state: Mapping[str, Any]) -> tuple[Voice, ...]:
    """The room's voices from its state; the default three when none were chosen."""
    raw = state.get("voices")
    if not isinstance(raw, list) or not 2 <= len(raw) <= 4:
        return DEFAULT_VOICES
    found = []
    for n, item in enumerate(raw):
        if not isinstance(item, dict) or not _clean(item.get("name"), NAME_LIMIT):
            return DEFAULT_VOICES
        colour = str(item.get("colour", ""))
        found.append(Voice(_clean(item["name"], NAME_LIMIT),
                           _clean(item.get("view"), 200) or "speaks from its own view",
                           colour if _COLOUR.match(colour) else PALETTE[n % len(PALETTE)]))
    return tuple(found)


def colour_for(speaker: str, state: Mapping[str, Any]) -> str:
    """A voice's colour; other speakers (a rehearsal role, a room since left) get a
    stable one from their name, so a label looks the same every time."""
    for voice in voices(state):
        if voice.name == speaker:
            return voice.colour
    return PALETTE[zlib.crc32(speaker.encode("utf-8")) % len(PALETTE)]


def room_cue(voice: Voice) -> str:
    return (f"Now only {voice.name} speaks ({voice.view}). Answer the person as {voice.name}, "
            "in two or three sentences, without naming yourself first.")


# Rehearse -----------------------------------------------------------------------------


OTHER = "The other person"
"""The role when a setup names no one; stored and given to the model in English."""


def rehearse_state(role: str, scene: str) -> dict[str, Any]:
    role, scene = _clean(role, NAME_LIMIT), str(scene).strip()[:SCENE_LIMIT]
    if not role:
        raise UsageError(t("care_errors.rehearse_role"))
    return {"role": role, "scene": scene}


def parse_rehearsal(text: str) -> dict[str, Any]:
    """A setup written as a message: "My boss Sam: impatient, and I need to ask for
    a raise". The name is what comes before the first colon."""
    head, colon, rest = text.partition(":")
    if colon and 0 < len(head.strip()) <= NAME_LIMIT:
        return rehearse_state(head, rest)
    return rehearse_state(OTHER, text)


def debrief_cue(role: str) -> str:
    return (f"The rehearsal has ended. Step out of the role of {role} and speak as yourself, "
            "the companion, in four sentences or fewer: what the person did well, one thing "
            "they might try next time, and ask how they feel now.")


# instructions (the stable mode part of the prompt) ------------------------------------

LISTEN = (
    "Mode: listen. The person wants to be heard. Reflect back what you hear in your own "
    "words and validate their feelings. Keep every reply short: two to four sentences. Do "
    "not give advice or solutions unless they ask; if advice might help, ask first whether "
    "they want it. End with at most one gentle question."
)
JOURNAL = (
    "Mode: journal. The person is writing for themselves, not starting a conversation. "
    "Answer with one short sentence that acknowledges what they wrote: no questions, no "
    "advice, no analysis."
)
COACH = (
    "Mode: coach. Help the person break what they want to do into small, concrete steps "
    "they could start soon, each small enough for one day. Answer in JSON: \"reply\" is one "
    "or two short, encouraging sentences; \"steps\" lists at most four steps, each with "
    "\"due_in_days\", in how many days it could be done. Never push: the person chooses "
    "which steps to take on."
)
EXERCISE = (
    "Mode: guided exercise. You guide the person through a short self-help exercise one step "
    "at a time. The steps are fixed; when given a step, put it to the person in one or two "
    "short, warm sentences of your own, keeping its meaning and any numbers exactly. Do not "
    "add steps, advice or analysis."
)


def instructions(mode: ModeState) -> str:
    """The mode part of the prompt: a function of the mode and its setup only."""
    if mode.name == "rehearse":
        role = _clean(mode.state.get("role"), NAME_LIMIT) or "the other person"
        scene = str(mode.state.get("scene", "")).strip()
        quoted = "\n".join(f"> {line}" for line in scene.splitlines()) or "> (not described)"
        return (
            f"Mode: rehearsal. The person wants to practise a hard conversation. You play "
            f"{role}. How the person describes {role} and the situation (their own words, "
            f"quoted):\n{quoted}\nStay in the role: speak only as {role}, in the first person, "
            "in one to three sentences, realistically but never cruelly. Do not give advice or "
            "step out of the role until you are told the rehearsal has ended."
        )
    if mode.name == "room":
        lines = "\n".join(f"- {v.name}: {v.view}" for v in voices(mode.state))
        return ("Mode: room. Several voices answer the person in turn, each from its own point "
                f"of view:\n{lines}\nEach answer comes from one voice only. The voices may "
                "disagree with each other; every one of them cares about the person.")
    return {"listen": LISTEN, "journal": JOURNAL, "coach": COACH,
            "exercise": EXERCISE}.get(mode.name, LISTEN)


def describe(mode: ModeState, exercise: str = "") -> str:
    """The mode as the status bar shows it, in the person's language."""
    if mode.name == "rehearse" and mode.state.get("role"):
        role = str(mode.state["role"])  # stored and given to the model as it is
        return t("care.rehearse_with", role=t("care.other_person") if role == OTHER else role)
    if mode.name == "room":
        return t("care.room_with", voices=", ".join(v.name for v in voices(mode.state)))
    if mode.name == "coach":
        proposal = mode.state.get("proposal")
        if isinstance(proposal, dict) and proposal.get("steps"):
            return t("care.coach_proposed", count=len(proposal["steps"]))
    if mode.name == "exercise" and exercise:
        return t("care.exercise_at", exercise=exercise)
    return mode.label

"""Guided single-session exercises: the steps are data, the progress is in the vault.

Each exercise is a TOML file in companion/data/exercises (id, title, summary, minutes,
closing, and [[steps]] with a title and a prompt). The code owns the steps and their
order; the model only rewords a step's prompt for the person. Progress (the step and
the answers so far) is saved after every answer, so an exercise resumes at its step
after a restart. A step with `commit_days` turns the answer into an open commitment
due that many days later, so the check-ins follow it up.

The person reads an exercise in their language: each file's texts are translated in the
catalogues (`[exercise_<id>]` in i18n/<code>/exercises.toml, keyed by field and step
number, so ids, minutes and commit_days stay in one place), with this English file as
the fallback. The model is always given the English step, and rewords it.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import cache
from importlib import resources
from typing import Any

from companion import i18n
from companion.domain import Commitment
from companion.errors import UsageError
from companion.i18n import t
from companion.vault import Vault
from companion.vault.care import Progress

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on 3.10
    import tomli as tomllib


class ExerciseProblem(ValueError):
    """An exercise file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Step:
    title: str
    prompt: str
    commit_days: int | None = None


@dataclass(frozen=True)
class Exercise:
    id: str
    title: str
    summary: str
    minutes: int
    closing: str
    steps: tuple[Step, ...]

    def shown(self) -> Exercise:
        """This exercise in the person's language: the catalogue's `[exercise_<id>]` table
        (title, summary, closing, step1_title, step1_prompt, …), and the English file for
        any text it lacks. The model is given the English (`step_cue`) and rewords it."""
        def say(key: str, english: str) -> str:
            return i18n.lookup(i18n.current(), f"exercise_{self.id}.{key}") or english

        steps = tuple(replace(s, title=say(f"step{n}_title", s.title),
                              prompt=say(f"step{n}_prompt", s.prompt))
                      for n, s in enumerate(self.steps, 1))
        return replace(self, title=say("title", self.title), summary=say("summary", self.summary),
                       closing=say("closing", self.closing), steps=steps)

    def header(self, index: int) -> str:
        """The code's own words above each step, so its meaning shows whatever the model
        makes of the wording."""
        shown = self.shown()
        return t("exercises.header", title=shown.title, step=index + 1, steps=len(self.steps),
                 name=shown.steps[index].title)

    def intro(self) -> str:
        """Said once, above the first step."""
        shown = self.shown()
        return t("exercises.intro", title=shown.title, summary=shown.summary,
                 minutes=self.minutes)

    def choice(self) -> str:
        """How the exercise reads in a list to choose from."""
        shown = self.shown()
        return t("exercises.choice", title=shown.title, minutes=self.minutes,
                 summary=shown.summary)


@dataclass(frozen=True)
class Status:
    """Where a person is in an exercise."""

    exercise: Exercise
    progress: Progress

    @property
    def step(self) -> int:
        return self.progress.step

    @property
    def finished(self) -> bool:
        return self.progress.finished_at is not None or self.step >= len(self.exercise.steps)

    @property
    def label(self) -> str:
        title = self.exercise.shown().title
        if self.finished:
            return t("exercises.finished", title=title)
        return t("exercises.at_step", title=title, step=self.step + 1,
                 steps=len(self.exercise.steps))


def _text(raw: dict[str, Any], key: str, source: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ExerciseProblem(f"{source}: {key!r} must be a non-empty string")
    return value.strip()


def parse(text: str, source: str) -> Exercise:
    """One exercise file, checked; every problem names the file and the key."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ExerciseProblem(f"{source}: not valid TOML ({exc})") from None
    steps_raw = raw.get("steps")
    if not isinstance(steps_raw, list) or not steps_raw:
        raise ExerciseProblem(f"{source}: needs at least one [[steps]]")
    steps = []
    for n, item in enumerate(steps_raw, 1):
        where = f"{source} step {n}"
        days = item.get("commit_days")
        if days is not None and (not isinstance(days, int) or not 1 <= days <= 30):
            raise ExerciseProblem(f"{where}: 'commit_days' must be a whole number from 1 to 30")
        steps.append(Step(_text(item, "title", where), _text(item, "prompt", where), days))
    minutes = raw.get("minutes", 5)
    if not isinstance(minutes, int) or minutes < 1:
        raise ExerciseProblem(f"{source}: 'minutes' must be a whole number of minutes")
    return Exercise(_text(raw, "id", source), _text(raw, "title", source),
                    _text(raw, "summary", source), minutes, _text(raw, "closing", source),
                    tuple(steps))


@cache
def builtin() -> dict[str, Exercise]:
    """The shipped exercises by id, in file name order."""
    folder = resources.files("companion") / "data" / "exercises"
    found: dict[str, Exercise] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            exercise = parse(entry.read_text(encoding="utf-8"), f"exercises/{entry.name}")
            found[exercise.id] = exercise
    return found


def get(exercise_id: str) -> Exercise:
    found = builtin().get(exercise_id.strip())
    if found is None:
        raise UsageError(t("care_errors.no_exercise", exercise_id=repr(exercise_id),
                           choices=", ".join(builtin())))
    return found


def status(vault: Vault, progress_id: object) -> Status | None:
    """The saved progress behind a conversation's exercise state, if it still exists."""
    if not isinstance(progress_id, int):
        return None
    with vault.lock:
        progress = vault.exercises.get(progress_id)
    if progress is None or progress.exercise not in builtin():
        return None
    return Status(builtin()[progress.exercise], progress)


def start(vault: Vault, exercise: Exercise, conversation_id: int) -> Status:
    """Resume this conversation's unfinished run of the exercise, or begin a new one."""
    with vault.lock:
        for progress in vault.exercises.unfinished(conversation_id):
            if progress.exercise == exercise.id:
                return Status(exercise, progress)
        return Status(exercise, vault.exercises.start(exercise.id, conversation_id))


def record_answer(vault: Vault, current: Status, text: str, *, source_message_id: int,
                  today: date | None = None) -> tuple[Status, Commitment | None]:
    """Save the answer to the current step and move on; commit to it if the step says so."""
    step = current.exercise.steps[current.step]
    answers = [*current.progress.answers, {"step": current.step, "answer": text}]
    done = current.step + 1 >= len(current.exercise.steps)
    commitment = None
    with vault.lock:
        vault.exercises.advance(current.progress.id, current.step + 1, answers, finished=done)
        if step.commit_days is not None and text.strip():
            due = ((today or date.today()) + timedelta(days=step.commit_days)).isoformat()
            commitment = vault.commitments.add(
                " ".join(text.split())[:200], due, status="open",
                source_message_id=source_message_id,
                conversation_id=current.progress.conversation_id)
        progress = vault.exercises.get(current.progress.id)
    assert progress is not None
    return Status(current.exercise, progress), commitment


def plans_noted(plans: list[str]) -> str:
    """Added to the closing when the exercise turned an answer into a plan."""
    return t("exercises.plans_noted", plans="; ".join(f"“{plan}”" for plan in plans))


def step_cue(exercise: Exercise, index: int) -> str:
    """What the model is asked to reword (the step is quoted data it must keep)."""
    quoted = "\n".join(f"> {line}" for line in exercise.steps[index].prompt.splitlines())
    return (f"Next is step {index + 1} of {len(exercise.steps)} of the exercise "
            f"\"{exercise.title}\":\n{quoted}\nPut this step to the person now, in one or two "
            "short sentences.")

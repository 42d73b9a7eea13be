"""What each mode does with a turn: which calls to the model, what is stored, in order.

The rules (instructions, caps, voices, coach steps, exercise steps) live in
companion.care; a `Turn` (companion.conversation.turn) does the calling and storing. Code decides
everything that must be dependable — which exercise step comes next, which coach steps
became commitments, when a rehearsal ends — and the model only supplies words.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from companion.care import coach, crisis_note, exercises, modes, profile
from companion.conversation.turn import Turn
from companion.domain import Message, Provenance, SamplingParams
from companion.errors import ModelError, UsageError
from companion.i18n import t


def _newest_user(history: Sequence[Message]) -> Message | None:
    """The person's message still waiting for an answer, if the last one is theirs."""
    return history[-1] if history and history[-1].role == "user" else None


def listen(turn: Turn) -> None:
    messages = turn.prompt(turn.history(), with_recall=True)
    turn.generate(messages, cap=turn.settings.listen_max_tokens, recalled=True)


def journal(turn: Turn) -> None:
    """Nothing at all; or, if the person asked for it and a model is there, one line.

    A message that fired the crisis scan is never met with silence: it gets a short,
    warm note in the person's language, fixed text needing no model (and no model line
    besides, so it is the only answer and comes at once)."""
    if turn.crisis.fired:
        newest = _newest_user(turn.history())
        language = profile.choices(turn.settings, profile.read_profile(turn.vault)).language
        turn.post(crisis_note.journal_note(turn.crisis, language,
                                           newest.content if newest else ""))
        return
    if turn.settings.journal_acknowledge and turn.engine is not None:
        turn.generate(turn.prompt(turn.history()), cap=modes.ACK_TOKENS)


def coaching(turn: Turn) -> None:
    history = turn.history()
    source, steps = coach.from_state(turn.mode.state)
    newest = _newest_user(history)
    shown = any(m.id == source for m in history)  # an edit or a delete may have removed it
    if steps and shown and newest is not None and source is not None and newest.id > source:
        picked = coach.answer(newest.content, len(steps))
        if picked is not None:
            take_steps(turn, picked, source)
            return
    engine = turn.claim()
    messages = turn.prompt(history, with_recall=True)
    _params, seed = turn.sampling()
    turn.calls += 1
    turn.open_part()
    try:
        data = engine.complete_json(messages, coach.SCHEMA, seed=seed,
                                    max_tokens=coach.JSON_TOKENS, cancel=turn.cancel)
    except ModelError:
        if turn.cancel.is_set():
            turn.stopped = True
            return
        raise
    finally:
        turn.stats = engine.last_stats
    reply, proposed = coach.parse(data)
    used = SamplingParams(temperature=0.3, max_tokens=coach.JSON_TOKENS)
    message = turn.say(coach.render(reply, proposed),
                       Provenance(engine.model.sha256, engine.model.name, used, seed,
                                  engine.model.engine_url),
                       recalled=True)
    turn.steps = tuple(s.text for s in proposed)
    state = {k: v for k, v in turn.mode.state.items() if k != "proposal"}
    if proposed:
        state["proposal"] = coach.to_state(message.id, proposed)
    turn.set_mode("coach", state)


def take_steps(turn: Turn, picked: Sequence[int] | None, source: int | None = None) -> None:
    """The person's yes (all, or the numbered steps): open commitments, in code."""
    source_state, steps = coach.from_state(turn.mode.state)
    if not steps:
        turn.post(t("conversation.no_steps"))
        return
    chosen = range(1, len(steps) + 1) if picked is None else picked
    taken = []
    with turn.vault.lock:
        for n in chosen:
            step, when = steps[n - 1], coach.due(steps[n - 1], turn.today)
            turn.commitments.append(turn.vault.commitments.add(
                step.text, when, status="open", source_message_id=source or source_state,
                conversation_id=turn.conversation_id))
            taken.append((step, when))
    turn.set_mode("coach", {k: v for k, v in turn.mode.state.items() if k != "proposal"})
    turn.post(coach.confirmation(taken))


def rehearse(turn: Turn) -> None:
    history = turn.history()
    if not turn.mode.state.get("role"):
        newest = _newest_user(history)
        if newest is None:
            raise UsageError(t("conversation_errors.rehearse_who"))
        turn.set_mode("rehearse", modes.parse_rehearsal(newest.content))
    role = str(turn.mode.state["role"])
    turn.generate(turn.prompt(history), cap=modes.ROLE_TOKENS, speaker=role)


def debrief(turn: Turn) -> None:
    """End the rehearsal: a few words in the companion's own voice, then back to listen."""
    role = str(turn.mode.state.get("role") or "the other person")
    try:
        if turn.engine is None:
            turn.post(t("conversation.rehearsal_ended", role=role))
        else:
            cue = modes.debrief_cue(role)
            turn.generate(turn.prompt(turn.history(), cue=cue), cap=modes.DEBRIEF_TOKENS)
    finally:
        turn.set_mode("listen", {})


def room(turn: Turn) -> None:
    """Each voice in turn, each a message of its own; Esc stops the rest."""
    history = turn.history()
    for voice in modes.voices(turn.mode.state):
        if turn.cancel.is_set():
            break
        messages = turn.prompt([*history, *turn.parts], cue=modes.room_cue(voice),
                               with_recall=True)
        turn.generate(messages, cap=modes.VOICE_TOKENS, speaker=voice.name, recalled=True)


def exercise(turn: Turn) -> None:
    """The person's message answers the step that was asked; then the next step."""
    state = turn.mode.state
    current = exercises.status(turn.vault, state.get("progress"))
    if current is None or current.finished:
        wanted = state.get("exercise")
        if not isinstance(wanted, str):
            raise UsageError(t("conversation_errors.choose_exercise_first",
                               choices=", ".join(exercises.builtin())))
        begin_exercise(turn, wanted)
        return
    newest = _newest_user(turn.history())
    if newest is not None and state.get("asked") == current.step:
        current, commitment = exercises.record_answer(
            turn.vault, current, newest.content, source_message_id=newest.id, today=turn.today)
        turn.exercise = current
        if commitment is not None:
            turn.commitments.append(commitment)
    if current.finished:
        closing = current.exercise.shown().closing
        with turn.vault.lock:
            plans = [c for c in turn.vault.commitments.list(("open",))
                     if c.conversation_id == turn.conversation_id
                     and c.created_at >= current.progress.started_at]
        if plans:
            closing += "\n\n" + exercises.plans_noted([c.content for c in plans])
        turn.post(closing)
        turn.set_mode("listen", {})
        return
    _ask(turn, current)


def begin_exercise(turn: Turn, exercise_id: str) -> None:
    """Start (or resume this conversation's unfinished run of) an exercise."""
    chosen = exercises.get(exercise_id)
    current = exercises.start(turn.vault, chosen, turn.conversation_id)
    turn.ran_in = "exercise"
    turn.set_mode("exercise", {"exercise": chosen.id, "progress": current.progress.id,
                               "asked": None})
    _ask(turn, current, intro=current.step == 0)


def _ask(turn: Turn, current: exercises.Status, intro: bool = False) -> None:
    """Put the current step to the person: the code's header, the model's wording."""
    ex, index = current.exercise, current.step
    prefix = f"{ex.header(index)}\n\n"
    if intro:
        prefix = f"{ex.intro()}\n\n{prefix}"
    step = ex.shown().steps[index]  # the person's language; the model gets the English cue
    if turn.engine is None:
        turn.post(prefix + step.prompt)
    else:
        messages = turn.prompt(turn.history(), cue=exercises.step_cue(ex, index))
        turn.generate(messages, cap=modes.STEP_TOKENS, prefix=prefix, fallback=step.prompt)
    turn.set_mode("exercise", {**turn.mode.state, "asked": index})
    turn.exercise = current


ANSWERS: dict[str, Callable[[Turn], None]] = {
    "listen": listen, "journal": journal, "coach": coaching, "rehearse": rehearse,
    "room": room, "exercise": exercise,
}

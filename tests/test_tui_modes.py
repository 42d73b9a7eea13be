"""Modes in the app, driven by Pilot with the real tiny model: F6 switches (journal: no
model call at all; Room: one labelled, coloured message per voice; Rehearse: the role
on every message, F7 ends it with a debrief), the status bar shows the mode, the
palette switches too, and an exercise resumes at its step after the app restarts."""

from __future__ import annotations

from pathlib import Path

from textual.color import Color
from textual.widgets import OptionList

from companion import paths
from companion.care import exercises, modes
from companion.config import Settings
from companion.domain import SamplingParams
from companion.engine.llama import LlamaEngine
from companion.models.files import inspect_model
from companion.ui.app import CompanionApp
from companion.ui.screens.modes import ExercisePicker, ModePicker, RehearseSetup, RoomSetup
from companion.ui.widgets.message import MessageView
from tests.conftest import PASSPHRASE
from tests.test_modes import Counting
from tests.test_tui import chat_screen, notice, views, wait_for
from tests.test_tui_memory import type_text

SIZE = (110, 36)


def new_app(home: Path, tiny_model: Path, engines: list[Counting]) -> CompanionApp:
    def load(_path: str, _settings: Settings) -> Counting:
        engines.append(Counting(LlamaEngine.load(inspect_model(tiny_model))))
        return engines[-1]

    settings = Settings(model=str(tiny_model), seed=4, sampling=SamplingParams(max_tokens=12))
    return CompanionApp(paths.resolve(home), settings, passphrase=PASSPHRASE,
                        engine_loader=load)


def status(app: CompanionApp) -> str:
    return chat_screen(app).status.render().plain


async def ready(pilot, app: CompanionApp) -> None:
    await wait_for(pilot, lambda: app.engine_state == "ready")
    await wait_for(pilot, lambda: app.screen.query("#composer"))


async def pick(pilot, app: CompanionApp, mode: str) -> None:
    await pilot.press("f6")
    await wait_for(pilot, lambda: isinstance(app.screen, ModePicker))
    app.screen.query_one(OptionList).highlighted = modes.MODES.index(mode)
    await pilot.press("enter")


async def send(pilot, app: CompanionApp, text: str, shown: int) -> None:
    await type_text(pilot, text)
    await pilot.press("enter")
    await wait_for(pilot, lambda: len(views(app)) == shown and not chat_screen(app).replying)


def label(view: MessageView) -> str:
    return str(view.query_one(".role").render())


async def test_switching_modes_journal_room_and_rehearse(home: Path, tiny_model: Path) -> None:
    engines: list[Counting] = []
    app = new_app(home, tiny_model, engines)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app)
        assert status(app).startswith("Listen (F6)")

        await pick(pilot, app, "journal")
        await wait_for(pilot, lambda: status(app).startswith("Journal"))
        await send(pilot, app, "just letting it out", 1)
        await pilot.pause(0.2)
        assert len(views(app)) == 1 and engines[0].calls == 0
        assert "answers nothing" in notice(app)
        assert app.session.mode().name == "journal"

        await pick(pilot, app, "room")
        await wait_for(pilot, lambda: isinstance(app.screen, RoomSetup))
        await pilot.press("enter")  # the usual three voices
        await wait_for(pilot, lambda: status(app).startswith("Room: The cynic"))
        await send(pilot, app, "should I quit?", 5)
        voices = views(app)[2:]
        assert [v.speaker for v in voices] == [v.name for v in modes.DEFAULT_VOICES]
        assert [label(v) for v in voices] == [v.name for v in modes.DEFAULT_VOICES]
        for view, voice in zip(voices, modes.DEFAULT_VOICES, strict=True):
            assert view.styles.border_left[1] == Color.parse(voice.colour)
            assert view.message_id is not None
        assert engines[0].calls == 3

        await pick(pilot, app, "rehearse")
        await wait_for(pilot, lambda: isinstance(app.screen, RehearseSetup))
        await type_text(pilot, "Mum [b]strict[/b]")
        await pilot.press("enter")
        await type_text(pilot, "she worries")
        await pilot.press("enter")
        await wait_for(pilot, lambda: "Rehearse: Mum [b]strict[/b]" in status(app))
        await send(pilot, app, "Mum, I am moving out", 7)
        role = views(app)[-1]
        assert role.speaker == "Mum [b]strict[/b]" and label(role) == "Mum [b]strict[/b]"
        await pilot.press("f7")
        await wait_for(pilot, lambda: len(views(app)) == 8 and not chat_screen(app).replying)
        assert views(app)[-1].speaker is None and label(views(app)[-1]) == "Companion"
        assert status(app).startswith("Listen")

        # the palette switches too, and each conversation keeps its own mode
        await pilot.press("ctrl+p")
        await type_text(pilot, "Mode: Coach")
        await pilot.press("enter")
        await wait_for(pilot, lambda: status(app).startswith("Coach"))
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: status(app).startswith("Listen"))
        await pilot.press("ctrl+q")


async def test_coach_steps_are_taken_on_with_yes(home: Path, tiny_model: Path) -> None:
    engines: list[Counting] = []
    app = new_app(home, tiny_model, engines)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app)
        await pick(pilot, app, "coach")
        await send(pilot, app, "help me start my thesis", 2)
        steps = app.session.proposed_steps()
        assert steps and "steps proposed" in status(app)
        await send(pilot, app, "yes", 4)
        assert engines[0].calls == 1
        taken = app.session.vault.commitments.list(("open",))
        assert sorted(c.content for c in taken) == sorted(steps)
        assert status(app).startswith("Coach (F6)")
        await pilot.press("ctrl+q")


async def test_an_exercise_resumes_after_a_restart(home: Path, tiny_model: Path) -> None:
    grounding = exercises.get("grounding")
    engines: list[Counting] = []
    app = new_app(home, tiny_model, engines)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app)
        await pick(pilot, app, "exercise")
        await wait_for(pilot, lambda: isinstance(app.screen, ExercisePicker))
        app.screen.query_one(OptionList).highlighted = list(exercises.builtin()).index(
            "grounding")
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(views(app)) == 1 and not chat_screen(app).replying)
        assert views(app)[0].role == "assistant"
        assert grounding.header(0) in app.session.messages()[0].content
        assert "step 1 of 5" in status(app)
        await send(pilot, app, "a lamp, a cup, a door, a plant, a book", 3)
        assert "step 2 of 5" in status(app)
        await pilot.press("ctrl+q")

    again = new_app(home, tiny_model, engines)
    async with again.run_test(size=SIZE) as pilot:
        await ready(pilot, again)
        assert "Exercise: Grounding 5-4-3-2-1 · step 2 of 5" in status(again)
        assert len(views(again)) == 3
        assert grounding.header(1) in again.session.messages()[-1].content
        await send(pilot, again, "the chair, my socks, the air, my sleeve", 5)
        assert "step 3 of 5" in status(again)
        progress = again.session.exercise_status().progress
        assert [a["answer"] for a in progress.answers] == [
            "a lamp, a cup, a door, a plant, a book", "the chair, my socks, the air, my sleeve"]
        await pilot.press("ctrl+q")

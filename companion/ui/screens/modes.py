"""Choosing a conversation's mode in the app: F6 (or the palette) and small dialogs.

- F6: the six modes with a line each; Rehearse asks who to play and the situation,
  Room which voices, Exercise which exercise (it starts at once, or resumes where this
  conversation's run of it stopped).
- F7: end a rehearsal; the companion steps out of the role with a short debrief.
- Palette: "Mode: …" for each mode, "End the rehearsal", "Take on the proposed steps".

The work is `Session.set_mode` and friends; this only asks and shows. Names and scenes
the person types are shown as plain text, never markup. The words are the catalogues'
(`[modes]` here, the mode names `care.mode_<id>`); ids and the voices' default names,
which the model is given, stay as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from companion.care import exercises, modes
from companion.errors import CompanionError
from companion.i18n import t
from companion.ui.binding_words import Worded
from companion.ui.widgets.commands import CommandList

DIALOG_CSS = """
ModePicker, ExercisePicker, RehearseSetup, RoomSetup { align: center middle; }
ModePicker .dialog, ExercisePicker .dialog, RehearseSetup .dialog, RoomSetup .dialog {
    border: round $primary;
}
.dialog OptionList { height: auto; max-height: 16; }
.dialog .dialog-title { text-style: bold; margin-bottom: 1; }
.dialog Input { margin-bottom: 1; }
"""


class _Choice(Worded, ModalScreen[str | None]):
    """A list to choose one item from; Enter chooses, Esc closes."""

    DEFAULT_CSS = DIALOG_CSS
    BINDINGS = [Binding("escape", "close", "Close", id="choice_close")]

    def __init__(self, title: str, options: list[tuple[str, str]]) -> None:
        super().__init__()
        self.title_text, self.options = title, options

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Content(self.title_text), classes="dialog-title")
            yield OptionList(*(Option(Content(text), id=key) for key, text in self.options))

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_close(self) -> None:
        self.dismiss(None)


class ModePicker(_Choice):
    def __init__(self, current: str) -> None:
        super().__init__(
            t("modes.picker", mode=modes.label(current)),
            [(name, f"{modes.label(name)}: {modes.description(name)}") for name in modes.MODES])


class ExercisePicker(_Choice):
    def __init__(self) -> None:
        super().__init__(t("exercises.which"),
                         [(e.id, e.choice()) for e in exercises.builtin().values()])


class RehearseSetup(Worded, ModalScreen[dict[str, Any] | None]):
    """Who the companion plays, and the situation, in the person's own words."""

    DEFAULT_CSS = DIALOG_CSS
    BINDINGS = [Binding("escape", "close", "Close", id="rehearse_close")]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(t("modes.rehearse_title"), classes="dialog-title")
            yield Input(placeholder=t("modes.rehearse_role"), id="rehearse-role")
            yield Input(placeholder=t("modes.rehearse_scene"), id="rehearse-scene")
            yield Static("", id="rehearse-problem", markup=False)

    def on_mount(self) -> None:
        self.query_one("#rehearse-role", Input).focus()

    @on(Input.Submitted, "#rehearse-role")
    def _next(self) -> None:
        self.query_one("#rehearse-scene", Input).focus()

    @on(Input.Submitted, "#rehearse-scene")
    def _done(self) -> None:
        role = self.query_one("#rehearse-role", Input).value
        scene = self.query_one("#rehearse-scene", Input).value
        try:
            self.dismiss(modes.rehearse_state(role, scene))
        except CompanionError as exc:
            self.query_one("#rehearse-problem", Static).update(str(exc))

    def action_close(self) -> None:
        self.dismiss(None)


class RoomSetup(Worded, ModalScreen[dict[str, Any] | None]):
    """The room's voices by name: the usual three, or the person's own."""

    DEFAULT_CSS = DIALOG_CSS
    BINDINGS = [Binding("escape", "close", "Close", id="room_close")]

    def compose(self) -> ComposeResult:
        names = ", ".join(v.name for v in modes.DEFAULT_VOICES)
        with Vertical(classes="dialog"):
            yield Static(t("modes.room_title"), classes="dialog-title")
            yield Input(names, id="room-voices")
            yield Static("", id="room-problem", markup=False)

    def on_mount(self) -> None:
        self.query_one("#room-voices", Input).focus()

    @on(Input.Submitted, "#room-voices")
    def _done(self, event: Input.Submitted) -> None:
        try:
            self.dismiss(modes.room_state(event.value.split(",")))
        except CompanionError as exc:
            self.query_one("#room-problem", Static).update(str(exc))

    def action_close(self) -> None:
        self.dismiss(None)


class ChatModes:
    """Mixed into ChatScreen, which provides session, notice, answer, status, replying."""

    def show_mode(self) -> None:
        screen: Any = self
        screen.status.show_mode(screen.session.describe_mode())

    def _busy(self) -> bool:
        screen: Any = self
        if screen.replying:
            screen.notify(t("chat.still_replying"), timeout=4)
        return bool(screen.replying)

    def action_pick_mode(self) -> None:
        screen: Any = self
        if not self._busy():
            screen.app.push_screen(ModePicker(screen.session.mode().name), self.choose_mode)

    async def choose_mode(self, name: str | None) -> None:
        """Switch to `name`, asking first for what the mode needs."""
        screen: Any = self
        if name is None or self._busy():
            return
        if name == "rehearse":
            screen.app.push_screen(RehearseSetup(), partial(self._switch, "rehearse"))
        elif name == "room":
            screen.app.push_screen(RoomSetup(), partial(self._switch, "room"))
        elif name == "exercise":
            screen.app.push_screen(ExercisePicker(), self.start_exercise)
        else:
            await self._switch(name, {})

    async def _switch(self, name: str, state: dict[str, Any] | None) -> None:
        screen: Any = self
        if state is None:
            return
        try:
            screen.session.set_mode(name, state)
        except CompanionError as exc:
            screen.notice(str(exc))
            return
        self.show_mode()
        key = "modes.switched_rehearse" if name == "rehearse" else "modes.switched"
        screen.notice(t(key, name=modes.label(name), description=modes.description(name)))

    async def start_exercise(self, exercise_id: str | None) -> None:
        screen: Any = self
        if exercise_id is None or self._busy():
            return
        session = screen.session
        await screen.answer(lambda on_text, cancel, on_part: session.start_exercise(
            exercise_id, on_text, cancel, on_part), needs_model=False)
        self.show_mode()

    async def resume_exercise(self) -> None:
        """After opening a conversation: put a step that was never shown."""
        screen: Any = self
        if not screen.replying and screen.session.exercise_waiting():
            await screen.answer(screen.session.continue_exercise, needs_model=False)

    async def action_end_rehearsal(self) -> None:
        screen: Any = self
        if self._busy():
            return
        if screen.session.mode().name != "rehearse":
            screen.notice(t("modes.no_rehearsal", mode=modes.label("rehearse")))
            return
        await screen.answer(screen.session.end_rehearsal, needs_model=False)

    async def action_accept_steps(self) -> None:
        screen: Any = self
        if self._busy():
            return
        if not screen.session.proposed_steps():
            screen.notice(t("modes.no_steps"))
            return
        session = screen.session
        await screen.answer(lambda on_text, _cancel, on_part: session.accept_steps(
            None, on_text, on_part), needs_model=False)


class ModeCommands(CommandList):
    """Palette commands for the modes, on the chat screen."""

    def _commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        screen: Any = self.screen
        found: list[tuple[str, str, Callable[[], Any]]] = [
            (t("modes.choose"), t("modes.choose_help"), screen.action_pick_mode)]
        for name in modes.MODES:
            found.append((t("modes.palette_mode", name=modes.label(name)), modes.description(name),
                          partial(screen.choose_mode, name)))
        found.append((t("modes.end"), t("modes.end_help"), screen.action_end_rehearsal))
        found.append((t("modes.steps"), t("modes.steps_help"), screen.action_accept_steps))
        return found

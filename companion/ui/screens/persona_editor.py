"""Persona: choose who the companion is, or shape a copy as your own TOML file.

The list shows the built-in personas and the person's own (`<config>/personas/`).
Choosing one fills the form with a copy; Save writes it as the person's own file,
through the same checks (and the same error sentences) as a file read from disk.
"Use this persona" records the choice in the vault profile. The system text then
changes, and with it the pin's persona hash: the person is told, in plain words, that
replies may sound different, and the change applies from the next start so a session
keeps one voice.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from companion.care import personas
from companion.care.persona import resolve_persona
from companion.care.profile import choices, read_profile, save_profile
from companion.errors import CompanionError
from companion.ui.binding_words import Worded

INTRO = ("Pick a persona to see it. Save keeps an edited copy as your own file; "
         "Use makes it the one that speaks. Persona files are plain text in your config "
         "folder, not in the vault: keep private details out of them.")


def report_problems(app: Any, vault: Any) -> None:
    """Once per start: each persona file of the person's own that was skipped, and a
    chosen persona that is not there (the default one speaks instead)."""
    known = personas.load_current()
    _persona, missing = resolve_persona(app.settings, read_profile(vault), known)
    for problem in (*known.problems, *([missing] if missing else [])):
        app.notify(problem, severity="warning", timeout=12, markup=False)


class PersonaScreen(Worded, Screen[None]):
    BINDINGS = [
        Binding("escape", "close", "Close", id="close_persona"),
        Binding("ctrl+s", "save", "Save as mine", id="save_persona", priority=True),
        Binding("ctrl+u", "use", "Use this persona", id="use_persona", priority=True),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.known = personas.PersonaLoad()
        self.shown: personas.Persona | None = None

    @property
    def vault(self) -> Any:
        return getattr(self.app, "vault", None)

    @property
    def folder(self) -> Path:
        return personas.user_dir(self.app.paths.config)  # type: ignore[attr-defined]

    def compose(self) -> ComposeResult:
        with Horizontal(id="persona-main"):
            with Vertical(id="persona-side"):
                yield Static(INTRO, id="persona-intro", markup=False)
                yield OptionList(id="persona-list")
                yield Static("", id="persona-current", markup=False)
            with VerticalScroll(id="persona-form"):
                yield Label("Name (a-z, 0-9, - and _; saved as NAME.toml)")
                yield Input(id="persona-name", max_length=40)
                yield Label("Title (shown in lists)")
                yield Input(id="persona-title", max_length=80)
                yield Label("Voice: who it is and how it sounds")
                yield TextArea(id="persona-voice", soft_wrap=True, classes="persona-text")
                yield Label("How it listens")
                yield TextArea(id="persona-listens", soft_wrap=True, classes="persona-text")
                yield Label("What it avoids")
                yield TextArea(id="persona-avoids", soft_wrap=True, classes="persona-text")
                yield Label("Reply language (a code such as es; may be empty)")
                yield Input(id="persona-language", max_length=3)
                yield Label("Ways of coping it may suggest (one per line)")
                yield TextArea(id="persona-repertoire", soft_wrap=True, classes="persona-text")
                with Horizontal(id="persona-buttons"):
                    yield Button("Save as mine", id="persona-save", variant="primary")
                    yield Button("Use this persona", id="persona-use")
                    yield Button("Close", id="persona-close")
                yield Static("", id="persona-message", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.reload()
        current, _ = resolve_persona(self._settings(), self._profile(), self.known)
        options = self.query_one("#persona-list", OptionList)
        if current is not None:
            self.show_persona(current)
            options.highlighted = self.known.names().index(current.name)
        options.focus()

    # helpers ----------------------------------------------------------------------------

    def _settings(self) -> Any:
        return self.app.settings  # type: ignore[attr-defined]

    def _profile(self) -> dict[str, str]:
        return read_profile(self.vault) if self.vault is not None else {}

    def message(self, text: str, *, error: bool = False) -> None:
        box = self.query_one("#persona-message", Static)
        box.update(text)
        box.set_class(error, "error")

    def reload(self, select: str | None = None) -> None:
        self.known = personas.load_personas(self.folder)
        options = self.query_one("#persona-list", OptionList)
        options.clear_options()
        for persona in self.known.personas.values():
            whose = "built-in" if persona.builtin else "yours"
            options.add_option(Option(f"{persona.label} · {persona.name} ({whose})",
                                      id=persona.name))
        if select is not None and select in self.known.personas:
            options.highlighted = self.known.names().index(select)
        self._show_current()
        if self.known.problems:
            self.message("\n".join(self.known.problems), error=True)

    def _show_current(self) -> None:
        chosen = choices(self._settings(), self._profile())
        current, problem = resolve_persona(self._settings(), self._profile(), self.known)
        text = f"Speaking now: {current.label if current else 'the default'}"
        if "persona" in chosen.from_settings:
            text += f" (set by persona_name = {chosen.persona!r} in config.toml, which wins)"
        self.query_one("#persona-current", Static).update(text + (f"\n{problem}" if problem
                                                                  else ""))

    def show_persona(self, persona: personas.Persona) -> None:
        """Fill the form with an editable copy (a built-in one gets a name of its own)."""
        self.shown = persona
        name = f"{persona.name}-mine" if persona.builtin else persona.name
        self.query_one("#persona-name", Input).value = name[:40]
        self.query_one("#persona-title", Input).value = (
            f"{persona.label} (mine)" if persona.builtin else persona.title)
        self.query_one("#persona-voice", TextArea).text = persona.voice
        self.query_one("#persona-listens", TextArea).text = persona.listens
        self.query_one("#persona-avoids", TextArea).text = persona.avoids
        self.query_one("#persona-language", Input).value = persona.language
        self.query_one("#persona-repertoire", TextArea).text = "\n".join(persona.repertoire)

    def fields(self) -> dict[str, Any]:
        return {
            "name": self.query_one("#persona-name", Input).value,
            "title": self.query_one("#persona-title", Input).value,
            "voice": self.query_one("#persona-voice", TextArea).text,
            "listens": self.query_one("#persona-listens", TextArea).text,
            "avoids": self.query_one("#persona-avoids", TextArea).text,
            "language": self.query_one("#persona-language", Input).value,
            "repertoire": self.query_one("#persona-repertoire", TextArea).text,
        }

    # actions ----------------------------------------------------------------------------

    @on(OptionList.OptionHighlighted, "#persona-list")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        persona = self.known.get(str(event.option.id))
        if persona is not None and persona != self.shown:
            self.show_persona(persona)
            self.message(f"{persona.label}: "
                         + ("a built-in persona; Save keeps an edited copy as your own."
                            if persona.builtin else f"your own file, {persona.source}."))

    @on(Button.Pressed, "#persona-save")
    def action_save(self) -> None:
        try:
            saved = personas.save_user_persona(self.folder, self.fields(), self.known)
        except CompanionError as exc:
            self.message(str(exc), error=True)
            return
        self.reload(select=saved.name)
        self.shown = saved
        self.message(f"Saved {saved.label} to {saved.source}. Use this persona to let it "
                     "speak.")

    @on(Button.Pressed, "#persona-use")
    def action_use(self) -> None:
        """Make the persona chosen in the list (or just saved) the one that speaks."""
        persona = self.shown
        if persona is None or self.vault is None:
            self.message("Choose a persona in the list first.", error=True)
            return
        chosen = choices(self._settings(), self._profile())
        if "persona" in chosen.from_settings:
            self.message(f"Your config.toml sets persona_name = {chosen.persona!r}, and that "
                         f"setting wins; change or remove it there to use {persona.label}.",
                         error=True)
            return
        if chosen.persona == persona.name:
            self.message(f"{persona.label} is already the one that speaks.")
            return
        save_profile(self.vault, {**self._profile(), "persona": persona.name})
        self._show_current()
        text = (f"From your next start, {persona.label} speaks. Replies may sound different "
                "from before: the companion's character comes from the model and its "
                "persona together, so this is a deliberate change, like choosing a new model.")
        self.message(text)
        self.app.notify(text, timeout=10, markup=False)

    @on(Button.Pressed, "#persona-close")
    def action_close(self) -> None:
        self.dismiss(None)

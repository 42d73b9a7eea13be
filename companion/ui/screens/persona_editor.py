"""Persona: choose who the companion is, or shape a copy as your own TOML file.

The list shows the built-in personas and the person's own (`<config>/personas/`).
Choosing one fills the form with a copy; Save writes it as the person's own file,
through the same checks (and the same error sentences) as a file read from disk.
"Use this persona" records the choice in the vault profile. The system text then
changes, and with it the pin's persona hash: the person is told, in plain words, that
replies may sound different, and the change applies from the next start so a session
keeps one voice. The screen's words are `[persona]` in the catalogues; the persona
texts themselves are the person's (or the built-in files') and are shown as written.
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
from companion.i18n import t
from companion.ui.binding_words import Worded


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
                yield Static(t("persona.intro"), id="persona-intro", markup=False)
                yield OptionList(id="persona-list")
                yield Static("", id="persona-current", markup=False)
            with VerticalScroll(id="persona-form"):
                yield Label(t("persona.name"))
                yield Input(id="persona-name", max_length=40)
                yield Label(t("persona.title"))
                yield Input(id="persona-title", max_length=80)
                yield Label(t("persona.voice"))
                yield TextArea(id="persona-voice", soft_wrap=True, classes="persona-text")
                yield Label(t("persona.listens"))
                yield TextArea(id="persona-listens", soft_wrap=True, classes="persona-text")
                yield Label(t("persona.avoids"))
                yield TextArea(id="persona-avoids", soft_wrap=True, classes="persona-text")
                yield Label(t("persona.language"))
                yield Input(id="persona-language", max_length=3)
                yield Label(t("persona.repertoire"))
                yield TextArea(id="persona-repertoire", soft_wrap=True, classes="persona-text")
                with Horizontal(id="persona-buttons"):
                    yield Button(t("persona.save"), id="persona-save", variant="primary")
                    yield Button(t("persona.use"), id="persona-use")
                    yield Button(t("persona.close"), id="persona-close")
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
            whose = "persona.option_builtin" if persona.builtin else "persona.option_yours"
            options.add_option(Option(t(whose, label=persona.label, name=persona.name),
                                      id=persona.name))
        if select is not None and select in self.known.personas:
            options.highlighted = self.known.names().index(select)
        self._show_current()
        if self.known.problems:
            self.message("\n".join(self.known.problems), error=True)

    def _show_current(self) -> None:
        chosen = choices(self._settings(), self._profile())
        current, problem = resolve_persona(self._settings(), self._profile(), self.known)
        text = (t("persona.speaking", label=current.label) if current
                else t("persona.speaking_default"))
        if "persona" in chosen.from_settings:
            text = t("persona.speaking_config", speaking=text, value=repr(chosen.persona))
        self.query_one("#persona-current", Static).update(text + (f"\n{problem}" if problem
                                                                  else ""))

    def show_persona(self, persona: personas.Persona) -> None:
        """Fill the form with an editable copy (a built-in one gets a name of its own)."""
        self.shown = persona
        name = f"{persona.name}-mine" if persona.builtin else persona.name
        self.query_one("#persona-name", Input).value = name[:40]
        self.query_one("#persona-title", Input).value = (
            t("persona.mine", label=persona.label) if persona.builtin else persona.title)
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
            self.message(t("persona.about_builtin", label=persona.label) if persona.builtin
                         else t("persona.about_yours", label=persona.label,
                                source=persona.source))

    @on(Button.Pressed, "#persona-save")
    def action_save(self) -> None:
        try:
            saved = personas.save_user_persona(self.folder, self.fields(), self.known)
        except CompanionError as exc:
            self.message(str(exc), error=True)
            return
        self.reload(select=saved.name)
        self.shown = saved
        self.message(t("persona.saved", label=saved.label, source=saved.source))

    @on(Button.Pressed, "#persona-use")
    def action_use(self) -> None:
        """Make the persona chosen in the list (or just saved) the one that speaks."""
        persona = self.shown
        if persona is None or self.vault is None:
            self.message(t("persona.choose_first"), error=True)
            return
        chosen = choices(self._settings(), self._profile())
        if "persona" in chosen.from_settings:
            self.message(t("persona.config_wins", value=repr(chosen.persona),
                           label=persona.label), error=True)
            return
        if chosen.persona == persona.name:
            self.message(t("persona.already", label=persona.label))
            return
        save_profile(self.vault, {**self._profile(), "persona": persona.name})
        self._show_current()
        text = t("persona.changed", label=persona.label)
        self.message(text)
        self.app.notify(text, timeout=10, markup=False)

    @on(Button.Pressed, "#persona-close")
    def action_close(self) -> None:
        self.dismiss(None)

"""First run: what companion is and is not, then a few optional questions.

Shown once, right after a vault is opened for the first time through the passphrase
screen (a start with --passphrase-file is a script's, and skips it). Everything is
optional and Esc skips the lot; either way the vault records that it was shown. The
answers go into the vault profile (see `companion.care.profile` for how they weigh
against config.toml). "About you" in the command palette opens it again later.
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, Select, Static

from companion.care import personas
from companion.care.persona import LANGUAGES
from companion.care.profile import (
    MAX_COUNTRY,
    MAX_NAME,
    choices,
    mark_onboarding,
    read_profile,
    save_profile,
)
from companion.config import Settings
from companion.ui import i18n
from companion.ui.i18n import t
from companion.ui.screens.limits import what_it_is

STYLES = (
    ("Short and gentle", "short and gentle"),
    ("Mostly listen; few questions", "mostly listen, with few questions"),
    ("Warm, and ask me questions", "warm, and ask me questions"),
    ("Direct and practical", "direct and practical"),
)
APP_LANGUAGE = ("Language of the app · Idioma · Idioma do app · Langue · Sprache · भाषा · "
                "언어 · 语言 · Язык")
"""Asked first, in every language it offers, so a person who reads no English finds it."""
WELCOME = ("Before you start: what companion is and is not, and a few questions. Every "
           "answer is optional and stays in your encrypted vault; Esc skips.")


def language_options() -> list[tuple[str, str]]:
    return [(f"{english}" if english == native else f"{english} · {native}", code)
            for code, (english, native) in sorted(LANGUAGES.items(), key=lambda i: i[1][0])]


def _select_value(select: Select[str]) -> str:
    return "" if select.is_blank() else str(select.value)


class OnboardingScreen(Screen[dict[str, str] | None]):
    """Dismisses with the saved profile, or None when skipped or closed."""

    BINDINGS = [
        Binding("escape", "skip", "Skip", id="skip_onboarding"),
        Binding("ctrl+s", "save", "Save", id="save_onboarding", priority=True),
    ]

    def __init__(self, vault: Any, settings: Settings, *, again: bool = False) -> None:
        super().__init__()
        self.vault = vault
        self.settings = settings
        self.again = again
        """Opened from the palette: Esc only closes, and nothing is marked."""

    def compose(self) -> ComposeResult:
        profile = read_profile(self.vault)
        known = personas.load_current()
        with VerticalScroll(id="onboarding-box"):
            yield Label(APP_LANGUAGE, id="onboarding-ui-language-label")
            yield Select([(i18n.name_of(code), code) for code in i18n.codes()],
                         id="onboarding-ui-language", allow_blank=False, value=i18n.current())
            yield Label("About you" if self.again else "Welcome to companion",
                        id="onboarding-title")
            if not self.again:
                yield Static(WELCOME, id="onboarding-welcome", markup=False)
                engine = getattr(getattr(self.app, "settings", None), "engine", "")
                yield Static(what_it_is(engine) + "\n\n" + t("limits.again_hint"),
                             id="onboarding-limits", markup=False)
            yield Label("What should it call you? (optional)")
            yield Input(profile.get("name", ""), id="onboarding-name", max_length=MAX_NAME,
                        placeholder="a name or nickname")
            yield Label("Which language should it answer in?")
            language = profile.get("language", "")
            yield Select(language_options(), id="onboarding-language",
                         prompt="The language I write in",
                         value=language if language in LANGUAGES else Select.NULL)
            yield Label("Your country or region (optional; so suggestions fit where you live)")
            yield Input(profile.get("country", ""), id="onboarding-country",
                        max_length=MAX_COUNTRY, placeholder="a code such as BR, IN, NG, or a name")
            yield Label("How do you like replies?")
            style = profile.get("style", "")
            yield Select(STYLES, id="onboarding-style", prompt="No preference",
                         value=style if style in {v for _, v in STYLES} else Select.NULL)
            options = [(f"{p.label} ({p.name})", p.name) for p in known.personas.values()]
            if options:
                yield Label("Who should it be? (you can change this later: Persona)")
                chosen = profile.get("persona", personas.DEFAULT_PERSONA)
                yield Select(options, id="onboarding-persona", allow_blank=False,
                             value=chosen if known.get(chosen) else options[0][1])
            wins = choices(self.settings).from_settings
            if wins:
                yield Static("Your config.toml sets " + ", ".join(wins) + "; those settings "
                             "win over what you choose here.", id="onboarding-config",
                             markup=False)
            with Horizontal(id="onboarding-buttons"):
                yield Button("Save" if self.again else "Save and start", id="onboarding-save",
                             variant="primary")
                yield Button("Close" if self.again else "Skip", id="onboarding-skip")
            yield Static("", id="onboarding-message", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#onboarding-ui-language", Select).focus()

    @on(Select.Changed, "#onboarding-ui-language")
    def _app_language(self, event: Select.Changed) -> None:
        """The app's words switch at once; what is translated so far shows it here."""
        i18n.use(str(event.value))
        if not self.again:
            engine = getattr(getattr(self.app, "settings", None), "engine", "")
            self.query_one("#onboarding-limits", Static).update(
                what_it_is(engine) + "\n\n" + t("limits.again_hint"))

    def _profile(self) -> dict[str, str]:
        return {
            "name": self.query_one("#onboarding-name", Input).value,
            "language": _select_value(self.query_one("#onboarding-language", Select)),
            "country": self.query_one("#onboarding-country", Input).value,
            "style": _select_value(self.query_one("#onboarding-style", Select)),
            "persona": "".join(_select_value(select) for select
                               in self.query("#onboarding-persona").results(Select)),
            "ui_language": _select_value(self.query_one("#onboarding-ui-language", Select)),
        }

    @on(Input.Submitted)
    def _next(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    @on(Button.Pressed, "#onboarding-save")
    def action_save(self) -> None:
        before = read_profile(self.vault)
        saved = save_profile(self.vault, {**before, **self._profile()},
                             onboarding=None if self.again else "done")
        if self.again and saved != before:
            self.app.notify("Saved. Your choices apply from your next start; replies may "
                            "sound a little different then.", timeout=8)
        self.dismiss(saved)

    @on(Button.Pressed, "#onboarding-skip")
    def action_skip(self) -> None:
        if not self.again:
            mark_onboarding(self.vault, "skipped")
        self.dismiss(None)

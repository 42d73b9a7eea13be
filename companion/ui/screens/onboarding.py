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

from companion import i18n
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
from companion.i18n import t
from companion.ui.binding_words import Worded
from companion.ui.screens.limits import what_it_is

STYLES = (
    ("onboarding.style_short", "short and gentle"),
    ("onboarding.style_listen", "mostly listen, with few questions"),
    ("onboarding.style_warm", "warm, and ask me questions"),
    ("onboarding.style_direct", "direct and practical"),
)
"""Catalogue key of each label, and the value stored: English, for the system prompt."""
APP_LANGUAGE = ("Language of the app · Idioma · Idioma do app · Langue · Sprache\n"
                "Язык · 언어 · 语言 · भाषा")
"""Asked first, in every language it offers, so a person who reads no English finds it;
two short lines, so a narrow window cuts none of them off (Devanagari last: terminals
disagree on its width)."""


def language_options() -> list[tuple[str, str]]:
    return [(f"{english}" if english == native else f"{english} · {native}", code)
            for code, (english, native) in sorted(LANGUAGES.items(), key=lambda i: i[1][0])]


def _styles() -> list[tuple[str, str]]:
    return [(t(key), value) for key, value in STYLES]


def _select_value(select: Select[str]) -> str:
    return "" if select.is_blank() else str(select.value)


class OnboardingScreen(Worded, Screen[dict[str, str] | None]):
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
        """Every widget is made with its words, so the first frame already shows them."""
        profile = read_profile(self.vault)
        known = personas.load_current()
        say = self._texts()
        with VerticalScroll(id="onboarding-box"):
            yield Label(APP_LANGUAGE, id="onboarding-ui-language-label")
            yield Select([(i18n.name_of(code), code) for code in i18n.codes()],
                         id="onboarding-ui-language", allow_blank=False, value=i18n.current())
            yield Label(say["#onboarding-title"], id="onboarding-title")
            if not self.again:
                yield Static(say["#onboarding-welcome"], id="onboarding-welcome", markup=False)
                yield Static(say["#onboarding-limits"], id="onboarding-limits", markup=False)
            yield Label(say["#onboarding-name-label"], id="onboarding-name-label")
            yield Input(profile.get("name", ""), id="onboarding-name", max_length=MAX_NAME,
                        placeholder=t("onboarding.name_placeholder"))
            yield Label(say["#onboarding-language-label"], id="onboarding-language-label")
            language = profile.get("language", "")
            yield Select(language_options(), id="onboarding-language",
                         prompt=t("onboarding.language_prompt"),
                         value=language if language in LANGUAGES else Select.NULL)
            yield Label(say["#onboarding-country-label"], id="onboarding-country-label")
            yield Input(profile.get("country", ""), id="onboarding-country",
                        max_length=MAX_COUNTRY, placeholder=t("onboarding.country_placeholder"))
            yield Label(say["#onboarding-style-label"], id="onboarding-style-label")
            style = profile.get("style", "")
            yield Select(_styles(), id="onboarding-style", prompt=t("onboarding.style_prompt"),
                         value=style if style in {v for _, v in STYLES} else Select.NULL)
            options = [(f"{p.label} ({p.name})", p.name) for p in known.personas.values()]
            if options:
                yield Label(say["#onboarding-persona-label"], id="onboarding-persona-label")
                chosen = profile.get("persona", personas.DEFAULT_PERSONA)
                yield Select(options, id="onboarding-persona", allow_blank=False,
                             value=chosen if known.get(chosen) else options[0][1])
            if choices(self.settings).from_settings:
                yield Static(say["#onboarding-config"], id="onboarding-config", markup=False)
            with Horizontal(id="onboarding-buttons"):
                yield Button(say["#onboarding-save"], id="onboarding-save", variant="primary")
                yield Button(say["#onboarding-skip"], id="onboarding-skip")
            yield Static("", id="onboarding-message", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        for first in self.query("#onboarding-ui-language").results(Select):
            first.focus()

    def _texts(self) -> dict[str, str]:
        """The words of each labelled widget, by selector, in the app's language now."""
        again = self.again
        engine = getattr(getattr(self.app, "settings", None), "engine", "")
        wins = ", ".join(choices(self.settings).from_settings)
        return {
            "#onboarding-title": t("onboarding.title_again" if again else "onboarding.title"),
            "#onboarding-welcome": t("onboarding.welcome"),
            "#onboarding-limits": what_it_is(engine) + "\n\n" + t("limits.again_hint"),
            "#onboarding-config": t("onboarding.config", settings=wins),
            **{f"#onboarding-{name}-label": t(f"onboarding.{name}", command=t("palette.persona"))
               for name in ("name", "language", "country", "style", "persona")},
            "#onboarding-save": t("onboarding.save" if again else "onboarding.save_start"),
            "#onboarding-skip": t("onboarding.close" if again else "onboarding.skip"),
        }

    def _words(self) -> None:
        """After a change of language, every text here again. Each widget is looked up with
        `query`, so one already gone (the app quitting) is skipped, not an error."""
        for selector, text in self._texts().items():
            for widget in self.query(selector).results():
                if isinstance(widget, Button):
                    widget.label = text
                elif isinstance(widget, Static):
                    widget.update(text)
        for selector, key in (("#onboarding-name", "name_placeholder"),
                              ("#onboarding-country", "country_placeholder")):
            for field in self.query(selector).results(Input):
                field.placeholder = t(f"onboarding.{key}")
        for language in self.query("#onboarding-language").results(Select):
            language.prompt = t("onboarding.language_prompt")
        for style in self.query("#onboarding-style").results(Select):
            style.prompt = t("onboarding.style_prompt")
            chosen = style.value
            style.set_options(_styles())
            style.value = chosen

    @on(Select.Changed, "#onboarding-ui-language")
    def _app_language(self, event: Select.Changed) -> None:
        """The app's words switch at once; what is translated so far shows it here."""
        if str(event.value) == i18n.current():
            return  # the list's first value, as it is mounted
        i18n.use(str(event.value))
        self._words()
        self.app.refresh_bindings()  # the footer's key hints too (ui/binding_words.py)

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
            self.app.notify(t("onboarding.saved"), timeout=8)
        self.dismiss(saved)

    @on(Button.Pressed, "#onboarding-skip")
    def action_skip(self) -> None:
        if not self.again:
            mark_onboarding(self.vault, "skipped")
        self.dismiss(None)

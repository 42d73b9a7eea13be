"""What companion is and is not, where its files are, and how to delete them (F1).

The same plain sentences open onboarding; this page stays one key away afterwards.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from companion.i18n import t
from companion.ui.binding_words import Worded


def what_it_is(engine_url: str = "") -> str:
    """What companion is and is not; the first promise made true when replies come from
    the person's own server."""
    first = t("limits.server", engine=engine_url) if engine_url else t("limits.local")
    bullets = [first, *(t(f"limits.{k}") for k in ("therapist", "wrong", "delete", "danger"))]
    return t("limits.heading") + "\n\n" + "\n".join(bullets)


def where_and_how(paths: Any) -> str:
    """Where the files are and how to delete them, with this computer's real folders; the
    commands it names are called as the palette and the memories screen call them."""
    where = [t("limits.where_vault", vault=paths.vault_db, key_file=paths.vault_key),
             t("limits.where_settings", config=paths.config),
             t("limits.where_models", models=paths.models),
             t("limits.where_log", log=paths.log_file)]
    how = [t("limits.how_conversation", command=t("palette.delete_conversation")),
           t("limits.how_memory", memories=t("palette.memories"),
             forget=t("keys.memory_forget")),
           t("limits.how_everything"), t("limits.how_nothing")]
    return "\n\n".join((t("limits.where_title"), "\n".join(where), t("limits.how_title"),
                        "\n".join(how)))


class LimitsScreen(Worded, Screen[None]):
    """A page to read; Esc or F1 goes back to where the person was."""

    BINDINGS = [
        Binding("escape", "close", "Back", id="close_limits"),
        Binding("f1", "close", "Back", id="limits_back", show=False),
    ]

    def compose(self) -> ComposeResult:
        paths = getattr(self.app, "paths", None)
        with VerticalScroll(id="limits-box"):
            settings = getattr(self.app, "settings", None)
            yield Static(what_it_is(getattr(settings, "engine", "")), id="limits-what",
                         markup=False)
            if paths is not None:
                yield Static(where_and_how(paths), id="limits-where", markup=False)
            yield Static(t("limits.hint"), id="limits-hint", markup=False)
        yield Footer()

    def action_close(self) -> None:
        self.dismiss(None)

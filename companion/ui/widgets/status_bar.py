"""The line under the conversation: the mode, which model, which exact file, how fast."""

from __future__ import annotations

from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Static

from companion.domain import ModelInfo
from companion.i18n import t


class StatusBar(Static):
    mode_text: reactive[str] = reactive("")
    model_text: reactive[str] = reactive("")  # empty: "No model loaded", in the language
    speed_text: reactive[str] = reactive("")

    def render(self) -> Content:
        # Content(...) is plain text: a rehearsal role or voice name is never markup.
        parts = [f"{self.mode_text} (F6)"] if self.mode_text else []
        parts.append(self.model_text or t("widgets.no_model"))
        if self.speed_text:
            parts.append(self.speed_text)
        return Content("  ·  ".join(parts))

    def show_mode(self, text: str) -> None:
        """The conversation's mode: "Listen", "Room: …", "Exercise: … step 2 of 5"."""
        self.mode_text = text

    def show_model(self, model: ModelInfo, *, elsewhere: bool = False) -> None:
        """The exact file, or for the person's own server its address, and whether it is
        another machine (the prompt then crosses their network)."""
        if model.engine_url:
            where = t("widgets.elsewhere" if elsewhere else "widgets.here")
            self.model_text = t("widgets.engine", name=model.name, url=model.engine_url,
                                where=where)
        else:
            self.model_text = f"{model.name}  sha256 {model.sha256[:12]}"

    def show_problem(self, text: str) -> None:
        self.model_text = text

    def show_speed(self, tokens_per_second: float) -> None:
        self.speed_text = f"{tokens_per_second:.1f} tok/s" if tokens_per_second else ""


def elsewhere(engine: object) -> bool:
    """Whether the engine is the person's server on another machine of their network."""
    endpoint = getattr(engine, "endpoint", None)
    return endpoint is not None and not endpoint.on_this_computer

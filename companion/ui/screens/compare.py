"""Try a model before choosing it: the pinned answers and the candidate's, side by side.

Changing the model changes the companion's character, so the person sees how each
would answer their own recent messages (same seed, same parameters) before moving
the pin. Nothing here is saved; the screen only answers "use it" or "keep mine".
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Label, LoadingIndicator, Static

from companion.errors import CompanionError
from companion.i18n import t
from companion.logs import log_unexpected
from companion.ui.binding_words import Worded
from companion.ui.widgets.jobs import from_thread

if TYPE_CHECKING:
    from companion.models.compare import Comparison


class CompareScreen(Worded, Screen[bool]):
    """Dismisses with True for "Use this model", False for "Keep the current one"."""

    BINDINGS = [
        Binding("escape", "keep", "Keep the current one", id="compare_keep"),
        Binding("ctrl+u", "use", "Use this model", id="compare_use"),
    ]

    def __init__(self, candidate_id: str, last: int = 3) -> None:
        super().__init__()
        self.candidate_id = candidate_id
        self.last = last
        self.result: Comparison | None = None
        self._cancel = threading.Event()

    def compose(self) -> ComposeResult:
        yield Label(t("compare.title", model=self.candidate_id), id="compare-title", markup=False)
        yield Static(t("compare.getting_ready"), id="compare-step", markup=False)
        yield LoadingIndicator(id="compare-loading")
        with Horizontal(id="compare-columns"):
            with VerticalScroll(id="compare-pinned", classes="compare-column"):
                yield Label(t("compare.pinned_model"), classes="compare-heading")
            with VerticalScroll(id="compare-candidate", classes="compare-column"):
                yield Label(self.candidate_id, classes="compare-heading")
        with Vertical(id="compare-buttons"), Horizontal(classes="dialog-buttons"):
            yield Button(t("compare.use"), id="compare-use", variant="primary", disabled=True)
            yield Button(t("compare.keep"), id="compare-keep")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#compare-keep", Button).focus()
        self._replay(self.app)

    @work(thread=True, exclusive=True, group="compare")
    def _replay(self, app: Any) -> None:
        from companion.conversation.pinned_model import replay

        try:
            result = replay(app.paths, app.vault, app.settings, self.candidate_id,
                            last=self.last, cancel=self._cancel,
                            step=lambda text: from_thread(app, self, self._step, text))
        except CompanionError as exc:
            from_thread(app, self, self._failed, str(exc))
            return
        except Exception as exc:
            log_unexpected(exc)
            from_thread(app, self, self._failed,
                        t("compare.failed", error=type(exc).__name__))
            return
        from_thread(app, self, self._show, result)

    def _step(self, text: str) -> None:
        self.query_one("#compare-step", Static).update(text)

    def _failed(self, text: str) -> None:
        self.query_one("#compare-loading").display = False
        step = self.query_one("#compare-step", Static)
        step.update(text)
        step.add_class("error")

    async def _show(self, result: Comparison) -> None:
        self.result = result
        self.query_one("#compare-loading").display = False
        self.query_one("#compare-step", Static).update(
            t("compare.summary", count=len(result.pairs), seed=result.seed))
        columns = (
            ("#compare-pinned",
             t("compare.pinned", model=result.pin.model_id, hash=result.pin.short_hash),
             [pair.pinned for pair in result.pairs]),
            ("#compare-candidate",
             t("compare.candidate", model=result.candidate_id,
               hash=result.candidate_sha256[:12]),
             [pair.candidate for pair in result.pairs]),
        )
        for selector, heading, answers in columns:
            column = self.query_one(selector, VerticalScroll)
            column.query_one(".compare-heading", Label).update(heading)
            widgets: list[Static] = []
            for pair, answer in zip(result.pairs, answers, strict=True):
                widgets.append(Static(pair.user_text, classes="compare-user", markup=False))
                widgets.append(Static(answer or t("compare.no_words"), classes="compare-answer",
                                      markup=False))
            await column.mount_all(widgets)
        self.query_one("#compare-use", Button).disabled = False

    @on(Button.Pressed, "#compare-use")
    def action_use(self) -> None:
        if self.result is not None:
            self.dismiss(True)

    @on(Button.Pressed, "#compare-keep")
    def action_keep(self) -> None:
        self._cancel.set()
        self.dismiss(False)

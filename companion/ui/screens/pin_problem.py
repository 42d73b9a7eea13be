"""The pinned model's file is missing or changed: say so, and offer the ways forward.

The companion never switches to another model on its own (people felt their companion
"changed" after silent updates), so instead of loading something else this screen
explains what happened and lets the person choose: restore the exact pinned file,
choose another model deliberately, or keep writing without replies for now.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from companion.i18n import t
from companion.ui.binding_words import Worded
from companion.ui.widgets.jobs import JobProgress, ModelJobs, download_reporter

if TYPE_CHECKING:
    from companion.models.pin import Pin
    from companion.models.registry import RegistryEntry


class PinProblemScreen(Worded, ModelJobs, ModalScreen[None]):
    """Shown instead of loading a model when `pinning.load` raises PinMismatch."""

    BINDINGS = [Binding("escape", "keep", "Keep writing", id="pin_keep")]

    def __init__(self, text: str, pin: Pin | None, *, engine: bool = False) -> None:
        super().__init__()
        self.text = text
        self.pin = pin
        self.engine = engine
        """The model on the person's own server changed: Restore becomes Accept."""
        self._checking = False

    def compose(self) -> ComposeResult:
        with Vertical(id="pin-box"):
            yield Label(t("pin.title_engine") if self.engine else t("pin.title"),
                        id="pin-title")
            yield Static(self.text, id="pin-text", markup=False)
            yield Static(t("pin.hint"), id="pin-hint", markup=False)
            yield JobProgress(id="pin-progress")
            yield Static("", id="pin-message", markup=False)
            with Horizontal(classes="dialog-buttons"):
                if self.engine:
                    yield Button(t("pin.accept"), id="pin-accept", variant="primary")
                else:
                    yield Button(t("pin.restore"), id="pin-restore", variant="primary")
                yield Button(t("pin.choose_here") if self.engine else t("pin.choose"),
                             id="pin-choose")
                yield Button(t("pin.keep"), id="pin-keep")

    def on_mount(self) -> None:
        self.query_one("#pin-accept" if self.engine else "#pin-restore", Button).focus()

    def say(self, text: str, *, error: bool = False) -> None:
        message = self.query_one("#pin-message", Static)
        message.update(text)
        message.set_class(error, "error")

    @property
    def owner(self) -> Any:
        """The CompanionApp, typed loosely: importing it here would make an import cycle."""
        return self.app

    def entry(self) -> RegistryEntry | None:
        """The registry entry that is byte for byte the pinned file, if there is one."""
        from companion.models.pinning import registry_for

        if self.pin is None:
            return None
        found = registry_for(self.owner.paths).find(self.pin.model_id)
        return found if found is not None and found.sha256 == self.pin.model_sha256 else None

    # the three ways forward -----------------------------------------------------------

    @on(Button.Pressed, "#pin-restore")
    def action_restore(self) -> None:
        if self._checking:  # the person copied the file back: look again
            self.dismiss()
            self.owner.reload_model()
            return
        entry = self.entry()
        if entry is None:
            where = self.pin.model_path if self.pin else t("pin.old_place")
            name = (f"{self.pin.model_name} ({self.pin.short_hash})" if self.pin
                    else t("pin.the_model"))
            self.say(t("pin.not_downloadable", name=name, where=where))
            self.query_one("#pin-restore", Button).label = t("pin.check_again")
            self._checking = True
            return
        self._restore(entry)

    def _restore(self, entry: RegistryEntry) -> None:
        from companion.conversation import pinned_model
        from companion.models import install, pinning
        from companion.models.download import DownloadCancelled
        from companion.models.files import sha256_of
        from companion.models.library import Library

        app, pin = self.owner, self.pin
        assert pin is not None
        panel, cancel = self.query_one(JobProgress), threading.Event()
        label = t("pin.downloading", model=entry.id)

        def job() -> str:
            library = Library(app.paths.models)
            dest = library.folder / entry.file
            aside = ""
            if dest.is_file() and sha256_of(dest) != entry.sha256:
                moved = dest.with_name(dest.name + ".changed")
                os.replace(dest, moved)
                aside = t("pin.moved_aside", path=moved)
            try:
                model = install.install(library, entry, pinning.registry_for(app.paths),
                                        mirror=app.settings.mirror, cancel=cancel,
                                        progress=download_reporter(app, panel, label))
            except DownloadCancelled:
                raise DownloadCancelled(t("pin.stopped", model=entry.id)) from None
            if Path(model.path) != Path(pin.model_path):  # same bytes, another place
                pinned_model.use(app.paths, app.vault, app.settings, entry.id)
            return t("pin.restored", model=entry.id, hash=model.short_hash, aside=aside)

        if self.start_job(label, job, cancel=cancel, after=app.reload_model):
            self.query_one("#pin-restore", Button).disabled = True

    def job_done(self) -> None:
        self.query_one("#pin-accept" if self.engine else "#pin-restore", Button).disabled = False
        if not self.query_one("#pin-message", Static).has_class("error"):
            self.dismiss()

    @on(Button.Pressed, "#pin-accept")
    def action_accept(self) -> None:
        """Pin how the server's model answers now: a deliberate choice, never automatic."""
        from companion.conversation import pinned_model

        app = self.owner

        def job() -> str:
            pin, _before = pinned_model.accept_engine(app.vault, app.settings)
            return t("pin.accepted", model=pin.model_name, hash=pin.short_hash)

        if self.start_job(t("pin.asking"), job, after=app.reload_model):
            self.query_one("#pin-accept", Button).disabled = True

    @on(Button.Pressed, "#pin-choose")
    def action_choose(self) -> None:
        from companion.ui.screens.models import ModelsScreen

        self.cancel_job()
        self.dismiss()
        self.app.push_screen(ModelsScreen())

    @on(Button.Pressed, "#pin-keep")
    def action_keep(self) -> None:
        self.cancel_job()
        self.dismiss()

    @on(Button.Pressed, ".job-cancel")
    def _cancel_pressed(self) -> None:
        self.cancel_job()

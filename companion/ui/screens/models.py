"""The Models screen: every model companion knows, and the deliberate ways to change one.

The pin moves only when the person presses Use here (or runs `companion models use`),
so each action says what it did in a sentence. Long jobs (a download, a hash, a model
load) run in thread workers that report progress, so typing never waits; one job runs
at a time, because every job rewrites the same small library manifest.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Button, DataTable, Footer, Input, Label, Static

from companion.errors import ModelError
from companion.models.catalog import Catalog, Row
from companion.models.progress import human_bytes
from companion.models.speed import COMFORTABLE_TOKENS_PER_S, rough
from companion.ui.binding_words import Worded
from companion.ui.widgets.jobs import Confirm, JobProgress, ModelJobs, download_reporter

if TYPE_CHECKING:
    from companion.models.pin import Pin

COLUMNS = ("id", "name", "status", "size", "memory", "speed", "languages", "licence")
ACTIONS = (("install", "Install"), ("import", "Import"), ("verify", "Verify"), ("use", "Use"),
           ("rollback", "Rollback"), ("try", "Try"), ("remove", "Remove"))


def status_of(row: Row, pin: Pin | None) -> str:
    if pin is not None and row.id == pin.model_id and row.sha256 != pin.model_sha256:
        return "pinned, file changed"  # the pin check found other bytes under this id
    state = "pinned" if row.pinned else "installed" if row.installed else "not installed"
    return state if row.verified else f"{state}, unverified"


def cells(row: Row, pin: Pin | None) -> tuple[str, ...]:
    memory = "fits" if row.fits else f"needs {row.ram:g} GB"
    name = f"★ {row.name}" if row.recommended else row.name
    shown = " ".join(row.languages[:6]) or "—"  # some list 20+; keep the licence in view
    more = f" +{len(row.languages) - 6}" if len(row.languages) > 6 else ""
    speed = f"{rough(row.est_tokens_per_s)} tok/s"
    return (row.id, name, status_of(row, pin), human_bytes(row.size), memory, speed,
            shown + more, row.licence)


class ModelsScreen(Worded, ModelJobs, Screen[None]):
    """The catalog as a table; actions apply to the selected row."""

    BINDINGS = [
        Binding("escape", "close", "Close", id="close_models"),
        Binding("i", "install", "Install", id="install_model"),
        Binding("f", "import", "Import", id="import_model"),
        Binding("v", "verify", "Verify", id="verify_model"),
        Binding("u", "use", "Use", id="use_model"),
        Binding("r", "rollback", "Rollback", id="rollback_model"),
        Binding("t", "try", "Try", id="try_model"),
        Binding("d", "remove", "Remove", id="remove_model"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, Row] = {}
        self._cancel: threading.Event | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="models-memory", markup=False)
        yield DataTable(id="models-table", cursor_type="row", zebra_stripes=True)
        with Horizontal(id="models-actions"):
            for name, label in ACTIONS:
                yield Button(label, id=f"models-{name}", name=name)
        with Horizontal(id="import-row"):
            yield Label("Import a file:")
            yield Input(placeholder="path to a .gguf file (from a USB stick, say); Enter copies it",
                        id="import-path")
        yield JobProgress(id="models-progress")
        yield Static("", id="models-message", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns(*COLUMNS)
        self.refresh_table()
        self.query_one(DataTable).focus()

    # the table ----------------------------------------------------------------------

    def refresh_table(self) -> None:
        """Re-read the registry and the library; cheap (a TOML, a small JSON file, and the
        machine's memory speed, measured once per machine and cached)."""
        from companion.models.catalog import catalog
        from companion.models.library import Library
        from companion.models.pinning import current_pin, registry_for

        app = self.owner
        view: Catalog = catalog(registry_for(app.paths), Library(app.paths.models),
                                app.settings.language, cache_dir=app.paths.cache)
        pin = current_pin(app.vault) if app.vault is not None else None
        table = self.query_one(DataTable)
        keep = self.selected.id if self.rows and self.selected else None
        table.clear()
        self.rows = {row.id: row for row in view.rows}
        for row in view.rows:
            table.add_row(*cells(row, pin), key=row.id)
        if keep in self.rows:
            table.move_cursor(row=table.get_row_index(keep))
        self.query_one("#models-memory", Static).update(
            f"This computer has {view.memory_gb:.1f} GB of memory and {view.machine.cores} "
            f"cores. ★ marks the model recommended for it: the largest that answers at "
            f"{COMFORTABLE_TOKENS_PER_S:g} tokens/s or more here (language: {view.language}).")

    @property
    def owner(self) -> Any:
        """The CompanionApp, typed loosely: importing it here would make an import cycle."""
        return self.app

    @property
    def selected(self) -> Row | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.rows.get(str(key))

    def say(self, text: str, *, error: bool = False) -> None:
        message = self.query_one("#models-message", Static)
        message.update(text)
        message.set_class(error, "error")

    def job_done(self) -> None:
        self.refresh_table()

    def _replying(self) -> bool:
        return any(getattr(s, "replying", False) for s in self.app.screen_stack)

    # actions ------------------------------------------------------------------------

    @on(Button.Pressed, "#models-actions Button")
    async def _button(self, event: Button.Pressed) -> None:
        await self.run_action(str(event.button.name))

    @on(Button.Pressed, ".job-cancel")
    def action_cancel(self) -> None:
        self.cancel_job()

    def action_close(self) -> None:
        if self._cancel is not None:
            self._cancel.set()
            self.app.notify("The download was stopped; what arrived is kept, and Install "
                            "resumes it.", timeout=8)
        self.dismiss()

    def _pick(self, *, installed: bool) -> Row | None:
        row = self.selected
        if row is not None and installed and not row.installed:
            self.say(f"{row.id} is not on this computer yet; press Install first.", error=True)
            return None
        return row

    def action_install(self) -> None:
        from companion.models import install
        from companion.models.download import DownloadCancelled
        from companion.models.library import Library
        from companion.models.pinning import registry_for

        row, app = self.selected, self.owner
        registry = registry_for(app.paths)
        entry = registry.find(row.id) if row else None
        if row is None or entry is None:
            self.say("Only models from the registry can be installed; import other files.",
                     error=True)
            return
        if row.installed:
            self.say(f"{row.id} is already installed; Verify re-checks it.")
            return
        cancel, panel = threading.Event(), self.query_one(JobProgress)
        label = f"Downloading {entry.id}"

        def job() -> str:
            try:
                model = install.install(
                    Library(app.paths.models), entry, registry,
                    mirror=app.settings.mirror, cancel=cancel,
                    progress=download_reporter(app, panel, label))
            except DownloadCancelled:
                raise DownloadCancelled(f"The download of {entry.id} was stopped; what arrived "
                                        "is kept, and Install resumes it.") from None
            return f"Installed {model.id} ({model.short_hash}, verified). Use pins it."

        self.start_job(label, job, cancel=cancel)

    @on(Input.Submitted, "#import-path")
    def action_import(self) -> None:
        from companion.models import install
        from companion.models.library import Library
        from companion.models.pinning import registry_for

        box, app = self.query_one("#import-path", Input), self.owner
        if not box.value.strip():
            box.focus()
            self.say("Type the path of a .gguf file, then press Enter.")
            return
        source = Path(box.value.strip()).expanduser()
        size = source.stat().st_size if source.is_file() else 0
        report = self.hash_progress(f"Copying {source.name}", size)

        def job() -> str:
            model = install.import_file(Library(app.paths.models), source,
                                        registry_for(app.paths), progress=report)
            mark = ("its sha256 matches the registry, so it is verified" if model.verified
                    else f"unverified: sha256 {model.short_hash} is not in the registry")
            return f"Imported {model.id} ({mark}). Try compares it; Use pins it."

        if self.start_job(f"Copying {source.name}", job):
            box.value = ""
            self.query_one(DataTable).focus()

    def action_verify(self) -> None:
        from companion.models import install
        from companion.models.library import Library
        from companion.models.pinning import registry_for, resolve_local

        row, app = self._pick(installed=True), self.owner
        if row is None:
            return
        report = self.hash_progress(f"Checking {row.id}", row.size)

        def job() -> str:
            library, registry = Library(app.paths.models), registry_for(app.paths)
            result = install.verify(library, resolve_local(library, registry, row.id), registry,
                                    report)
            if not result.ok:
                raise ModelError(result.sentence)
            return result.sentence

        self.start_job(f"Checking {row.id}", job)

    def action_use(self, model_id: str | None = None) -> None:
        from companion.conversation import pinned_model

        row = self._pick(installed=True) if model_id is None else self.rows.get(model_id)
        if row is None:
            return
        if row.pinned:
            self.say(f"Your companion is already pinned to {row.id}.")
            return
        if self._replying():
            self.say("A reply is still coming; stop it first (Esc in the chat).", error=True)
            return
        app = self.owner
        report = self.hash_progress(f"Checking and loading {row.id}", row.size)

        def job() -> str:
            pin, before = pinned_model.use(app.paths, app.vault, app.settings, row.id, report)
            back = (f" Rollback returns to {before.model_id} ({before.short_hash})." if before
                    else "")
            return f"Your companion is now pinned to {pin.model_name} ({pin.short_hash}).{back}"

        self.start_job(f"Checking and loading {row.id}", job, after=app.reload_model)

    def action_rollback(self) -> None:
        from companion.models import pinning

        if self._replying():
            self.say("A reply is still coming; stop it first (Esc in the chat).", error=True)
            return
        app = self.owner

        def job() -> str:
            now, left = pinning.rollback(app.paths, app.vault)
            return (f"Your companion is pinned to {now.model_name} ({now.short_hash}) again, "
                    f"instead of {left.model_id}, whose file is kept.")

        self.start_job("Going back to the previous pin", job, after=app.reload_model)

    def action_try(self) -> None:
        from companion.ui.screens.compare import CompareScreen

        row = self._pick(installed=True)
        if row is None:
            return
        if row.pinned:
            self.say(f"{row.id} is the pinned model; choose another one to compare with it.")
            return

        def chosen(use: bool | None) -> None:
            if use:
                self.action_use(row.id)

        self.app.push_screen(CompareScreen(row.id), chosen)

    def action_remove(self) -> None:
        from companion.models import install
        from companion.models.library import Library

        row, app = self._pick(installed=True), self.owner
        library = Library(app.paths.models)
        model = library.get(row.id) if row else None
        if row is None or model is None:
            return
        warning = (" Your companion is pinned to it (now or in its history); without it, "
                   "companion cannot start with that pin until you install it again."
                   if model.sha256 in library.pinned else "")
        question = f"Delete {model.id} ({human_bytes(model.size)})?{warning}"

        def answered(yes: bool | None) -> None:
            if yes:
                self.start_job(f"Removing {model.id}",
                               lambda: install.remove(Library(app.paths.models), model))
            else:
                self.say("Nothing was deleted.")

        self.app.push_screen(Confirm(question, "Delete it", "Keep it"), answered)

    def on_unmount(self) -> None:
        if self._cancel is not None:  # a download must not outlive its screen unseen
            self._cancel.set()

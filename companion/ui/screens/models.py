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
from companion.i18n import t
from companion.models.catalog import Catalog, Row
from companion.models.progress import human_bytes
from companion.models.speed import COMFORTABLE_TOKENS_PER_S, rough
from companion.ui.binding_words import Worded
from companion.ui.widgets.jobs import Confirm, JobProgress, ModelJobs, download_reporter

if TYPE_CHECKING:
    from companion.models.pin import Pin

COLUMNS = ("id", "name", "status", "size", "memory", "speed", "languages", "licence")
"""Column ids (tests find cells by them); the headers are `models.col_<id>` in the catalogue."""
ACTIONS = ("install", "import", "verify", "use", "rollback", "try", "remove")


def status_of(row: Row, pin: Pin | None) -> str:
    if pin is not None and row.id == pin.model_id and row.sha256 != pin.model_sha256:
        return t("models.status_changed")  # the pin check found other bytes under this id
    state = t("models.status_pinned" if row.pinned else "models.status_installed"
              if row.installed else "models.status_not_installed")
    return state if row.verified else t("models.status_unverified", state=state)


def cells(row: Row, pin: Pin | None) -> tuple[str, ...]:
    memory = t("models.fits") if row.fits else t("models.needs", ram=row.ram)
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
            for name in ACTIONS:
                yield Button(t(f"models.btn_{name}"), id=f"models-{name}", name=name)
        with Horizontal(id="import-row"):
            yield Label(t("models.import_label"))
            yield Input(placeholder=t("models.import_placeholder"), id="import-path")
        yield JobProgress(id="models-progress")
        yield Static("", id="models-message", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns(*(t(f"models.col_{c}") for c in COLUMNS))
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
        self.query_one("#models-memory", Static).update(t(
            "models.memory_line", memory=view.memory_gb, cores=view.machine.cores,
            speed=COMFORTABLE_TOKENS_PER_S, language=view.language))

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
            self.app.notify(t("models.download_stopped_kept"), timeout=8)
        self.dismiss()

    def _pick(self, *, installed: bool) -> Row | None:
        row = self.selected
        if row is not None and installed and not row.installed:
            self.say(t("models.not_here", model=row.id), error=True)
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
            self.say(t("models.registry_only"), error=True)
            return
        if row.installed:
            self.say(t("models.already_installed", model=row.id))
            return
        cancel, panel = threading.Event(), self.query_one(JobProgress)
        label = t("models.downloading", model=entry.id)

        def job() -> str:
            try:
                model = install.install(
                    Library(app.paths.models), entry, registry,
                    mirror=app.settings.mirror, cancel=cancel,
                    progress=download_reporter(app, panel, label))
            except DownloadCancelled:
                raise DownloadCancelled(t("models.download_stopped", model=entry.id)) from None
            return t("models.installed", model=model.id, hash=model.short_hash)

        self.start_job(label, job, cancel=cancel)

    @on(Input.Submitted, "#import-path")
    def action_import(self) -> None:
        from companion.models import install
        from companion.models.library import Library
        from companion.models.pinning import registry_for

        box, app = self.query_one("#import-path", Input), self.owner
        if not box.value.strip():
            box.focus()
            self.say(t("models.type_path"))
            return
        source = Path(box.value.strip()).expanduser()
        size = source.stat().st_size if source.is_file() else 0
        copying = t("models.copying", name=source.name)
        report = self.hash_progress(copying, size)

        def job() -> str:
            model = install.import_file(Library(app.paths.models), source,
                                        registry_for(app.paths), progress=report)
            mark = (t("models.import_verified") if model.verified
                    else t("models.import_unverified", hash=model.short_hash))
            return t("models.imported", model=model.id, mark=mark)

        if self.start_job(copying, job):
            box.value = ""
            self.query_one(DataTable).focus()

    def action_verify(self) -> None:
        from companion.models import install
        from companion.models.library import Library
        from companion.models.pinning import registry_for, resolve_local

        row, app = self._pick(installed=True), self.owner
        if row is None:
            return
        checking = t("models.checking", model=row.id)
        report = self.hash_progress(checking, row.size)

        def job() -> str:
            library, registry = Library(app.paths.models), registry_for(app.paths)
            result = install.verify(library, resolve_local(library, registry, row.id), registry,
                                    report)
            if not result.ok:
                raise ModelError(result.sentence)
            return result.sentence

        self.start_job(checking, job)

    def action_use(self, model_id: str | None = None) -> None:
        from companion.conversation import pinned_model

        row = self._pick(installed=True) if model_id is None else self.rows.get(model_id)
        if row is None:
            return
        if row.pinned:
            self.say(t("models.already_pinned", model=row.id))
            return
        if self._replying():
            self.say(t("models.replying"), error=True)
            return
        app = self.owner
        loading = t("models.checking_loading", model=row.id)
        report = self.hash_progress(loading, row.size)

        def job() -> str:
            pin, before = pinned_model.use(app.paths, app.vault, app.settings, row.id, report)
            back = (t("models.rollback_to", model=before.model_id, hash=before.short_hash)
                    if before else "")
            return t("models.now_pinned", model=pin.model_name, hash=pin.short_hash, back=back)

        self.start_job(loading, job, after=app.reload_model)

    def action_rollback(self) -> None:
        from companion.models import pinning

        if self._replying():
            self.say(t("models.replying"), error=True)
            return
        app = self.owner

        def job() -> str:
            now, left = pinning.rollback(app.paths, app.vault)
            return t("models.pinned_again", model=now.model_name, hash=now.short_hash,
                     left=left.model_id)

        self.start_job(t("models.going_back"), job, after=app.reload_model)

    def action_try(self) -> None:
        from companion.ui.screens.compare import CompareScreen

        row = self._pick(installed=True)
        if row is None:
            return
        if row.pinned:
            self.say(t("models.is_pinned", model=row.id))
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
        warning = t("models.remove_warning") if model.sha256 in library.pinned else ""
        question = t("models.remove_question", model=model.id, size=human_bytes(model.size),
                     warning=warning)

        def answered(yes: bool | None) -> None:
            if yes:
                self.start_job(t("models.removing", model=model.id),
                               lambda: install.remove(Library(app.paths.models), model))
            else:
                self.say(t("models.nothing_deleted"))

        self.app.push_screen(Confirm(question, t("models.delete_it"), t("models.keep_it")),
                             answered)

    def on_unmount(self) -> None:
        if self._cancel is not None:  # a download must not outlive its screen unseen
            self._cancel.set()

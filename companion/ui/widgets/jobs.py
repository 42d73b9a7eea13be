"""What the model screens share: one job at a time, progress on screen, a plain yes/no.

Model jobs (downloads, hashes, loads) run in thread workers. A worker may outlive the
screen that started it (the person pressed Esc), so every update from a thread goes
through `from_thread`, which skips widgets that are gone instead of raising.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from typing import Any

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, ProgressBar, Static

from companion.errors import CompanionError
from companion.i18n import t
from companion.logs import log_unexpected
from companion.models.progress import Progress, RateMeter, render
from companion.ui.binding_words import Worded

JOB_LOCK = threading.Lock()
"""Held while any model job runs, across screens: every job rewrites the same manifest."""


def from_thread(app: App[Any], node: Any, fn: Callable[..., object], *args: object) -> None:
    """From a worker: run `fn(*args)` on the UI thread, unless `node` has left the screen."""

    def run() -> object:
        if node is None or node.is_attached:
            return fn(*args)  # Textual awaits it when it is a coroutine
        return None

    with contextlib.suppress(RuntimeError):  # the app has already stopped
        app.call_from_thread(run)


class JobProgress(Vertical):
    """A progress bar, one line of numbers, and a Cancel button for downloads."""

    def compose(self) -> ComposeResult:
        yield ProgressBar(show_eta=False, classes="job-bar")
        yield Label("", classes="job-text")
        yield Button(t("widgets.cancel"), classes="job-cancel", variant="warning")

    def start(self, text: str, *, cancellable: bool) -> None:
        self.query_one(ProgressBar).update(total=None, progress=0)
        self.query_one(".job-text", Label).update(text)
        self.query_one(".job-cancel", Button).display = cancellable
        self.add_class("-active")

    def show(self, label: str, report: Progress) -> None:
        self.query_one(ProgressBar).update(total=report.total, progress=report.done)
        self.query_one(".job-text", Label).update(render(label, report))

    def stop(self) -> None:
        self.remove_class("-active")


def download_reporter(app: App[Any], panel: JobProgress,
                      label: str) -> Callable[[Progress], None]:
    """The `progress` callback for a download (already throttled by the downloader)."""
    return lambda report: from_thread(app, panel, panel.show, label, report)


def hash_reporter(app: App[Any], panel: JobProgress, label: str,
                  total: int) -> Callable[[int], None]:
    """A chunk-size callback for hashing and copying, drawn at most ten times a second."""
    meter, done, last = RateMeter(), 0, 0.0

    def step(chunk: int) -> None:
        nonlocal done, last
        done += chunk
        now = time.monotonic()
        if now - last >= 0.1 or done >= total:
            last = now
            rate = meter.add(done, now)
            report = Progress(done, total, rate, meter.eta(done, total), "checking")
            from_thread(app, panel, panel.show, label, report)

    return step


class ModelJobs:
    """Mixin for a screen with one JobProgress and a `say` line: runs one job at a time.

    A job runs in a worker thread and returns the sentence to show, or raises
    CompanionError, whose sentence is shown instead; nothing else reaches the person.
    """

    _cancel: threading.Event | None = None

    def say(self, text: str, *, error: bool = False) -> None:
        raise NotImplementedError

    def job_done(self) -> None:
        """Called on the UI thread after a job's sentence is shown."""

    def start_job(self, title: str, job: Callable[[], str], *,
                  cancel: threading.Event | None = None,
                  after: Callable[[], None] | None = None) -> bool:
        """Start `job` unless another model job runs; `after` runs on success even if the
        screen was closed meanwhile (it reloads the model)."""
        host: Any = self
        if not JOB_LOCK.acquire(blocking=False):
            self.say(t("widgets.job_busy"), error=True)
            return False
        self._cancel = cancel
        host.query_one(JobProgress).start(title, cancellable=cancel is not None)
        self.say("")
        self._run_job(host.app, job, after)
        return True

    def cancel_job(self) -> None:
        if self._cancel is not None:
            self._cancel.set()

    def hash_progress(self, label: str, total: int) -> Callable[[int], None]:
        host: Any = self
        return hash_reporter(host.app, host.query_one(JobProgress), label, total)

    @work(thread=True, group="model-job")
    def _run_job(self, app: App[Any], job: Callable[[], str],
                 after: Callable[[], None] | None) -> None:
        ok = False
        try:
            sentence, ok = job(), True
        except CompanionError as exc:
            sentence = str(exc)
        except Exception as exc:
            log_unexpected(exc)
            sentence = t("widgets.job_failed", error=type(exc).__name__)
        finally:
            JOB_LOCK.release()
        from_thread(app, None, self._job_finished, app, sentence, ok, after)

    def _job_finished(self, app: App[Any], sentence: str, ok: bool,
                      after: Callable[[], None] | None) -> None:
        host: Any = self
        self._cancel = None
        if ok and after is not None:
            after()
        if not host.is_attached:
            app.notify(sentence, severity="information" if ok else "error", timeout=10)
            return
        host.query_one(JobProgress).stop()
        self.say(sentence, error=not ok)
        self.job_done()


class Confirm(Worded, ModalScreen[bool]):
    """One explicit yes before something that cannot be undone; Esc means no."""

    BINDINGS = [Binding("escape", "no", "Keep it", id="confirm_no")]

    def __init__(self, question: str, yes: str, no: str) -> None:
        super().__init__()
        self.question, self.yes, self.no = question, yes, no

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.question, id="confirm-question", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.yes, id="confirm-yes", variant="error")
                yield Button(self.no, id="confirm-no", variant="primary")

    @on(Button.Pressed)
    def _answer(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm-yes")

    def action_no(self) -> None:
        self.dismiss(False)

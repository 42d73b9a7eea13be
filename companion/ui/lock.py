"""Locking the app: Ctrl+L, the palette's "Lock now", or `lock_minutes` without input.

Someone may walk up to an open laptop. Locked, the screen shows nothing of the person's
words, the vault is closed (SQLCipher drops its key) and no object holds the vault or
the session any more; the passphrase opens it again, on the same conversation with the
unsent draft back in the composer, and with the journal (and its draft), memories, time
spent or limits screen if one was open.

The order matters. The words are covered at once (screens/lock.py), but the vault stays
open until the work that writes to it is over: a reply in progress finishes and is saved,
a model load or model job ends, and background summaries stop (they yield within a
token and are picked up again later). Only then is the draft saved, every screen that
could show words removed, and the vault closed. The loaded model stays loaded, so
unlocking is quick: it holds no conversation once its cache is reset, and the next reply
evaluates the prompt again.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from textual.app import App, SystemCommand
from textual.screen import Screen
from textual.worker import WorkerError

from companion.i18n import t

if TYPE_CHECKING:
    from companion.config import Settings
    from companion.engine.base import ChatEngine
    from companion.vault import Vault

IDLE_CHECK_SECONDS = 5.0
"""How often idle time is compared with `lock_minutes` (shorter for tiny values)."""

RETIRE_WAIT_SECONDS = 2.0
"""How long locking waits for the old worker threads to end (idle ones end at once)."""

WRITERS = ("model-job", "model", "reply", "passphrase")
"""Worker groups that must end before the vault closes: they write to it or its key
file, or start something that does (a loaded model answers a message sent meanwhile)."""


@dataclass(frozen=True)
class Resume:
    """Where the person was, without their words: enough to open the same place again."""

    settings: Settings
    engine: ChatEngine | None
    conversation_id: int | None
    screens: tuple[type[Screen[Any]], ...]
    """Screens that were open over the chat and rebuild themselves (`reopenable`)."""


def reopenable() -> tuple[type[Screen[Any]], ...]:
    """Screens that build themselves from the vault with no arguments and return nothing,
    so unlocking can open them again; the journal's unsaved words come back with it."""
    from companion.ui.screens.journal import JournalScreen
    from companion.ui.screens.limits import LimitsScreen
    from companion.ui.screens.memories import MemoriesScreen
    from companion.ui.screens.trends import TrendsScreen
    from companion.ui.screens.usage import UsageScreen

    return (JournalScreen, LimitsScreen, MemoriesScreen, TrendsScreen, UsageScreen)


class AppLock:
    """Owned by the app (`app.app_lock`); the app must have `vault`, `session`, `paths`,
    `settings`, `clock`, `boundary_watch`, `memory_work`, `_chat()` and `_start_model()`.
    Everything here runs on the UI thread.

    `state`: "closed" before the first unlock, "open", "locking", then "locked".
    """

    def __init__(self, app: App[Any]) -> None:
        self.app: Any = app
        self.state = "closed"
        self._last_input: datetime | None = None
        self._timer: object | None = None
        self._resume: Resume | None = None

    # idle -----------------------------------------------------------------------------

    def start(self) -> None:
        """The vault is open: idle time counts from now, checked by one timer."""
        self.state = "open"
        self._last_input = self.app.clock.now()
        minutes = float(self.app.settings.lock_minutes)
        if minutes > 0 and self._timer is None:
            self._timer = self.app.set_interval(min(IDLE_CHECK_SECONDS, minutes * 30),
                                                self.check_idle)

    def activity(self) -> None:
        """A key or a mouse event: someone is here."""
        self._last_input = self.app.clock.now()

    def check_idle(self) -> bool:
        """Lock when nobody has touched a key or the mouse for `lock_minutes`."""
        minutes = float(self.app.settings.lock_minutes)
        if minutes <= 0 or self.state != "open" or self._last_input is None:
            return False
        if (self.app.clock.now() - self._last_input).total_seconds() < minutes * 60:
            return False
        self.lock()
        return True

    # locking --------------------------------------------------------------------------

    def commands(self) -> Iterator[SystemCommand]:
        if self.state == "open" and self.app.session is not None:
            yield SystemCommand(t("lock.command"), t("lock.command_help"), self.lock)

    def lock(self) -> None:
        """Lock now; nothing before the chat opens or while a lock is under way."""
        if self.state != "open" or self.app.session is None:
            return
        self.state = "locking"
        self.app.run_worker(self._lock(), group="lock", exclusive=True)

    async def _lock(self) -> None:
        from companion.ui.screens.lock import LockingScreen
        from companion.ui.screens.unlock import UnlockScreen
        from companion.ui.widgets.jobs import ModelJobs

        app = self.app
        app.clear_notifications()  # a toast may quote something
        await app.push_screen(LockingScreen())  # the words are hidden from here on
        app.boundary_watch.stop()  # time spent ends here; no held reply is released now
        for screen in app.screen_stack:
            if isinstance(screen, ModelJobs):
                screen.cancel_job()  # a download stops; a job that cannot stop ends first
        await self._settle(WRITERS)
        chat = app._chat()
        while chat is not None and chat.replying:  # the reply's last pieces, shown whole
            await asyncio.sleep(0.02)
            await self._settle(WRITERS)
        if chat is not None:
            chat.save_draft()
        session = app.session
        kinds = reopenable()
        screens = tuple(type(s) for s in app.screen_stack if type(s) in kinds)
        with app.batch_update():  # the cover stays drawn until the unlock screen replaces it
            while len(app.screen_stack) > 1:
                await app.pop_screen()  # every screen that could show words, and its DOM
            await self._settle(("memory",), cancel=session.background_cancel)
            self._resume = Resume(session.settings, session.engine, session.conversation_id,
                                  screens)
            self._close()
            await self._retire_threads()
            await app.push_screen(UnlockScreen(app.paths, create=False), self._reopen)
        self.state = "locked"

    async def _settle(self, groups: Iterable[str], cancel: threading.Event | None = None
                      ) -> None:
        """Wait until no worker of `groups` runs, including any started meanwhile."""
        names = set(groups)
        while True:
            if cancel is not None:
                cancel.set()  # background work yields the model within a token
            running = [w for w in self.app.workers if w.group in names and w.is_running]
            if not running:
                return
            with contextlib.suppress(WorkerError):  # its handler reported it; look again
                await self.app.workers.wait_for_complete(running)

    def _close(self) -> None:
        """Drop every reference to the session and the vault and close it (the key goes
        with the connection); the model forgets the evaluated conversation."""
        app = self.app
        engine = app.session.engine if app.session is not None else None
        app.session = None
        vault, app.vault = app.vault, None
        if vault is not None:
            vault.close()
        if engine is not None:
            engine.reset_cache()

    async def _retire_threads(self) -> None:
        """Start a fresh pool for thread workers and let the old threads end.

        Textual sets `active_worker` in a pool thread's own context and leaves it there, so
        an idle thread keeps the last worker it ran, with that worker's arguments: the
        chat screen with the words in it and the session (or, after unlocking, the
        passphrase). Threads that end take that with them.
        """
        loop = asyncio.get_running_loop()
        old = getattr(loop, "_default_executor", None)  # asyncio keeps no public handle
        loop.set_default_executor(ThreadPoolExecutor(thread_name_prefix="companion"))
        if isinstance(old, ThreadPoolExecutor):
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(loop.run_in_executor(None, old.shutdown),
                                       RETIRE_WAIT_SECONDS)

    # unlocking ------------------------------------------------------------------------

    async def _reopen(self, vault: Vault | None) -> None:
        """The passphrase was right: the same conversation, the draft, the same model."""
        from companion.conversation.session import Session
        from companion.ui.screens.chat import ChatScreen

        if vault is None:
            return
        app, resume = self.app, self._resume
        if resume is None:
            vault.close()
            return
        self._resume = None
        self.start()
        app.vault = vault
        session = Session(vault, resume.settings, engine=resume.engine)
        if resume.conversation_id is None:
            session.start_blank()  # they were on a new, empty page
        app.session = session
        app.boundary_watch.start(vault)
        chat = ChatScreen(session)
        await app.push_screen(chat)
        if resume.engine is None:
            app._start_model()  # says there is no model, or tries loading it again
        else:
            from companion.ui.widgets.status_bar import elsewhere

            chat.status.show_model(resume.engine.model, elsewhere=elsewhere(resume.engine))
            app.memory_work.model_ready()  # warms the cache again, catches up on summaries
        for kind in resume.screens:
            await app.push_screen(kind())

"""Work the app does on its own: check-ins at the start, summaries when quiet, and
evaluating the open conversation's prompt prefix ahead of the next message.

It all runs in thread workers and yields the model to a reply at once (the session's
background_cancel), so it never blocks typing; quitting cancels it, and what was not
finished is found again at the next start. The warm-up runs last, since summarising
another conversation fills the model's cache with that one.
"""

from __future__ import annotations

from datetime import datetime, timezone
from functools import partial
from typing import TYPE_CHECKING

from textual.app import App

from companion.errors import CompanionError
from companion.logs import log_unexpected

if TYPE_CHECKING:
    from companion.conversation.session import Session

QUIET_CHECK_SECONDS = 60


class MemoryWork:
    """Owned by the app; `app` must have `session`, `settings` and a `_chat()` screen."""

    def __init__(self, app: App[None]) -> None:
        self.app = app
        self.checked_in = False

    @property
    def session(self) -> Session | None:
        return getattr(self.app, "session", None)

    def start(self) -> None:
        self.app.set_interval(QUIET_CHECK_SECONDS, self.quiet_check)

    def model_ready(self) -> None:
        """First model of this app session: ask about a due commitment, then catch up."""
        first = not self.checked_in
        self.checked_in = True
        self._run(check_in=first, include_current=False)

    def left_conversation(self) -> None:
        self._run(check_in=False, include_current=False)

    def quiet_check(self) -> None:
        session = self.session
        if session is None or session.engine is None or session.conversation_id is None:
            return
        messages = session.messages()
        if not messages:
            return
        quiet = float(self.app.settings.quiet_minutes) * 60  # type: ignore[attr-defined]
        last = datetime.fromisoformat(messages[-1].created_at)
        if (datetime.now(timezone.utc) - last).total_seconds() >= quiet:
            self._run(check_in=False, include_current=True)

    def stop(self) -> None:
        if self.session is not None:
            self.session.background_cancel.set()

    def _run(self, *, check_in: bool, include_current: bool) -> None:
        self.app.run_worker(partial(self._work, check_in, include_current), thread=True,
                            exclusive=True, group="memory")

    def _work(self, check_in: bool, include_current: bool) -> None:
        session = self.session
        if session is None or session.engine is None:
            return
        try:
            if check_in and session.check_in(cancel=session.background_cancel) is not None:
                self.app.call_from_thread(self._show_check_in)
            session.warm()
            done = session.consolidate_pending(
                include_current=include_current,
                auto_accept=bool(self.app.settings.auto_accept))  # type: ignore[attr-defined]
            if done:
                session.warm()
        except CompanionError:
            return  # the work stays pending and is tried again later
        except Exception as exc:
            log_unexpected(exc)

    async def _show_check_in(self) -> None:
        screen = self.app._chat()  # type: ignore[attr-defined]
        if screen is not None and not screen.replying:
            await screen.show_conversation()
            screen.refresh_sidebar()

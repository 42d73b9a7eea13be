"""The person's limits while the app runs: time spent, nudges, the pause after the daily
limit, quiet hours (the rules are `companion.care.boundaries`).

Kept apart from the usage screen and light to import: the app creates it before its
first frame, and the rules are only needed once a vault is open.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.app import App

if TYPE_CHECKING:
    from companion.care.boundaries import Boundaries, Decision
    from companion.vault import Vault

TICK_SECONDS = 30
"""How often time spent is counted and the edges are looked at."""


class BoundaryWatch:
    """Owned by the app (`app.boundary_watch`); the app must have `clock`, `settings`
    and `_chat()`. Everything runs on the UI thread."""

    def __init__(self, app: App[Any]) -> None:
        self.app = app
        self.boundaries: Boundaries | None = None
        self._ticking = False

    def now(self) -> Any:
        return self.app.clock.now()  # type: ignore[attr-defined]

    def start(self, vault: Vault) -> None:
        from companion.care.boundaries import Boundaries

        app: Any = self.app
        self.boundaries = Boundaries(app.settings, vault, app.clock)
        for problem in self.boundaries.problems:
            app.notify(problem, severity="warning", timeout=10, markup=False)
        self.remind()
        if not self._ticking:  # started again after each unlock (ui/lock.py): one timer
            self._ticking = True
            app.set_interval(TICK_SECONDS, self.tick)

    def stop(self) -> None:
        """Count the last stretch and let go of the vault (locking): ticks do nothing and
        no held reply is released until `start` is called with the vault again."""
        self.flush()
        self.boundaries = None

    def activity(self) -> None:
        if self.boundaries is not None:
            self.boundaries.activity(self.now())

    def flush(self) -> None:
        if self.boundaries is not None:
            self.boundaries.flush(self.now())

    async def tick(self) -> str | None:
        """Count time; show what is due; let a held reply go when its pause is over."""
        boundaries = self.boundaries
        if boundaries is None:
            return None
        now = self.now()
        notice = boundaries.tick(now)
        chat: Any = self.app._chat()  # type: ignore[attr-defined]
        if notice:
            if chat is not None:
                chat.notice(notice)
            self.app.notify(notice, timeout=15, markup=False)
        if chat is not None and chat.held_reply and boundaries.held_until(now) is None:
            await chat.release_held_reply()
        if not notice and boundaries.active(now):  # one notice at a time; someone is there
            self.remind()
        return notice

    def remind(self) -> str | None:
        """The "program, not a person" reminder (`care/ai_reminder.py`) when it is due:
        at a start and every three hours of use, never while a reply is being written
        nor when the newest message fired the crisis scan. Shown like the notices."""
        from companion.care import ai_reminder

        app: Any = self.app
        chat: Any = app._chat()
        if self.boundaries is None or (chat is not None and chat._streaming is not None):
            return None
        text = ai_reminder.check(self.boundaries.vault, app.settings, self.now(),
                                 crisis=lambda: _newest_fired(chat))
        if text:  # a toast: the chat's notice line stays for the limits and quiet hours
            app.notify(text, timeout=15, markup=False)
        return text

    def holding(self) -> bool:
        """Whether the daily limit's pause holds replies right now."""
        return self.boundaries is not None and self.boundaries.held_until(self.now()) is not None

    def before_reply(self, *, crisis: bool = False) -> Decision:
        from companion.care.boundaries import Decision

        if self.boundaries is None:
            return Decision()
        return self.boundaries.before_reply(self.now(), crisis=crisis)

    def continue_anyway(self) -> None:
        if self.boundaries is not None:
            self.boundaries.continue_anyway(self.now())


def _newest_fired(chat: Any) -> bool:
    """Whether the person's newest message in the open conversation fired the scan."""
    from companion.care import safety

    if chat is None:
        return False
    users = [m for m in chat.session.messages() if m.role == "user"]
    return bool(users) and safety.scan(users[-1].content).fired

"""Time spent: the person's own numbers, and the app's side of the boundaries they set.

`UsageScreen` (Ctrl+T, palette "Time spent") shows the minutes of each day for the last
four weeks as plain bars, this session and today, and the settings in force with how
to change them. No streaks, no goals, no comparisons: only what happened.

`BoundaryWatch` is owned by the app: it notes activity (keys, clicks), ticks the
`Boundaries` on an interval, shows a nudge where the person is, and lets a reply held
by the cool-down go once the cool-down is over.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from companion.care.boundaries import HISTORY_DAYS, Boundaries, Decision, duration

if TYPE_CHECKING:
    from companion.config import Settings
    from companion.vault import Vault

TICK_SECONDS = 30
"""How often time spent is counted and the edges are looked at."""

BAR_WIDTH = 40
EIGHTHS = " ▏▎▍▌▋▊▉"


def bar(seconds: float, most: float, width: int = BAR_WIDTH) -> str:
    """A bar `width` cells long for `most`, drawn to an eighth of a cell."""
    if most <= 0 or seconds <= 0:
        return ""
    eighths = max(1, round(seconds / most * width * 8))
    full, rest = divmod(eighths, 8)
    return "█" * full + (EIGHTHS[rest] if rest else "")


def chart(days: list[tuple[date, float]]) -> Text:
    most = max((seconds for _day, seconds in days), default=0.0)
    text = Text()
    for day, seconds in days:
        text.append(f"{day:%a %d %b}  ", style="dim" if not seconds else "")
        text.append(bar(seconds, most).ljust(BAR_WIDTH), style="bold")
        text.append(f"  {duration(seconds) if seconds else '—'}\n")
    return text


def settings_text(settings: Settings, config_file: object) -> Text:
    def minutes(value: float, off: str = "off") -> str:
        return duration(value * 60) if value > 0 else off

    lines = [
        f"A nudge after: {minutes(settings.nudge_minutes)} in one session",
        f"A soft daily limit: {minutes(settings.daily_limit_minutes)}",
        f"The pause after it: {minutes(settings.cooldown_minutes, 'none')}"
        " (replies wait; Ctrl+G continues anyway)",
        f"Quiet hours: {settings.quiet_hours.strip() or 'off'}",
        "",
        f"To change them, edit {config_file}, for example:",
        "    nudge_minutes = 45",
        "    daily_limit_minutes = 120",
        "    cooldown_minutes = 10",
        '    quiet_hours = "23:00-06:00"',
        'and start companion again. 0 (or "" for quiet hours) turns each one off.',
    ]
    return Text("\n".join(lines))


class UsageScreen(Screen[None]):
    BINDINGS = [Binding("escape,ctrl+t", "app.pop_screen", "Close", id="usage_close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="usage-box"):
            yield Static("Time spent", id="usage-title")
            yield Static("", id="usage-summary", markup=False)
            yield Static("", id="usage-chart", markup=False)
            yield Static("Your boundaries", id="usage-settings-title")
            yield Static("", id="usage-settings", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        app: Any = self.app
        boundaries: Boundaries | None = app.boundary_watch.boundaries
        if boundaries is None:
            return
        now = app.clock.now()
        boundaries.flush(now)
        days = boundaries.history(now, HISTORY_DAYS)
        total = sum(seconds for _day, seconds in days)
        used = [seconds for _day, seconds in days if seconds]
        summary = (f"Today {duration(days[-1][1])} · this session "
                   f"{duration(boundaries.session_seconds)} · the last four weeks "
                   f"{duration(total)}"
                   + (f", {duration(total / len(used))} on a day you came" if used else "")
                   + ". Only the total per day is kept. Esc closes.")
        self.query_one("#usage-summary", Static).update(summary)
        self.query_one("#usage-chart", Static).update(chart(days))
        self.query_one("#usage-settings", Static).update(
            settings_text(boundaries.settings, app.paths.config_file))


class BoundaryWatch:
    """Owned by the app (`app.boundary_watch`); the app must have `clock`, `settings`
    and `_chat()`. Everything runs on the UI thread."""

    def __init__(self, app: App[Any]) -> None:
        self.app = app
        self.boundaries: Boundaries | None = None

    def now(self) -> Any:
        return self.app.clock.now()  # type: ignore[attr-defined]

    def start(self, vault: Vault) -> None:
        app: Any = self.app
        self.boundaries = Boundaries(app.settings, vault, app.clock)
        for problem in self.boundaries.problems:
            app.notify(problem, severity="warning", timeout=10, markup=False)
        app.set_interval(TICK_SECONDS, self.tick)

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
        return notice

    def holding(self) -> bool:
        """Whether the daily limit's pause holds replies right now."""
        return self.boundaries is not None and self.boundaries.held_until(self.now()) is not None

    def before_reply(self, *, crisis: bool = False) -> Decision:
        if self.boundaries is None:
            return Decision()
        return self.boundaries.before_reply(self.now(), crisis=crisis)

    def continue_anyway(self) -> None:
        if self.boundaries is not None:
            self.boundaries.continue_anyway(self.now())

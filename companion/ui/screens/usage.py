"""Time spent: the person's own numbers, and the app's side of the boundaries they set.

`UsageScreen` (Ctrl+T, palette "Time spent") shows the minutes of each day for the last
four weeks as plain bars, this session and today, and the settings in force with how
to change them. No streaks, no goals, no comparisons: only what happened. The app's
side of the boundaries (`BoundaryWatch`) is in `companion.ui.boundary_watch`.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from companion.care.boundaries import HISTORY_DAYS, Boundaries, duration
from companion.i18n import t
from companion.ui.binding_words import Worded

if TYPE_CHECKING:
    from companion.config import Settings

BAR_WIDTH = 40
EIGHTHS = " ▏▎▍▌▋▊▉"


def bar(seconds: float, most: float, width: int = BAR_WIDTH) -> str:
    """A bar `width` cells long for `most`, drawn to an eighth of a cell."""
    if most <= 0 or seconds <= 0:
        return ""
    eighths = max(1, round(seconds / most * width * 8))
    full, rest = divmod(eighths, 8)
    return "█" * full + (EIGHTHS[rest] if rest else "")


def day_label(day: date) -> str:
    """A day as "Mon 10 Mar" in the person's language: from the catalogue, since the
    process locale (often C) never follows the app's language."""
    weekdays, months = t("usage.weekdays").split(), t("usage.months").split()
    return t("usage.day", weekday=weekdays[day.weekday()], day=day.day,
             month=months[day.month - 1])


def chart(days: list[tuple[date, float]]) -> Text:
    most = max((seconds for _day, seconds in days), default=0.0)
    labels = [day_label(day) for day, _seconds in days]
    width = max((cell_len(label) for label in labels), default=0)  # bars start in one column
    text = Text()
    for label, (_day, seconds) in zip(labels, days, strict=True):
        padding = " " * (width - cell_len(label))
        text.append(f"{label}{padding}  ", style="dim" if not seconds else "")
        text.append(bar(seconds, most).ljust(BAR_WIDTH), style="bold")
        text.append(f"  {duration(seconds) if seconds else '—'}\n")
    return text


def settings_text(settings: Settings, config_file: object) -> Text:
    def minutes(value: float, off: str = "usage.off") -> str:
        return duration(value * 60) if value > 0 else t(off)

    lines = [
        t("usage.nudge", time=minutes(settings.nudge_minutes)),
        t("usage.daily", time=minutes(settings.daily_limit_minutes)),
        t("usage.pause", time=minutes(settings.cooldown_minutes, "usage.none")),
        t("usage.quiet", hours=settings.quiet_hours.strip() or t("usage.off")),
        "",
        t("usage.change", file=config_file),
        "    nudge_minutes = 45",
        "    daily_limit_minutes = 120",
        "    cooldown_minutes = 10",
        '    quiet_hours = "23:00-06:00"',
        t("usage.restart"),
    ]
    return Text("\n".join(lines))


class UsageScreen(Worded, Screen[None]):
    BINDINGS = [Binding("escape,ctrl+t", "app.pop_screen", "Close", id="usage_close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="usage-box"):
            yield Static(t("usage.title"), id="usage-title")
            yield Static("", id="usage-summary", markup=False)
            yield Static("", id="usage-chart", markup=False)
            yield Static(t("usage.boundaries"), id="usage-settings-title")
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
        average = t("usage.average", time=duration(total / len(used))) if used else ""
        summary = t("usage.summary", today=duration(days[-1][1]),
                    session=duration(boundaries.session_seconds), total=duration(total),
                    average=average)
        self.query_one("#usage-summary", Static).update(summary)
        self.query_one("#usage-chart", Static).update(chart(days))
        self.query_one("#usage-settings", Static).update(
            settings_text(boundaries.settings, app.paths.config_file))

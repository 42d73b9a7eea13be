"""The How I've been pictures drawn on a plotext figure: the mood line and the time bars.

One place for both drawers of the mood line, so the screen (a `textual_plotext` widget's
`plt`) and `companion mood chart` (the `plotext` module itself) draw exactly the same
picture. The figure is handed in and only its methods are called, so this module
imports no plotting library (and certainly not Textual); the numbers and the readings
are `companion.memory.trends`. The axes speak the person's language too (`[trends]` in
the catalogues: the dates, "mood", "time", 45m / 2h), read when a picture is drawn.
plotext counts characters, not terminal columns, so a tick written in a wide script
(한국어, 中文) or with combining marks (हिन्दी) would push the frame out of line; those
languages write the ticks in digits (`axis_months`, `tick_*`), and only the axis names,
on the last line where nothing follows them, are in their own script.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from companion.i18n import t
from companion.memory.trends import MoodTrend, TimeTrend

SCORES = [1, 2, 3, 4, 5]
TICKS = 5
"""Dates named on the x axis at most: more would run into each other at 80 columns."""
STEPS = (1, 2, 5, 10, 15, 20, 30, 60, 90, 120, 180, 240, 360, 480, 720)
"""Minutes between the marks on the time axis: round numbers a person reads at a glance."""


def axis_date(day: date) -> str:
    """10 Mar on the x axis (3/10 where month names would not fit a column each)."""
    return t("trends.axis_date", day=day.day, month=t("trends.axis_months").split()[day.month - 1])


def _date_ticks(plt: Any, first: date, days: int) -> None:
    step = max(1, (days - 1) // (TICKS - 1))
    positions = list(range(0, days, step))
    if positions[-1] != days - 1 and days > 1:
        if days - 1 - positions[-1] < step / 2:
            positions.pop()
        positions.append(days - 1)
    plt.xticks(positions, [axis_date(first + timedelta(days=n)) for n in positions])
    plt.xlim(-0.5, days - 0.5)


def mood_line(plt: Any, trend: MoodTrend) -> None:
    """Each day's average mood on a 1-to-5 scale, joined day to day; days without a mood
    are skipped (the line goes straight across them rather than guessing them)."""
    plt.clear_figure()
    xs = [(p.day - trend.first).days for p in trend.points]
    ys = [p.score for p in trend.points]
    if len(xs) > 1:
        plt.plot(xs, ys, marker="braille")
    if xs:
        plt.scatter(xs, ys, marker="●")
    plt.ylim(0.8, 5.2)
    plt.yticks(SCORES, [str(n) for n in SCORES])
    _date_ticks(plt, trend.first, trend.days)
    plt.ylabel(t("trends.axis_mood"))


def time_bars(plt: Any, trend: TimeTrend) -> None:
    """Minutes per day as bars, every day of the span, a day away as no bar."""
    plt.clear_figure()
    minutes = [seconds / 60 for _day, seconds in trend.per_day]
    xs = list(range(len(minutes)))
    plt.bar(xs, minutes, width=0.6 if len(xs) <= 31 else 1.0, marker="hd")
    most = max(minutes, default=0.0)
    step = next((s for s in STEPS if most / s <= 4), STEPS[-1])
    marks = list(range(0, int(most) + step, step)) if most > 0 else [0]
    plt.yticks(marks, [minutes_label(m) for m in marks])
    plt.ylim(0, max(marks[-1], 1))
    _date_ticks(plt, trend.per_day[0][0], len(xs))
    plt.ylabel(t("trends.axis_time"))


def minutes_label(minutes: int) -> str:
    """0, 45m, 2h, 1h30: short enough for the axis."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return t("trends.tick_minutes", minutes=rest) if rest else "0"
    if rest:
        return t("trends.tick_hours_minutes", hours=hours, minutes=rest)
    return t("trends.tick_hours", hours=hours)

"""`companion mood chart [--days N]`: the mood line of the How I've been screen, drawn in
the terminal with plotext, then its reading in words.

plotext is used directly (the screen uses it through textual-plotext) and imported only
here, when the chart is asked for, so `companion --help` stays fast; no Textual. The
picture is drawn by `companion.memory.trend_plots.mood_line`, the screen's own drawer,
so both show the same line. Colour only on a terminal, and never with NO_COLOR set: a
pipe or a file gets plain characters.
"""

from __future__ import annotations

import os
import shutil
import sys
from datetime import datetime
from typing import TYPE_CHECKING

from companion.errors import UsageError
from companion.i18n import t

if TYPE_CHECKING:
    from companion.memory.trends import MoodTrend
    from companion.vault import Vault

MAX_DAYS = 3650
HEIGHT = 16
MAX_WIDTH = 100


def check_days(days: int) -> int:
    """Refused before the vault is opened."""
    if not 1 <= days <= MAX_DAYS:
        raise UsageError(t("cli_journal.days", most=MAX_DAYS))
    return days


def draw(trend: MoodTrend, *, width: int, colour: bool) -> str:
    """The mood line as text `width` columns wide."""
    import plotext

    from companion.memory.trend_plots import mood_line

    mood_line(plotext, trend)
    plotext.theme("clear")  # the terminal's own background and text colours
    plotext.plotsize(width, HEIGHT)
    picture = str(plotext.build())
    plotext.clear_figure()
    return picture if colour else str(plotext.uncolorize(picture))


def show(vault: Vault, days: int, now: datetime | None = None) -> None:
    """Print the chart (when there is a mood to draw) and the reading line."""
    from companion.memory import entries
    from companion.memory.trends import mood_trend

    trend = mood_trend(entries.moods(vault), now or datetime.now().astimezone(), days)
    if trend.points:
        width = min(shutil.get_terminal_size((80, 24)).columns, MAX_WIDTH)
        colour = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
        print(draw(trend, width=width, colour=colour).rstrip())
    print(trend.reading)

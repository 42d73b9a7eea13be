"""How I've been (Ctrl+R, palette "How I've been"): the mood line, the time bars and the
topics over the last 7, 30 or 90 days, each picture with its reading beside it.

The numbers and the sentences are `companion.memory.trends`; the two plots are drawn by
`companion.memory.trend_plots` on textual-plotext widgets, the same drawer that
`companion mood chart` uses in the terminal, so both show one picture. textual-plotext
rather than Textual's `Sparkline`: a mood line needs its 1-to-5 scale and dates on the
axes to mean anything, and a sparkline has neither. Each reading is a plain `Static`
beside its picture, so a screen reader gets the words and a person who prefers words
can read them instead of the lines. Like the time-spent screen: no streaks, no goals,
no comparisons with anyone, only what happened. Its words are `[trends]` in the
catalogues, read when the screen is built, so they follow the language chosen at start.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button, Footer, Static

from companion.i18n import t
from companion.memory import trend_plots
from companion.memory.trends import RANGES, TopicTrend, Trends, short_date, trends
from companion.ui.binding_words import Worded
from companion.ui.widgets.commands import CommandList

DEFAULT_DAYS = 30
EMPTY_CELL = "·"


def topic_grid(trend: TopicTrend) -> Text:
    """The most mentioned words, one row each, with how often each week mentioned them
    (oldest week on the left); `·` for a week without it."""
    if not trend.top:
        return Text("")
    weeks = t("trends.weeks")
    width = max(cell_len(weeks), *(cell_len(word) for word, _count in trend.top))
    cell = max(2, *(len(str(w.counts.get(word, 0))) for w in trend.weeks
                    for word, _count in trend.top)) + 1
    text = Text()
    text.append(_pad(weeks, width), style="dim")
    text.append(f"{short_date(trend.weeks[0].first)} → {short_date(trend.weeks[-1].last)}\n",
                style="dim")
    for word, _count in trend.top:
        text.append(_pad(word, width), style="bold")
        for week in trend.weeks:
            count = week.counts.get(word, 0)
            text.append((str(count) if count else EMPTY_CELL).rjust(cell),
                        style="" if count else "dim")
        text.append("\n")
    return text


def _pad(word: str, width: int) -> str:
    """A word and the spaces after it, by the columns it takes (한국어 takes two each)."""
    return word + " " * (width - cell_len(word) + 2)


def _plot(plot_id: str) -> Widget:
    """A textual-plotext widget, imported here so opening the chat does not load plotext."""
    from textual_plotext import PlotextPlot

    return PlotextPlot(id=plot_id, classes="trends-plot")


class TrendsScreen(Worded, Screen[None]):
    """Built from the vault with no arguments, so unlocking can open it again."""

    DEFAULT_CSS = """
    TrendsScreen #trends-box { padding: 0 1; }
    TrendsScreen #trends-title { text-style: bold; }
    TrendsScreen #trends-ranges { height: 3; }
    TrendsScreen #trends-ranges Button { min-width: 12; margin-right: 1; }
    TrendsScreen #trends-ranges Button.-chosen { text-style: bold reverse; }
    TrendsScreen .trends-row { height: 11; margin-top: 1; }
    TrendsScreen #trends-topics-row { height: auto; min-height: 4; }
    TrendsScreen .trends-plot, TrendsScreen #trends-topics { width: 2fr; }
    TrendsScreen .trends-reading { width: 1fr; padding: 0 1; }
    """

    BINDINGS = [
        Binding("escape,ctrl+r", "app.pop_screen", "Close", id="trends_close"),
        *(Binding(str(n), f"days({days})", f"{days} days", id=f"trends_{days}")
          for n, days in enumerate(RANGES, start=1)),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.days = DEFAULT_DAYS
        self.current: Trends | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="trends-box"):
            yield Static(t("trends.heading", title=t("trends.title")), id="trends-title")
            with Horizontal(id="trends-ranges"):
                for n, days in enumerate(RANGES, start=1):
                    button = Button(t("trends.range", n=n, days=days),
                                    id=f"trends-range-{days}", name=str(days))
                    button.can_focus = False  # the digits belong to the screen
                    yield button
            with Horizontal(classes="trends-row"):
                yield _plot("trends-mood-plot")
                yield Static("", id="trends-mood-reading", classes="trends-reading",
                             markup=False)
            with Horizontal(classes="trends-row"):
                yield _plot("trends-time-plot")
                yield Static("", id="trends-time-reading", classes="trends-reading",
                             markup=False)
            with Horizontal(id="trends-topics-row"):
                yield Static("", id="trends-topics", markup=False)
                yield Static("", id="trends-topics-reading", classes="trends-reading",
                             markup=False)
        yield Footer()

    def on_mount(self) -> None:
        app: Any = self.app
        boundaries = app.boundary_watch.boundaries
        if boundaries is not None:  # this session's minutes count too
            boundaries.flush(app.clock.now())
        self.action_days(self.days)

    @on(Button.Pressed, "#trends-ranges Button")
    def _clicked(self, event: Button.Pressed) -> None:
        self.action_days(int(str(event.button.name)))

    def action_days(self, days: int) -> None:
        """Show the last `days` days: read the vault again and redraw all three."""
        app: Any = self.app
        self.days = days
        self.current = found = trends(app.vault, app.clock.now(), days)
        for button in self.query("#trends-ranges Button"):
            button.set_class(button.name == str(days), "-chosen")
        mood_plot: Any = self.query_one("#trends-mood-plot")
        trend_plots.mood_line(mood_plot.plt, found.mood)
        mood_plot.refresh()
        time_plot: Any = self.query_one("#trends-time-plot")
        trend_plots.time_bars(time_plot.plt, found.time)
        time_plot.refresh()
        self.query_one("#trends-mood-reading", Static).update(
            t("trends.mood_label", reading=found.mood.reading))
        self.query_one("#trends-time-reading", Static).update(
            t("trends.time_label", reading=found.time.reading))
        self.query_one("#trends-topics", Static).update(topic_grid(found.topics))
        self.query_one("#trends-topics-reading", Static).update(
            t("trends.topics_label", reading=found.topics.reading))


class TrendsCommands(CommandList):
    """The palette's way to the screen, on the chat screen (which has `action_trends`)."""

    def _commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        screen: Any = self.screen
        return [(t("trends.title"), t("trends.palette_help"), screen.action_trends)]

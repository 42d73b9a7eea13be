"""The support panel: the person's safety plan, trusted contacts and crisis lines,
docked beside the conversation when a message shows signs of crisis.

It is never modal and never takes focus: the composer keeps it, so the person can go
on writing while the panel is there ("safety must never mean rejection"). F9, the
palette or its Close button put it away. Everything in it is the person's own words or
a data file's, so it is drawn as plain text, never as markup.

Entry points for other code: `show_support(screen, data)` mounts or updates it,
`hide_support(screen)` removes it, `toggle_support(screen)` is the key binding.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button, Static

from companion.care import support
from companion.i18n import t

PANEL_ID = "support-panel"
ROOMY = 130
"""Below this many columns the sidebar steps aside while the panel is shown, so the
conversation keeps room to be read; it comes back when the panel goes."""


def render_panel(data: support.SupportPanel) -> Text:
    """The panel's text: headings styled, every word from the person or a file plain."""
    out = Text()

    def heading(title: str) -> None:
        out.append(f"\n{title}\n", style="bold")

    out.append(t("support.welcome") + "\n", style="italic")
    heading(t("support.plan"))
    for section in data.plan:
        if not section.empty:
            out.append(f"{section.title}\n", style="underline")
            out.append(Text(section.content.strip() + "\n"))
    empty = [section.title for section in data.plan if section.empty]
    if empty:
        out.append(t("support.plan_empty", sections=", ".join(empty)) + "\n", style="dim")
    heading(t("support.contacts"))
    if not data.contacts:
        out.append(t("support.contacts_empty") + "\n", style="dim")
    for contact in data.contacts:
        out.append(Text(contact.name, style="bold"))
        out.append(Text((f" - {contact.how}" if contact.how else "")
                        + (f" ({contact.note})" if contact.note else "") + "\n"))
    heading(t("support.lines") + (f" ({data.country})" if data.country else ""))
    for line in data.lines:
        out.append(Text(line.name + "\n", style="bold"))
        languages = ", ".join(line.languages)
        for part in (line.number and t("support.call", number=line.number), line.text,
                     line.online, line.hours,
                     languages and t("support.languages", languages=languages), line.note):
            if part:
                out.append(Text(f"  {part}\n"))
        source = t("support.source_yours" if line.origin == "your file" else "support.source",
                   source=line.source, verified=line.verified)
        out.append(Text(f"  {source}\n", style="dim"))
    if data.notice:
        out.append(Text(data.notice + "\n"))
    if data.emergency is not None:
        out.append(Text(f"\n{support.emergency_text(data.emergency)}\n", style="bold"))
    for problem in data.problems:
        out.append(Text(f"\n{problem}\n", style="dim"))
    return out


class SupportPanel(Vertical):
    """The docked panel; it holds no state beyond the data it was last given."""

    can_focus = False

    def __init__(self, data: support.SupportPanel) -> None:
        super().__init__(id=PANEL_ID)
        self.data = data
        self.hid_sidebar: Widget | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="support-head"):
            yield Static(Text(t("support.title"), style="bold"), id="support-title")
            close = Button(t("support.close"), id="support-close")
            close.can_focus = False  # a click must not pull focus out of the composer
            yield close
        scroll = VerticalScroll(id="support-scroll")
        scroll.can_focus = False
        with scroll:
            yield Static(render_panel(self.data), id="support-body", markup=False)

    def show(self, data: support.SupportPanel) -> None:
        self.data = data
        self.query_one("#support-body", Static).update(render_panel(data))

    @on(Button.Pressed, "#support-close")
    def _close(self, event: Button.Pressed) -> None:
        event.stop()
        hide_support(self.screen)


def panel_for(app: Any) -> support.SupportPanel:
    """Fresh panel data from an app that has `vault`, `settings` and `paths`."""
    paths = getattr(app, "paths", None)
    user_file = support.user_lines_file(paths.config) if paths is not None else None
    return support.panel(app.vault, app.settings, user_file)


def shown(screen: Screen[Any]) -> SupportPanel | None:
    try:
        return screen.query_one(f"#{PANEL_ID}", SupportPanel)
    except NoMatches:
        return None


def _keep_focus(screen: Screen[Any], focused: Widget) -> None:
    if screen.focused is not focused and focused.is_attached:
        focused.focus()


def show_support(screen: Screen[Any], data: support.SupportPanel) -> SupportPanel:
    """Show `data` beside the conversation on `screen` (mount, or update in place).

    Call it on the UI thread (from a worker: `app.call_from_thread`). Whatever had
    focus keeps it.
    """
    existing = shown(screen)
    if existing is not None:
        existing.show(data)
        return existing
    focused = screen.focused
    widget = SupportPanel(data)
    try:
        screen.query_one("#main").mount(widget)
    except NoMatches:
        screen.mount(widget)
    sidebar = screen.query("#sidebar")
    if sidebar and sidebar.first().display and screen.size.width < ROOMY:
        widget.hid_sidebar = sidebar.first()
        widget.hid_sidebar.display = False
    if focused is not None:
        screen.call_after_refresh(_keep_focus, screen, focused)
    return widget


def hide_support(screen: Screen[Any]) -> bool:
    """Remove the panel; True if there was one."""
    existing = shown(screen)
    if existing is None:
        return False
    if existing.hid_sidebar is not None and existing.hid_sidebar.is_attached:
        existing.hid_sidebar.display = True
    existing.remove()
    return True


def toggle_support(screen: Screen[Any]) -> None:
    """F9: put the panel away, or bring it back with the plan as it is now."""
    if not hide_support(screen) and getattr(screen.app, "vault", None) is not None:
        show_support(screen, panel_for(screen.app))


def refresh_support(screen: Screen[Any]) -> None:
    """Redraw a shown panel from the vault, after the safety plan was edited."""
    if shown(screen) is not None and getattr(screen.app, "vault", None) is not None:
        show_support(screen, panel_for(screen.app))

"""One message in the conversation: the person's words as plain text, replies as Markdown.

A reply spoken by someone other than the companion (a Room voice, a rehearsal role) is
labelled with that name in its colour; the name is the person's text, never markup.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Label, Markdown, Static

from companion.domain import Message
from companion.i18n import t


def role_label(role: str) -> str:
    """Who spoke: "You" in the person's language; "Companion" is the app's name, kept."""
    return {"user": t("widgets.you"), "assistant": "Companion"}.get(role, role)


class MessageView(Vertical):
    """User text is shown with markup off, so nothing they type is interpreted.

    Focusable (Tab, a click), so the person can pick a message to delete or edit.
    """

    can_focus = True
    BINDINGS = [
        Binding("delete,d", "screen.delete_message", "Delete", id="message_delete"),
        Binding("e", "screen.edit_last", "Edit (your last)", id="message_edit"),
    ]

    def __init__(self, role: str, content: str = "", *, stopped: bool = False,
                 message_id: int | None = None, speaker: str | None = None,
                 colour: str | None = None) -> None:
        super().__init__(classes=f"message {role}")
        self.role = role
        self.content = content
        self.stopped = stopped
        self.message_id = message_id
        self.speaker = speaker
        self.colour = colour

    @classmethod
    def of(cls, message: Message, *, colour: str | None = None) -> MessageView:
        return cls(message.role, message.content, stopped=message.stopped,
                   message_id=message.id, speaker=message.speaker, colour=colour)

    def compose(self) -> ComposeResult:
        if self.speaker:
            style = f"bold {self.colour}" if self.colour else "bold"
            yield Label(Content.styled(self.speaker, style), classes="role speaker")
        else:
            yield Label(role_label(self.role), classes="role")
        if self.role == "assistant":
            yield Markdown(self.content, classes="body")
        else:
            yield Static(self.content, classes="body", markup=False)
        yield Label(t("widgets.stopped") if self.stopped else "", classes="stopped-note")

    def on_mount(self) -> None:
        if self.colour:
            self.styles.border_left = ("outer", self.colour)

    @property
    def markdown(self) -> Markdown:
        return self.query_one(".body", Markdown)

    def mark_stopped(self, stopped: bool) -> None:
        self.stopped = stopped
        self.query_one(".stopped-note", Label).update(t("widgets.stopped") if stopped else "")

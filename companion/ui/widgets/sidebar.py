"""The list of past conversations, newest first."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message
from textual.widgets import Label, ListItem, ListView

from companion.domain import Conversation
from companion.i18n import t


class ConversationItem(ListItem):
    def __init__(self, conversation: Conversation) -> None:
        title = conversation.title or t("widgets.new_conversation")
        super().__init__(Label(title, markup=False))
        self.conversation_id = conversation.id


class Sidebar(ListView):
    """Selecting an item asks the screen to open that conversation."""

    @dataclass
    class Open(Message):
        conversation_id: int

    def show(self, conversations: list[Conversation], current: int | None) -> None:
        self.clear()
        items = [ConversationItem(c) for c in conversations]
        self.extend(items)
        for index, item in enumerate(items):
            if item.conversation_id == current:
                self.index = index

    def on_list_view_selected(self, event: ListView.Selected) -> None:
        event.stop()
        if isinstance(event.item, ConversationItem):
            self.post_message(self.Open(event.item.conversation_id))

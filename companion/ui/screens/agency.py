"""The chat screen's part in the person's agency and boundaries (a mixin for ChatScreen).

- F4 (or `e` on a focused message of theirs): the last message goes back into the
  composer; Enter replaces it, removes the reply after it and asks again; Esc leaves it.
- F8 (or Delete on a focused message): delete that message, or the last one, after a yes.
- Ctrl+G: continue anyway, when the daily limit's pause holds a reply.
- Ctrl+T: time spent.

The work itself is `companion.conversation.agency` and `companion.care.boundaries`; this only
shows it.
"""

from __future__ import annotations

from typing import Any

from textual.widgets import Input

from companion.care.boundaries import Decision
from companion.conversation import agency
from companion.errors import CompanionError
from companion.i18n import t
from companion.ui.widgets.message import MessageView


class ChatAgency:
    """Mixed into ChatScreen, which provides session, notice, answer, show_conversation,
    replying and the composer."""

    editing: int | None = None
    """The id of the message being edited in the composer, if any."""
    held_reply: bool = False
    """A reply the daily limit's pause holds back; the message itself is saved."""
    crisis_now: bool = False
    """Set by the crisis scan for the message about to be answered: nothing holds it."""
    _draft_before_edit: str = ""
    _held_in: int | None = None

    # boundaries -----------------------------------------------------------------------

    def before_reply(self) -> Decision:
        """Called by `answer` once a model is ready; a held reply shows why, and how to go
        on. A crisis always goes through."""
        screen: Any = self
        watch = getattr(screen.app, "boundary_watch", None)
        if watch is None:
            return Decision()
        crisis = self.crisis_now or (watch.holding() and self._shows_crisis())
        self.crisis_now = False  # it was about this message; the next one is scanned anew
        decision = watch.before_reply(crisis=crisis)
        self.held_reply = decision.hold
        self._held_in = screen.session.conversation_id
        if decision.hold:
            screen.notice((decision.notice or "") + t("agency.continue_hint"))
        return decision

    def _shows_crisis(self) -> bool:
        """Whether the person's newest words (since the last reply) show signs of crisis:
        then nothing holds the reply, whoever else looked at them."""
        from companion.care.safety import scan

        screen: Any = self
        for message in reversed(screen.session.messages()):
            if message.role != "user":
                return False
            if scan(message.content).fired:
                return True
        return False

    async def release_held_reply(self) -> None:
        screen: Any = self
        if not self.held_reply or screen.replying:
            return
        self.held_reply = False
        stored = screen.session.messages()
        if (screen.session.conversation_id != self._held_in or not stored
                or stored[-1].role != "user"):
            return  # the person moved on; nothing here is waiting for an answer
        await screen.answer()

    async def action_continue_anyway(self) -> None:
        screen: Any = self
        watch = getattr(screen.app, "boundary_watch", None)
        if watch is not None:
            watch.continue_anyway()
        if self.held_reply:
            await self.release_held_reply()
        else:
            screen.notify(t("agency.nothing_waiting"), timeout=4)

    def action_usage(self) -> None:
        from companion.ui.screens.usage import UsageScreen

        screen: Any = self
        screen.app.push_screen(UsageScreen())

    # edit the last message ------------------------------------------------------------

    def action_edit_last(self) -> None:
        screen: Any = self
        if screen.replying:
            screen.notify(t("chat.still_replying"), timeout=4)
            return
        last = agency.last_user_message(screen.session.vault, screen.session.conversation_id)
        if last is None:
            screen.notice(t("agency.nothing_to_edit"))
            return
        focused = screen.focused
        if isinstance(focused, MessageView) and focused.message_id not in (None, last.id):
            screen.notice(t("agency.only_last"))
            return
        composer = screen.query_one("#composer", Input)
        if self.editing is None:
            self._draft_before_edit = composer.value
        self.editing = last.id
        composer.value = last.content
        composer.cursor_position = len(last.content)
        composer.focus()
        screen.notice(t("agency.editing"))

    def cancel_edit(self) -> None:
        screen: Any = self
        self.editing = None
        screen.query_one("#composer", Input).value = self._draft_before_edit
        self._draft_before_edit = ""
        screen.notice("")

    async def finish_edit(self, text: str) -> None:
        """Enter while editing: new words, the old reply gone, a new one streaming."""
        screen: Any = self
        if screen.replying:
            screen.notify(t("chat.still_replying"), timeout=4)
            return
        last = agency.last_user_message(screen.session.vault, screen.session.conversation_id)
        if last is None or last.id != self.editing:
            self.editing = None
            screen.notice(t("agency.no_longer_last"))
            return
        try:
            edited = agency.edit_last(screen.session.vault, screen.session.conversation_id,
                                      text)
        except CompanionError as exc:
            screen.notice(str(exc))
            return
        self.editing = None
        screen.query_one("#composer", Input).value = self._draft_before_edit
        self._draft_before_edit = ""
        await screen.show_conversation()
        if edited.had_reply:
            await screen.answer()
        else:
            screen.notice(t("agency.changed"))

    # delete a message -----------------------------------------------------------------

    def _message_to_delete(self) -> int | None:
        screen: Any = self
        focused = screen.focused
        if isinstance(focused, MessageView):
            if focused.message_id is not None:
                return focused.message_id
            shown = list(screen.query(MessageView))
            stored = screen.session.messages()
            if len(shown) == len(stored) and focused in shown:
                return stored[shown.index(focused)].id
            return None
        stored = screen.session.messages()
        return stored[-1].id if stored else None

    def action_delete_message(self) -> None:
        """Delete the focused message (or the last one), after a yes."""
        from companion.ui.widgets.jobs import Confirm

        screen: Any = self
        if screen.replying:
            screen.notify(t("chat.still_replying"), timeout=4)
            return
        message_id = self._message_to_delete()
        message = (screen.session.vault.conversations.message(message_id)
                   if message_id is not None else None)
        if message is None:
            screen.notice(t("agency.nothing_to_delete"))
            return
        words = " ".join(message.content.split())
        shown = words if len(words) <= 80 else words[:79] + "…"
        question = t("agency.delete_mine" if message.role == "user" else "agency.delete_reply",
                     text=shown)

        async def answered(yes: bool | None) -> None:
            if not yes:
                return
            try:
                agency.delete_message(screen.session.vault, message.id)
            except CompanionError as exc:
                screen.notice(str(exc))
                return
            if self.editing == message.id:
                self.cancel_edit()
            await screen.show_conversation()
            screen.notice(t("agency.deleted"))
            screen.query_one("#composer", Input).focus()

        screen.app.push_screen(Confirm(question, t("agency.delete_yes"), t("agency.keep")),
                               answered)

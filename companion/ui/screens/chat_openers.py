"""What the chat screen opens beside or on top of the conversation (a mixin for
ChatScreen): the other screens one key away, the support panel, "why did you say
that?", deleting the conversation, and changing the passphrase.

Kept apart from chat.py, which owns the conversation itself: the messages, the
composer and the streaming reply.
"""

from __future__ import annotations

from typing import Any

from companion.i18n import t


class ChatOpeners:
    """Mixed into ChatScreen, which provides session, app, notice, save_draft, replying,
    show_conversation, refresh_sidebar and crisis_now."""

    session: Any
    app: Any
    replying: bool
    crisis_now: bool

    def notice(self, text: str) -> None: ...
    def save_draft(self) -> None: ...
    async def show_conversation(self) -> None: ...
    def refresh_sidebar(self) -> None: ...

    def offer_support(self, text: str) -> None:
        """Signs of crisis: the support panel opens beside the chat (never a modal, the
        composer keeps focus) and no boundary may hold the reply."""
        from companion.care.safety import scan
        from companion.ui.widgets.support_panel import panel_for, show_support

        if scan(text).fired:
            self.crisis_now = True
            show_support(self, panel_for(self.app))

    def ask_second_opinion(self) -> None:
        """After a reply: the local model on a borderline or distressed message, in the
        background (care/second_opinion.py); a yes opens the support panel then."""
        session = getattr(self, "session", None)
        if session is not None and session.engine is not None:
            self.run_worker(self._second_opinion, thread=True, exclusive=True,
                            group="second-opinion")

    def _second_opinion(self) -> None:
        from companion.care.second_opinion import SECOND_OPINION
        from companion.ui.widgets.support_panel import panel_for, show_support

        signal = self.session.second_opinion()  # type: ignore[attr-defined]
        if signal is not None and SECOND_OPINION in signal.matched:  # raised by the model
            def show() -> None:
                if self.app.vault is None or not self.is_attached:  # locked meanwhile
                    return
                self.crisis_now = True
                show_support(self, panel_for(self.app))

            self.app.call_from_thread(show)

    def action_models(self) -> None:
        """The Models screen: the only place in the app where the pin can move."""
        from companion.ui.screens.models import ModelsScreen

        self.save_draft()
        self.app.push_screen(ModelsScreen())

    def action_journal(self) -> None:
        """Writing for oneself: entries get no reply."""
        from companion.ui.screens.journal import JournalScreen

        self.save_draft()
        self.app.push_screen(JournalScreen())

    def action_memories(self) -> None:
        from companion.ui.screens.memories import MemoriesScreen

        self.save_draft()
        self.app.push_screen(MemoriesScreen())

    def action_why(self) -> None:
        """"Why did you say that?": what was recalled for the latest reply, and from where."""
        from companion.memory.recall import explain

        replies = [m for m in self.session.messages() if m.role == "assistant"]
        if not replies:
            self.notice(t("openers.no_reply"))
            return
        items = explain(self.session.vault, replies[-1].id)
        if not items:
            self.notice(t("openers.nothing_recalled"))
            return
        lines = [t("openers.recalled")]
        for kind, item_id, _score, text in items:
            shown = (" ".join(text.split())[:100] if text is not None
                     else t("openers.since_forgotten"))
            key = f"openers.kind_{kind}"
            word = t(key)
            lines.append(f"• {kind if word == key else word} #{item_id}: {shown}")
        self.notice("\n".join(lines))

    def action_delete_conversation(self) -> None:
        """Delete the open conversation and all that was learned from it, after a yes."""
        from companion.ui.widgets.jobs import Confirm

        conversation_id = self.session.conversation_id
        if conversation_id is None or self.replying:
            self.notice(t("openers.open_to_delete"))
            return
        count = len(self.session.messages())
        question = t("openers.delete_question", count=count)

        async def answered(yes: bool | None) -> None:
            if not yes:
                return
            from companion.vault.forget import forget_conversation

            with self.session.vault.lock:
                gone = forget_conversation(self.session.vault, conversation_id)
                self.session.vault.checkpoint()
            self.session.start_blank()
            await self.show_conversation()
            self.refresh_sidebar()
            self.notice(t("openers.deleted", memories=gone.memories,
                          summaries=gone.summaries))

        self.app.push_screen(Confirm(question, t("openers.delete_yes"), t("openers.keep")),
                             answered)

    def action_safety_plan(self) -> None:
        """The safety plan and trusted contacts, shown in the support panel."""
        from companion.ui.screens.safety_plan import SafetyPlanScreen
        from companion.ui.widgets.support_panel import refresh_support

        self.save_draft()
        self.app.push_screen(SafetyPlanScreen(), lambda _: refresh_support(self))

    def action_toggle_support(self) -> None:
        """Show or put away the support panel; it never takes focus from the composer."""
        from companion.ui.widgets.support_panel import toggle_support

        toggle_support(self)

    def action_mood(self) -> None:
        from companion.ui.screens.mood import MoodScreen

        self.app.push_screen(MoodScreen())

    def action_trends(self) -> None:
        """How I've been: moods, time spent and topics over the last 7, 30 or 90 days."""
        from companion.ui.screens.trends import TrendsScreen

        self.save_draft()
        self.app.push_screen(TrendsScreen())

    def action_change_passphrase(self) -> None:
        """A new passphrase while the vault stays open: only its key file changes."""
        from companion.ui.screens.passphrase import PassphraseScreen

        self.save_draft()
        self.app.push_screen(PassphraseScreen())

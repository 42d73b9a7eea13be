"""The conversation: sidebar, messages, composer, status bar and footer.

Replies stream from a thread worker; its pieces are joined into batches (50 ms apart or
more, paced to what each update costs the UI thread: ui/stream_batch.py) that arrive as
messages (post_message is thread-safe) and are appended to a Markdown stream, so the UI
never waits on the model, does one update per batch rather than per token (on two cores
that work is taken from llama.cpp), and Esc still stops a reply within one token. An
answer may have several parts (Room voices, a rehearsal role, an exercise step): each
`Part` starts a new labelled message.
Modes are chosen with F6 (screens/modes.py).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Input, Markdown, Static

from companion.care import modes
from companion.conversation.session import Reply, Session
from companion.errors import CompanionError
from companion.i18n import t
from companion.logs import log_unexpected
from companion.ui.binding_words import Worded
from companion.ui.screens.agency import ChatAgency
from companion.ui.screens.chat_openers import ChatOpeners
from companion.ui.screens.modes import ChatModes, ModeCommands
from companion.ui.screens.trends import TrendsCommands
from companion.ui.stream_batch import Batcher, Pace
from companion.ui.widgets.message import MessageView
from companion.ui.widgets.sidebar import Sidebar
from companion.ui.widgets.status_bar import StatusBar

DRAFT_SAVE_DELAY = 0.8

Answer = Callable[..., Reply]
"""`Session.reply` or another way to answer: (on_text, cancel, on_part) -> Reply."""


class ChatScreen(Worded, ChatAgency, ChatModes, ChatOpeners, Screen[None]):
    COMMANDS = {ModeCommands, TrendsCommands}
    BINDINGS = [
        Binding("escape", "stop", "Stop reply", id="stop"),
        Binding("ctrl+n", "new_conversation", "New conversation", id="new_conversation"),
        Binding("ctrl+b", "toggle_sidebar", "Sidebar", id="toggle_sidebar"),
        Binding("ctrl+o", "models", "Models", id="models"),
        Binding("ctrl+j", "journal", "Journal", id="journal"),
        Binding("ctrl+y,f3", "memories", "Memories", id="memories"),
        # priority: the composer (Input) binds ctrl+e; hidden: priority keys would lead the
        # footer, which is full at 100 columns (the palette names it)
        Binding("ctrl+e", "mood", "Mood", id="mood", priority=True, show=False),
        Binding("f2", "why", "Why?", id="why", show=False),
        # agency and boundaries (screens/agency.py)
        Binding("f4", "edit_last", "Edit last", id="edit_last", show=False),
        Binding("f8", "delete_message", "Delete message", id="delete_message", show=False),
        Binding("ctrl+g", "continue_anyway", "Continue anyway", id="continue_anyway",
                show=False),
        Binding("ctrl+t", "usage", "Time spent", id="usage", show=False),
        Binding("ctrl+r", "trends", "How I've been", id="trends", show=False),
        # crisis support (widgets/support_panel.py); named in the palette
        Binding("f5", "safety_plan", "Safety plan", id="safety_plan", show=False),
        Binding("f9", "toggle_support", "Support", id="toggle_support", show=False),
        # modes (screens/modes.py)
        Binding("f6", "pick_mode", "Mode", id="pick_mode", show=False),
        Binding("f7", "end_rehearsal", "End rehearsal", id="end_rehearsal", show=False),
        Binding("ctrl+q", "app.quit", "Quit", id="quit"),
    ]

    @dataclass
    class Chunk(Message):
        text: str

    @dataclass
    class Part(Message):
        speaker: str | None
        colour: str | None

    @dataclass
    class Done(Message):
        reply: Reply

    @dataclass
    class Failed(Message):
        text: str

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self._cancel = threading.Event()
        self._streaming: MessageView | None = None
        self._stream: object | None = None
        self._pace = Pace()
        self._ui_mark = (0.0, 0.0)  # the UI thread's CPU time and the clock at the last batch
        self._draft_timer: object | None = None
        self.replying = False
        self.waiting_for_model = False
        self._waiting_action: Answer | None = None
        self._views: list[MessageView] = []

    def compose(self) -> ComposeResult:
        with Horizontal(id="main"):
            yield Sidebar(id="sidebar")
            with Vertical(id="conversation"):
                yield VerticalScroll(id="messages")
                yield Static("", id="notice")
                yield Input(placeholder=t("chat.placeholder"), id="composer")
        yield StatusBar(id="status")
        yield Footer()

    async def on_mount(self) -> None:
        composer = self.query_one("#composer", Input)
        composer.value = self.session.draft()
        composer.focus()
        self.query_one("#messages", VerticalScroll).anchor()
        await self.show_conversation()
        await self.resume_exercise()

    # showing --------------------------------------------------------------------------

    async def show_conversation(self) -> None:
        box = self.query_one("#messages", VerticalScroll)
        await box.remove_children()
        state = self.session.mode().state
        await box.mount_all([MessageView.of(m, colour=modes.colour_for(m.speaker, state)
                                            if m.speaker else None)
                             for m in self.session.messages()])
        box.scroll_end(animate=False)
        self.refresh_sidebar()
        self.show_mode()

    def refresh_sidebar(self) -> None:
        self.query_one(Sidebar).show(self.session.conversations(), self.session.conversation_id)

    def notice(self, text: str) -> None:
        """Notices may quote the person's words or a model's, so never as markup."""
        self.query_one("#notice", Static).update(Text(text))

    @property
    def status(self) -> StatusBar:
        return self.query_one(StatusBar)

    # drafts ---------------------------------------------------------------------------

    @on(Input.Changed, "#composer")
    def _draft_changed(self) -> None:
        if self._draft_timer is not None:
            self._draft_timer.stop()  # type: ignore[attr-defined]
        self._draft_timer = self.set_timer(DRAFT_SAVE_DELAY, self.save_draft)

    def save_draft(self) -> None:
        self.session.save_draft(self.query_one("#composer", Input).value)

    # sending --------------------------------------------------------------------------

    @on(Input.Submitted, "#composer")
    async def send(self) -> None:
        composer = self.query_one("#composer", Input)
        text = composer.value
        if not text.strip():
            return
        if self.editing is not None:
            await self.finish_edit(text)
            return
        if self.replying:
            self.notify(t("chat.still_replying"), timeout=4)
            return
        try:
            message = self.session.add_user_message(text)
        except CompanionError as exc:
            self.notify(str(exc), severity="error")
            return
        composer.value = ""
        box = self.query_one("#messages", VerticalScroll)
        await box.mount(MessageView.of(message))
        box.scroll_end(animate=False)
        self.refresh_sidebar()
        self.offer_support(text)
        await self.answer()

    async def answer(self, action: Answer | None = None, *,
                     needs_model: bool | None = None) -> None:
        """Answer the conversation as it stands, in its mode, or run `action` (start an
        exercise, end a rehearsal) the same way; journal mode needs no model at all."""
        session = self.session
        needed = session.needs_model() if needs_model is None else needs_model
        silent = (action is None and session.mode().name == "journal"
                  and not session.settings.journal_acknowledge)
        engine_state = self.app.engine_state  # type: ignore[attr-defined]
        if engine_state == "loading" and not silent:
            self.waiting_for_model, self._waiting_action = True, action
            self.notice(t("chat.loading") if action is None else t("chat.loading_action"))
            return
        if session.engine is None and needed:
            self.notice(t("chat.no_model"))
            return
        if not silent:
            decision = self.before_reply()  # the person's boundaries; never holds a crisis
            if decision.hold:
                return
            self.notice(decision.notice or "")
        self._views = []
        self._cancel = threading.Event()
        self.replying = True
        self._ui_mark = (time.thread_time(), time.monotonic())
        self._run_reply(self._cancel, action or session.reply)

    @work(thread=True, exclusive=True, group="reply")
    def _run_reply(self, cancel: threading.Event, action: Answer) -> None:
        batch = Batcher(lambda text: self.post_message(self.Chunk(text)), self._pace)

        def part(speaker: str | None, colour: str | None) -> None:
            batch.begin()  # the text so far belongs to the part before
            self.post_message(self.Part(speaker, colour))

        end: Message
        try:
            end = self.Done(action(batch.add, cancel, part))
        except CompanionError as exc:
            end = self.Failed(str(exc))
        except Exception as exc:
            log_unexpected(exc)
            end = self.Failed(t("chat.failed", error=type(exc).__name__))
        batch.flush()  # whatever was streamed is shown whole, a stopped reply too
        self.post_message(end)

    async def on_chat_screen_part(self, event: Part) -> None:
        """A new part of the answer: its own message, labelled with who speaks."""
        await self._stop_stream()
        view = MessageView("assistant", speaker=event.speaker, colour=event.colour)
        box = self.query_one("#messages", VerticalScroll)
        await box.mount(view)
        box.scroll_end(animate=False)
        self._views.append(view)
        self._streaming = view
        self._stream = Markdown.get_stream(view.markdown)

    async def on_chat_screen_chunk(self, event: Chunk) -> None:
        # what the UI thread did since the last batch (appending, layout, frames) sets how
        # often the worker sends the next ones (ui/stream_batch.py)
        cpu, now = time.thread_time(), time.monotonic()
        self._pace.observe(cpu - self._ui_mark[0], now - self._ui_mark[1])
        self._ui_mark = (cpu, now)
        if self._stream is not None:
            await self._stream.write(event.text)  # type: ignore[attr-defined]

    async def _stop_stream(self) -> None:
        if self._stream is not None:
            await self._stream.stop()  # type: ignore[attr-defined]
            self._stream = None

    async def _finish_stream(self) -> None:
        await self._stop_stream()
        self.replying = False

    async def on_chat_screen_done(self, event: Done) -> None:
        await self._finish_stream()
        reply = event.reply
        for view, message in zip(self._views, reply.parts, strict=False):
            view.message_id = message.id
        if self._streaming is not None:
            self._streaming.mark_stopped(reply.stopped)
            self._streaming = None
        if reply.model_calls:
            self.status.show_speed(reply.stats.tokens_per_second)
        elif reply.mode == "journal" and not reply.parts:  # a crisis note is an answer
            self.notice(t("chat.journal_kept"))
        self.show_mode()
        self.refresh_sidebar()
        self.ask_second_opinion()

    async def on_chat_screen_failed(self, event: Failed) -> None:
        await self._finish_stream()
        if self._streaming is not None:
            self._streaming.mark_stopped(True)
            self._streaming = None
        self.notice(event.text)
        self.notify(event.text, severity="error", timeout=8)

    async def model_ready(self) -> None:
        """Called by the app once loading ended; answers a message sent meanwhile."""
        if self.waiting_for_model:
            self.waiting_for_model = False
            await self.answer(self._waiting_action)

    # actions --------------------------------------------------------------------------

    def action_stop(self) -> None:
        if self.replying:
            self._cancel.set()
        elif self.editing is not None:
            self.cancel_edit()

    async def action_new_conversation(self) -> None:
        if self.replying:
            self.notify(t("chat.still_replying"), timeout=4)
            return
        self.session.start_blank()
        self.notice("")
        await self.show_conversation()
        self.app.memory_work.left_conversation()  # type: ignore[attr-defined]
        self.query_one("#composer", Input).focus()

    def action_toggle_sidebar(self) -> None:
        sidebar = self.query_one(Sidebar)
        sidebar.display = not sidebar.display

    async def on_sidebar_open(self, event: Sidebar.Open) -> None:
        if self.replying:
            self.notify(t("chat.still_replying"), timeout=4)
            return
        if event.conversation_id != self.session.conversation_id:
            self.session.open_conversation(event.conversation_id)
            await self.show_conversation()
            self.app.memory_work.left_conversation()  # type: ignore[attr-defined]
            await self.resume_exercise()
        self.query_one("#composer", Input).focus()

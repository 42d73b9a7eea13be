"""The Textual application: unlock, then talk; the model loads in the background.

Kept small on purpose: screens own their widgets and behaviour, the session owns the
turn, and this class only wires them together and owns the vault and the engine.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.worker import get_current_worker

from companion import i18n
from companion.errors import CompanionError, EngineChanged, ModelError, PinMismatch
from companion.i18n import t
from companion.logs import log_unexpected
from companion.ui.background import MemoryWork
from companion.ui.boundary_watch import BoundaryWatch
from companion.ui.keys import apply_keys
from companion.ui.lock import AppLock
from companion.ui.screens.problem import ProblemScreen
from companion.ui.screens.unlock import UnlockScreen
from companion.ui.themes import apply_themes

if TYPE_CHECKING:  # the first frame needs none of these; they load behind it
    from companion.care.boundaries import Clock
    from companion.config import Settings
    from companion.conversation.session import Session
    from companion.engine.base import ChatEngine
    from companion.models.pin import Pin
    from companion.models.pinning import Loaded
    from companion.paths import Paths
    from companion.ui.screens.chat import ChatScreen
    from companion.vault import Vault

EngineLoader = Any  # Callable[[str, Settings], ChatEngine]
CHAT_MODULE = "companion.ui.screens.chat"
PRELOAD_AFTER_SECONDS = 0.3  # the first frame is drawn by then; typing takes longer
BEHIND_FIRST_FRAME = (  # imported in a thread while the person types the passphrase
    "companion.vault", "companion.conversation.session", CHAT_MODULE,
    "companion.ui.screens.onboarding", "companion.care.boundaries",
)
CHAT_COMMANDS = (
    ("new_conversation", "action_new_conversation"), ("stop", "action_stop"),
    ("toggle_sidebar", "action_toggle_sidebar"), ("models", "action_models"),
    ("journal", "action_journal"), ("memories", "action_memories"), ("mood", "action_mood"),
    ("why", "action_why"), ("safety_plan", "action_safety_plan"),
    ("support", "action_toggle_support"), ("delete_conversation", "action_delete_conversation"),
    ("edit_last", "action_edit_last"), ("delete_message", "action_delete_message"),
    ("usage", "action_usage"), ("change_passphrase", "action_change_passphrase"),
)
"""The chat screen's palette commands: `palette.<id>` names it, `palette.<id>_help` says
what it does, and the screen's method of that name does it."""
TEXTUAL_COMMANDS = {
    "Change the current theme": "theme", "Quit the application as soon as possible": "quit",
    "Show help for the focused widget and a summary of available keys": "keys",
    "Hide the keys and widget help panel": "keys_hide", "Maximize the focused widget": "maximize",
    "Minimize the widget and restore to normal size": "minimize",
    "Save an SVG 'screenshot' of the current screen": "screenshot",
}
"""Textual's own palette commands, by their English help: their ids in the catalogue (one
Textual adds later stays in English rather than vanishing)."""


class CompanionApp(App[None]):
    TITLE = "companion"
    CSS_PATH = "app.tcss"
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = [Binding("f1", "limits", "Limits", id="limits", show=False),
                Binding("ctrl+l", "lock", "Lock", id="lock", show=False, priority=True)]
    """F1: what companion is and is not; Ctrl+L: lock (ui/lock.py); from any screen."""

    def __init__(
        self,
        paths: Paths,
        settings: Settings,
        *,
        passphrase: str | None = None,
        engine_loader: EngineLoader | None = None,
        overrides: dict[str, Any] | None = None,
        clock: Clock | None = None,
    ) -> None:
        super().__init__()
        self.paths = paths
        self.settings = settings
        i18n.use(i18n.choose(settings.ui_language, settings.language))
        self._passphrase = passphrase
        self.failure: CompanionError | None = None
        """Why the app stopped before the chat opened (shown by the CLI, with its exit code)."""
        self._engine_loader = engine_loader
        self._overrides = overrides or {}
        self.memory_work = MemoryWork(self)
        if clock is None:
            from companion.care.boundaries import SystemClock

            clock = SystemClock()
        self.clock: Clock = clock
        """Where boundaries read the time; tests put a FakeClock here."""
        self.boundary_watch = BoundaryWatch(self)
        self.app_lock = AppLock(self)
        self.vault: Vault | None = None
        self.session: Session | None = None
        self.engine_state = "none"  # none | loading | ready | failed

    # start ----------------------------------------------------------------------------

    def on_mount(self) -> None:
        apply_themes(self, self.paths.user_themes, self.settings.theme)
        apply_keys(self, self.settings.keys)
        self.set_timer(PRELOAD_AFTER_SECONDS, self._load_the_rest)
        from companion.conversation import unlock

        try:
            new = unlock.needs_new_vault(self.paths)
        except CompanionError as exc:
            self.push_screen(ProblemScreen(str(exc)))
            return
        if self._passphrase is not None:
            self._unlock_with_file(self._passphrase, new)
            return
        self.push_screen(UnlockScreen(self.paths, create=new), self._after_passphrase)

    @work(thread=True, group="preload", exit_on_error=False)
    def _load_the_rest(self) -> None:
        """Import what comes after the passphrase while the person types it; a failure
        here stops nothing (the same import is made again where it is needed)."""
        import importlib

        for name in BEHIND_FIRST_FRAME:
            importlib.import_module(name)

    @work(thread=True, exclusive=True, group="unlock")
    def _unlock_with_file(self, passphrase: str, new: bool) -> None:
        from companion.conversation import unlock

        try:
            vault = (unlock.create_vault(self.paths, passphrase) if new
                     else unlock.unlock_vault(self.paths, passphrase))
        except CompanionError as exc:  # a script's passphrase file: say it and stop
            self.failure = exc
            self.call_from_thread(self.exit, None, exc.exit_code)
            return
        self.call_from_thread(self._unlocked, vault)

    async def _unlocked(self, vault: Vault | None) -> None:
        from companion.conversation.session import Session
        from companion.ui.screens.chat import ChatScreen

        if vault is None:
            return
        self.vault = vault
        from companion.care.profile import ui_language
        from companion.ui.screens.persona_editor import report_problems

        report_problems(self, vault)
        i18n.use(ui_language(self.settings, vault))  # onboarding's reply language
        self.session = Session(vault, self.settings)
        self.boundary_watch.start(vault)
        await self.push_screen(ChatScreen(self.session))
        self.memory_work.start()
        self.app_lock.start()
        self._start_model()

    # the model ------------------------------------------------------------------------

    def _start_model(self) -> None:
        from companion.models import pinning

        screen = self._chat()
        assert self.vault is not None
        if (self._engine_loader is None and self.settings.model is None
                and not self.settings.engine and pinning.current_pin(self.vault) is None):
            self.engine_state = "none"
            if screen:
                screen.status.show_problem(t("app.no_model_status"))
                screen.notice(t("app.no_model"))
            return
        self.engine_state = "loading"
        if screen:
            screen.status.show_problem(t("app.loading"))
        self._load_model()

    @work(thread=True, exclusive=True, group="model")
    def _load_model(self) -> None:
        from companion.conversation import pinned_model
        from companion.models import pinning

        assert self.vault is not None
        try:
            if self._engine_loader is not None:
                engine: ChatEngine = self._engine_loader(self.settings.model, self.settings)
                loaded = None
            else:
                loaded = pinned_model.load(self.paths, self.vault, self.settings,
                                           overrides=self._overrides)
                if loaded is None:
                    raise ModelError(t("app.not_set"))
                engine = loaded.engine
        except PinMismatch as exc:  # never go on with another model: let the person choose
            self.call_from_thread(self._pin_problem, str(exc), pinning.current_pin(self.vault),
                                  isinstance(exc, EngineChanged))
            return
        except CompanionError as exc:
            self.call_from_thread(self._model_failed, str(exc))
            return
        except Exception as exc:
            log_unexpected(exc)
            self.call_from_thread(self._model_failed,
                                  t("app.load_failed", error=type(exc).__name__))
            return
        if get_current_worker().is_cancelled:  # a newer load (reload_model) replaced this one
            pinning.close_engine(engine)
            return
        self.call_from_thread(self._model_loaded, engine, loaded)

    async def _model_loaded(self, engine: ChatEngine, loaded: Loaded | None) -> None:
        assert self.session is not None
        self.session.engine = engine
        if loaded is not None:
            self.session.settings = replace(self.session.settings, sampling=loaded.sampling)
        self.engine_state = "ready"
        screen = self._chat()
        if screen:
            from companion.ui.widgets.status_bar import elsewhere

            screen.status.show_model(engine.model, elsewhere=elsewhere(engine))
            if loaded is not None and loaded.notices:
                screen.notice(" ".join(loaded.notices))
                for notice in loaded.notices:
                    self.notify(notice, timeout=12)
            await screen.model_ready()
        self.memory_work.model_ready()

    async def _model_failed(self, text: str) -> None:
        self.engine_state = "failed"
        screen = self._chat()
        if screen:
            screen.status.show_problem(t("app.failed_status"))
            screen.notice(t("app.still_write", problem=text))
            screen.waiting_for_model = False
        self.notify(text, severity="error", timeout=10)

    async def _pin_problem(self, text: str, pin: Pin | None, engine: bool = False) -> None:
        from companion.ui.screens.pin_problem import PinProblemScreen

        self.engine_state = "failed"
        screen = self._chat()
        what = "engine" if engine else "file"
        if screen:
            screen.status.show_problem(t(f"app.pin_status_{what}"))
            screen.notice(t(f"app.pin_notice_{what}"))
            screen.waiting_for_model = False
        await self.push_screen(PinProblemScreen(text, pin, engine=engine))

    def reload_model(self) -> None:
        """Load the engine for the pin as it is now, after Use, Rollback or a restore.

        The model named at start (--model or config.toml) no longer applies once the pin
        was moved on purpose; keeping it would only earn a warning that it differs.
        """
        from companion.models import pinning

        if self.session is None:
            return
        old, self.session.engine = self.session.engine, None
        self.settings = replace(self.settings, model=None)
        screen = self._chat()
        if old is not None and not (screen and screen.replying):
            pinning.close_engine(old)
        self._start_model()

    def _chat(self) -> ChatScreen | None:
        chat = sys.modules.get(CHAT_MODULE)  # not imported yet: there is no chat screen
        for screen in reversed(self.screen_stack):
            if chat is not None and isinstance(screen, chat.ChatScreen):
                return screen
        return None

    # onboarding, limits and personas ------------------------------------------------

    async def _after_passphrase(self, vault: Vault | None) -> None:
        """The first time a vault is opened here, onboarding comes before the chat.

        It comes first because the session's system text is built from its answers.
        """
        from companion.care.profile import needs_onboarding
        from companion.ui.screens.onboarding import OnboardingScreen

        if vault is None or not needs_onboarding(vault):
            await self._unlocked(vault)
            return
        self.vault = vault  # closed on the way out even if the person quits here

        async def onboarded(_profile: dict[str, str] | None) -> None:
            await self._unlocked(vault)

        await self.push_screen(OnboardingScreen(vault, self.settings), onboarded)

    def action_lock(self) -> None:
        self.app_lock.lock()

    def action_help_quit(self) -> None:
        """Ctrl+C copies rather than quits; Textual's own hint for it is English only."""
        self.notify(t("app_quit.hint"))

    def action_command_palette(self) -> None:
        """Textual's palette, with its search line in the person's language."""
        from textual.command import CommandPalette

        if self.use_command_palette and not CommandPalette.is_open(self):
            self.push_screen(CommandPalette(id="--command-palette",
                                            placeholder=t("palette.search")))

    def action_limits(self) -> None:
        from companion.ui.screens.limits import LimitsScreen

        if isinstance(self.screen, LimitsScreen):
            self.screen.dismiss(None)
        else:
            self.push_screen(LimitsScreen())

    def action_persona(self) -> None:
        from companion.ui.screens.persona_editor import PersonaScreen

        if self.vault is not None and not isinstance(self.screen, PersonaScreen):
            self.push_screen(PersonaScreen())

    def action_about_you(self) -> None:
        from companion.ui.screens.onboarding import OnboardingScreen

        if self.vault is not None and not isinstance(self.screen, OnboardingScreen):
            self.push_screen(OnboardingScreen(self.vault, self.settings, again=True))

    # commands and shutdown ------------------------------------------------------------

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """The palette's commands, named in the person's language when it is opened."""
        for command in super().get_system_commands(screen):
            name = TEXTUAL_COMMANDS.get(command.help)
            yield command if name is None else command._replace(
                title=t(f"palette.{name}"), help=t(f"palette.{name}_help"))
        yield SystemCommand(t("palette.limits"), t("palette.limits_help"), self.action_limits)
        yield from self.app_lock.commands()
        if self.session is not None:
            yield SystemCommand(t("palette.persona"), t("palette.persona_help"),
                                self.action_persona)
            yield SystemCommand(t("palette.about_you"), t("palette.about_you_help"),
                                self.action_about_you)
        if screen is self._chat():
            held = (("continue_anyway", "action_continue_anyway"),) if screen.held_reply else ()
            for name, action in CHAT_COMMANDS + held:
                yield SystemCommand(t(f"palette.{name}"), t(f"palette.{name}_help"),
                                    getattr(screen, action))

    async def action_quit(self) -> None:
        """Stop a reply (it is saved as stopped), keep the draft, then leave."""
        screen = self._chat()
        self.memory_work.stop()  # unfinished summaries resume at the next start
        self.boundary_watch.flush()  # the last stretch of time spent
        if screen is not None:
            screen.action_stop()
            screen.save_draft()
            replies = [w for w in self.workers if w.group == "reply" and w.is_running]
            if replies:
                await self.workers.wait_for_complete(replies)
        self.exit()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseEvent)) and not event.is_forwarded:
            self.app_lock.activity()  # any key or mouse event puts off the idle lock
            if isinstance(event, (events.Key, events.MouseDown)):
                self.boundary_watch.activity()  # time spent counts only while someone is here
        await super().on_event(event)

    def on_unmount(self) -> None:
        if self.vault is not None:
            self.vault.close()
            self.vault = None

    def _fatal_error(self) -> None:
        """Replace Textual's crash report, which prints local variables (the user's words)."""
        error = sys.exc_info()[1]
        if error is not None:
            log_unexpected(error)
        self.bell()
        self._exit_renderables.append(Text(t("app.crashed", path=self.paths.log_file)))
        self._close_messages_no_wait()

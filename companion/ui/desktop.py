"""The desktop window's server: textual-serve, locked to this machine and this launch.

textual-serve by itself has no authentication and no Origin check, so any web page the
person visits could open its websocket on loopback and drive the app (and their vault).
`DesktopServer` closes that door:

- it binds 127.0.0.1 only, and the Host header must name that address and port (a DNS
  rebinding page carries another name);
- every path sits under a random per-launch token (`secrets.token_urlsafe`): the page,
  the static files and the websocket answer 403 without it. The token is in the path,
  not the query, because textual.js appends `?width=…` to the websocket URL;
- the websocket's Origin must be the server's own origin (403 otherwise);
- one session at a time (409 for a second one), since two windows on one vault would
  step on each other's drafts and replies;
- it stops when the window closes (the session ends and no new one starts within
  `GRACE_SECONDS`, long enough for the page's own "Restart"), or when the process that
  started it goes away (its stdin reaches end of file), or on SIGTERM/SIGINT.

The page is our own template (`desktop_page/`), textual-serve's without the Google Fonts
link and the remote logo: the font comes from textual-serve's static folder, and a
Content-Security-Policy keeps every request on this server. Each session runs the app
with `create_subprocess_exec` (textual-serve uses a shell; a home folder's name must
never become shell syntax). Downloads are not served (their URL would carry no token).

Run as `python -m companion.ui.desktop [--port N] -- APP_COMMAND...`: `serve()` wants a
main thread, and the window wants the other process's. The first line on stdout is the
URL to open; everything after goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import secrets
import signal
import socket
import sys
import threading
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web
from textual_serve.app_service import AppService
from textual_serve.server import Server, to_int

from companion.i18n import choose, current, t, use
from companion.vault.hardening import harden_process

PAGE_TEMPLATES = Path(__file__).parent / "desktop_page"
GRACE_SECONDS = 5.0  # a reload or "Restart" reconnects well within this
STOP_SECONDS = 15.0  # how long a quitting app may take to save its draft and close the vault
log = logging.getLogger("companion.desktop")


class PortTaken(Exception):
    """The port asked for is in use or not allowed; one sentence for the person."""


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class _AppService(AppService):
    """textual-serve's session, started without a shell and stopped within a limit."""

    def __init__(self, argv: Sequence[str], **kwargs: object) -> None:
        super().__init__(" ".join(argv), **kwargs)  # type: ignore[arg-type]
        self.argv = list(argv)

    async def _open_app_process(self, width: int = 80,
                                height: int = 24) -> asyncio.subprocess.Process:
        self._process = process = await asyncio.create_subprocess_exec(
            *self.argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=self._build_environment(width=width, height=height),
        )
        assert process.stdin is not None
        self._stdin = process.stdin
        return process

    async def stop(self) -> None:
        """Ask the app to quit (it saves the draft and closes the vault); kill it only if
        it has not gone within STOP_SECONDS."""
        task = self._task
        if task is None:
            return
        try:
            await asyncio.wait_for(super().stop(), STOP_SECONDS)
        except asyncio.TimeoutError:
            if self._process is not None and self._process.returncode is None:
                self._process.kill()
            task.cancel()
            self._task = None


class DesktopServer(Server):
    """textual-serve's `Server` for one window on this machine; see the module text."""

    def __init__(self, app_argv: Sequence[str], port: int = 0) -> None:
        super().__init__(" ".join(app_argv), host="127.0.0.1", port=port, title="companion",
                         templates_path=PAGE_TEMPLATES)
        self.app_argv = list(app_argv)
        self.token = secrets.token_urlsafe(32)
        self.prefix = f"/{self.token}/"
        self.session: web.WebSocketResponse | None = None
        self.stopping: asyncio.Event | None = None
        self.no_session: asyncio.Event | None = None
        self._idle: asyncio.TimerHandle | None = None

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def url(self) -> str:
        """The page, token included: the one line the person (or the window) opens."""
        return f"{self.origin}{self.prefix}"

    def initialize_logging(self) -> None:
        """Warnings only, on stderr: no banner, and no access log of token URLs."""
        logging.basicConfig(level=logging.DEBUG if self.debug else logging.WARNING,
                            stream=sys.stderr, format="companion desktop: %(message)s")

    async def on_startup(self, app: web.Application) -> None:
        """No banner: stdout carries only the URL."""

    @web.middleware
    async def guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """403 for any request without this launch's token or with another Host; headers
        that keep the page from reaching anything but this server."""
        path_ok = secrets.compare_digest(request.path[: len(self.prefix)].encode(),
                                         self.prefix.encode())
        host_ok = request.headers.get("Host", "") == f"{self.host}:{self.port}"
        if not (path_ok and host_ok):
            raise web.HTTPForbidden(text="forbidden")
        response = await handler(request)
        csp = ("default-src 'none'; script-src 'self' 'unsafe-inline'; "
               "style-src 'self' 'unsafe-inline'; font-src 'self'; img-src 'self' data:; "
               f"connect-src 'self' ws://{self.host}:{self.port}; "
               "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
        if not response.prepared:
            response.headers["Content-Security-Policy"] = csp
            response.headers["Referrer-Policy"] = "no-referrer"
            response.headers["Cache-Control"] = "no-store"
            response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    async def _make_app(self) -> web.Application:
        app = web.Application(middlewares=[self.guard])
        aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(self.templates_path),
                             autoescape=True)  # the words are ours; escaped all the same
        app.add_routes([
            web.get(self.prefix, self.handle_index, name="index"),
            web.get(f"{self.prefix}ws", self.handle_websocket, name="websocket"),
            web.static(f"{self.prefix}static", self.statics_path, name="static"),
        ])
        return app

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """One session at a time, from our own page only; its end may stop the server."""
        if request.headers.get("Origin") != self.origin:
            raise web.HTTPForbidden(text="forbidden origin")
        if self.session is not None:
            raise web.HTTPConflict(text="companion is already open in another window")
        websocket = web.WebSocketResponse(heartbeat=15)
        if not websocket.can_prepare(request).ok:  # not a handshake: no session to claim
            raise web.HTTPBadRequest(text="a websocket handshake is expected here")
        self.session = websocket
        if self.no_session is not None:
            self.no_session.clear()
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None
        service: _AppService | None = None
        try:
            await websocket.prepare(request)
            service = _AppService(self.app_argv, write_bytes=websocket.send_bytes,
                                  write_str=websocket.send_str, close=websocket.close,
                                  download_manager=self.download_manager, debug=self.debug)
            await service.start(to_int(request.query.get("width", "80"), 80),
                                to_int(request.query.get("height", "24"), 24))
            await self._process_messages(websocket, service)
        except asyncio.CancelledError:
            await websocket.close()
        except Exception as error:  # one broken session must not take the server down
            log.warning("the session ended with an error: %s", type(error).__name__)
        finally:
            if service is not None:
                await service.stop()
            self.session = None
            if self.no_session is not None:
                self.no_session.set()
            self._idle = asyncio.get_running_loop().call_later(GRACE_SECONDS, self.stop)
        return websocket

    def stop(self) -> None:
        if self.stopping is not None:
            self.stopping.set()

    def serve(self, debug: bool = False) -> None:
        """Bind 127.0.0.1 (port 0: a free one), print the URL, serve until stopped."""
        self.debug = debug
        self.initialize_logging()
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            listener.bind((self.host, self.port))
        except OSError as exc:
            listener.close()
            raise PortTaken(t("cli_desktop.port_taken", port=self.port, host=self.host,
                              reason=exc.strerror)) from None
        self.port = listener.getsockname()[1]
        self.public_url = self.origin + self.prefix.rstrip("/")
        asyncio.run(self._serve(listener))

    async def _serve(self, listener: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        self.stopping = asyncio.Event()
        self.no_session = asyncio.Event()
        self.no_session.set()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):  # Windows
                loop.add_signal_handler(signum, self.stop)
        threading.Thread(target=_wait_for_parent, args=(loop, self.stop), daemon=True).start()
        runner = web.AppRunner(await self._make_app(), handle_signals=False, access_log=None,
                               shutdown_timeout=STOP_SECONDS)
        await runner.setup()
        await web.SockSite(runner, listener).start()
        print(self.url, flush=True)
        os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # nobody reads stdout from here
        await self.stopping.wait()
        if self.session is not None:  # let the app quit cleanly before the runner goes
            await self.session.close()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.no_session.wait(), STOP_SECONDS + 1)
        await runner.cleanup()

    @aiohttp_jinja2.template("app_index.html")
    async def handle_index(self, request: web.Request) -> dict[str, object]:
        """textual-serve's context, with URLs that carry the token."""
        return {
            "font_size": to_int(request.query.get("fontsize", "16"), 16),
            "app_websocket_url": f"ws://{self.host}:{self.port}{self.prefix}ws",
            "config": {"static": {"url": f"{self.prefix}static/"}},
            "application": {"name": self.title},
            "lang": current(),  # the page's own few words, and its language for readers
            "words": {word: t(f"desktop_page.{word}") for word in ("start", "ended", "restart")},
        }


def _wait_for_parent(loop: asyncio.AbstractEventLoop, stop: Callable[[], None]) -> None:
    """Stop once stdin ends: the parent holds its other end, and that closes when the
    parent exits however it exits. `os.read`, not `sys.stdin`: a daemon thread blocked
    inside a buffered reader aborts the interpreter at exit."""
    with contextlib.suppress(OSError, ValueError):
        while os.read(sys.stdin.fileno(), 4096):
            pass
    with contextlib.suppress(RuntimeError):  # the loop is already closed
        loop.call_soon_threadsafe(stop)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m companion.ui.desktop")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("app", nargs=argparse.REMAINDER,
                        help="-- then the command that runs the app for each session")
    args = parser.parse_args(argv)
    command = args.app[1:] if args.app[:1] == ["--"] else args.app
    if not command:
        parser.error("give the app's command after --")
    harden_process()  # the passphrase typed in the window passes through this process
    use(choose())  # the parent hands its language on in COMPANION_UI_LANGUAGE
    try:
        DesktopServer(command, port=args.port).serve()
    except PortTaken as exc:
        print(f"companion: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

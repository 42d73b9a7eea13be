"""`companion desktop [--port N] [--no-open]`: the app in a window of its own.

The server (`companion.ui.desktop`, textual-serve locked to loopback, a per-launch token
and our own origin) runs in a child process because textual-serve's `serve()` wants a
main thread, and so does pywebview's window. The child prints the URL; this process
prints it too (one line, for scripts and for opening it by hand), then opens a pywebview
window when pywebview is installed (the `desktop` extra), else the default browser.

Each browser session runs `python -m companion` with this command line's global options,
so `--home`, `--model`, `--passphrase-file`, `--theme`… apply in the window as in the
terminal. The passphrase is still asked in the window unless a file is given.

The child stops when the window's session ends (and no new one follows within a few
seconds) or when this process exits: it watches its stdin, whose other end only this
process holds. Closing the pywebview window stops it at once.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import Any

from companion import i18n
from companion.errors import CompanionError, UsageError
from companion.i18n import t

OWN_OPTIONS = {"command", "port", "no_open"}


def add_parsers(sub: Any) -> None:
    """Add this module's subcommands to the top-level parser."""
    desktop = sub.add_parser(
        "desktop", help=t("cli_desktop.help"), description=t("cli_desktop.description"))
    desktop.add_argument("--port", type=_port, default=0, metavar="N",
                         help=t("cli_desktop.port"))
    desktop.add_argument("--no-open", action="store_true",
                         help=t("cli_desktop.no_open"))


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(t("cli_desktop.not_a_port", value=repr(value))) from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(t("cli_desktop.port_range"))
    return port


def app_command(args: argparse.Namespace) -> list[str]:
    """`python -m companion` with the global options given here, rebuilt from the parsed
    arguments (option `--a-b` is stored as `a_b`), so a new global option passes on too."""
    command = [sys.executable, "-m", "companion"]
    for name, value in sorted(vars(args).items()):
        if name in OWN_OPTIONS or value is None or value is False:
            continue
        option = "--" + name.replace("_", "-")
        command += [option] if value is True else [option, str(value)]
    return command


def cmd_desktop(args: argparse.Namespace) -> int:
    server = subprocess.Popen(
        [sys.executable, "-m", "companion.ui.desktop", "--port", str(args.port), "--",
         *app_command(args)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        env={**os.environ, "COMPANION_UI_LANGUAGE": i18n.current()})  # its one sentence
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        if not url.startswith("http://127.0.0.1:"):
            server.wait()
            raise CompanionError(t("cli_desktop.no_start"))
        print(url, flush=True)
        if not args.no_open:
            _open_window(url, server)
        return _wait(server)
    finally:
        _stop(server)


def _open_window(url: str, server: subprocess.Popen[str]) -> None:
    """A pywebview window when it is installed (it returns when the window closes), else a
    browser tab (it returns at once; the server stops when the tab's session ends)."""
    webview = _webview()
    if webview is None:
        import webbrowser

        if not webbrowser.open(url):
            raise UsageError(t("cli_desktop.no_browser"))
        return
    window = webview.create_window("companion", url, width=1100, height=760)
    watcher = threading.Thread(target=_close_when_done, args=(server, window.destroy),
                               daemon=True)
    watcher.start()
    webview.start()
    _stop(server)


def _webview() -> Any:
    """pywebview (the optional `desktop` extra), or None when it is not installed."""
    try:
        import webview  # type: ignore[import-not-found]
    except ImportError:
        return None
    return webview


def _close_when_done(server: subprocess.Popen[str], close: Callable[[], None]) -> None:
    """When the server ends (the app quit), the window has nothing left to show."""
    server.wait()
    with contextlib.suppress(Exception):  # the window may be gone already
        close()


def _wait(server: subprocess.Popen[str]) -> int:
    try:
        return 0 if server.wait() in (0, -2, -15) else 1
    except KeyboardInterrupt:
        _stop(server)
        return 130


def _stop(server: subprocess.Popen[str]) -> None:
    """Closing the server's stdin is its signal to quit the app cleanly and stop."""
    if server.stdin is not None and not server.stdin.closed:
        with contextlib.suppress(OSError):
            server.stdin.close()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {"desktop": cmd_desktop}

"""`companion desktop` in a real browser: Debian's Chromium, headless, driven by Playwright.

The page is textual-serve's terminal (xterm.js drawing on a canvas), so the words on
screen are not in the DOM: an init script keeps a copy of what the server sends, and the
tests wait on that text. No sleeps: every wait is for a condition.

Without Chromium or Playwright these tests skip with the reason; `.ci/run` sets
COMPANION_REQUIRE_BROWSER=1, which turns the skip into a failure.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from companion.cli import build_parser
from companion.cli.desktop import app_command
from tests.conftest import PASSPHRASE, run_cli

CHROMIUM = Path(os.environ.get("COMPANION_CHROMIUM", "/usr/bin/chromium"))
WAIT_MS = 90_000  # a busy two-core machine loads the app, llama.cpp and the model slowly

# Keeps everything the server sends to the terminal as text in window.__screen.
CAPTURE = """
window.__screen = "";
const NativeSocket = window.WebSocket;
window.WebSocket = class extends NativeSocket {
  constructor(...args) {
    super(...args);
    const decoder = new TextDecoder();
    this.addEventListener("message", (event) => {
      if (typeof event.data !== "string") {
        window.__screen += decoder.decode(new Uint8Array(event.data), {stream: true});
      }
    });
  }
};
"""


def _need_browser() -> None:
    reason = None
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        reason = "Playwright is not installed (it is in the test extra: pip install -e '.[test]')"
    if reason is None and not CHROMIUM.exists():
        reason = (f"no Chromium at {CHROMIUM} (Debian/Ubuntu: apt-get install chromium; "
                  "COMPANION_CHROMIUM names another)")
    if reason is not None:
        if os.environ.get("COMPANION_REQUIRE_BROWSER") == "1":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    _need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield chromium
        chromium.close()


class Desktop:
    """`companion … desktop --no-open` running, with the URL it printed."""

    def __init__(self, tmp_path: Path, *global_args: str | Path) -> None:
        self.started = time.monotonic()
        self.err = (tmp_path / "desktop-stderr.txt").open("w")
        env = {k: v for k, v in os.environ.items() if k != "COMPANION_HOME"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "companion", *map(str, global_args), "desktop", "--no-open"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.err, text=True, env=env)
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/[\w-]{40,}/", self.url), self.url
        self.origin = self.url.split("/", 3)[0] + "//" + self.url.split("/", 3)[2]
        self.token = self.url.split("/")[3]

    def stop(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.err.close()


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Any]:
    running: list[Desktop] = []

    def start_desktop(*global_args: str | Path) -> Desktop:
        running.append(Desktop(tmp_path, *global_args))
        return running[-1]

    yield start_desktop
    for desktop in running:
        desktop.stop()


def open_page(browser: Any, desktop: Desktop) -> tuple[Any, list[str]]:
    """A page on the desktop URL, waited until the app has drawn (textual.js sets
    `-first-byte` on the body), with every URL it asked for."""
    page = browser.new_page(viewport={"width": 1100, "height": 760})
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.on("websocket", lambda socket: asked.append(socket.url))
    page.add_init_script(CAPTURE)
    page.goto(desktop.url)
    page.wait_for_selector("body.-first-byte", state="attached", timeout=WAIT_MS)
    return page, asked


def wait_for_text(page: Any, text: str) -> None:
    page.wait_for_function("text => window.__screen.includes(text)", arg=text,
                           polling=100, timeout=WAIT_MS)


def wait_for_pattern(page: Any, pattern: str) -> None:
    """A regular expression (JavaScript) in what the server has sent."""
    page.wait_for_function("pattern => new RegExp(pattern).test(window.__screen)",
                           arg=pattern, polling=100, timeout=WAIT_MS)


def type_line(page: Any, text: str) -> None:
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def http_status(url: str, **headers: str) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers)) as reply:
            return reply.status
    except urllib.error.HTTPError as exc:
        return exc.code


def websocket_status(desktop: Desktop, path: str, origin: str | None) -> int:
    """The answer to a websocket handshake (101 would be a session)."""
    host, port = desktop.origin.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    headers = {"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
               "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}
    if origin is not None:
        headers["Origin"] = origin
    try:
        connection.request("GET", path, headers=headers)
        return connection.getresponse().status
    finally:
        connection.close()


def test_global_options_pass_on_to_the_served_app() -> None:
    args = build_parser().parse_args(
        ["--home", "h o/me", "--passphrase-file", "p.txt", "--theme", "calm-light",
         "--seed", "3", "desktop", "--port", "0", "--no-open"])
    assert app_command(args) == [sys.executable, "-m", "companion", "--home", "h o/me",
                                 "--passphrase-file", "p.txt", "--seed", "3",
                                 "--theme", "calm-light"]


def test_create_a_vault_and_talk_in_the_window(browser: Any, start: Any, tmp_path: Path,
                                               tiny_model: Path,
                                               record_property: Any) -> None:
    home = tmp_path / "home"
    desktop = start("--home", home, "--model", tiny_model, "--seed", "9")
    page, asked = open_page(browser, desktop)
    usable = time.monotonic() - desktop.started
    record_property("seconds_to_usable_page", round(usable, 2))
    print(f"\ncompanion desktop → usable page (-first-byte): {usable:.2f} s")

    # The page itself names nothing outside this machine, and asked for nothing outside.
    html = page.content()
    assert [u for u in re.findall(r"https?://[^\s\"'<>)]+", html)
            if not u.startswith(desktop.origin)] == []
    for url in asked:
        assert url.startswith((desktop.url, desktop.url.replace("http", "ws", 1))), url

    wait_for_text(page, "Choose a passphrase")
    page.focus(".xterm-helper-textarea")
    type_line(page, PASSPHRASE)
    # Typed as fast as a password manager, the second line would reach the first field
    # before Enter has moved the focus; a person waits for the cursor, and so does this:
    # the focused, empty field draws its placeholder with the cursor on its first letter.
    wait_for_pattern(page, "t\x1b\\[0m\x1b\\[[0-9;]*mhe same passphrase")
    type_line(page, PASSPHRASE)
    wait_for_text(page, "What should it call you")
    page.keyboard.press("Escape")  # onboarding; tests/test_tui_onboarding.py answers it
    wait_for_text(page, "tiny-test-0")  # the status bar: the model is loaded
    type_line(page, "hello from the window")
    wait_for_text(page, "tok/s")  # the status bar after a finished reply
    page.screenshot(path=str(tmp_path / "desktop.png"))
    print(f"screenshot: {tmp_path / 'desktop.png'}")

    # Closing the window ends the session; the app quits and the server stops by itself.
    page.close()
    assert desktop.proc.wait(timeout=60) == 0
    (tmp_path / "pass.txt").write_text(PASSPHRASE + "\n", encoding="utf-8")
    unlock = ("--home", home, "--passphrase-file", tmp_path / "pass.txt")
    listing = run_cli(*unlock, "history", "--json")
    assert listing.code == 0, listing.err
    [conversation] = json.loads(listing.out)
    shown = run_cli(*unlock, "history", "--conversation", str(conversation["id"]), "--json")
    assert shown.code == 0, shown.err
    messages = json.loads(shown.out)["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant"]
    assert messages[0]["content"] == "hello from the window" and messages[1]["content"]


def test_only_this_launch_and_this_page_get_in(browser: Any, start: Any,
                                               tmp_path: Path) -> None:
    desktop = start("--home", tmp_path / "home")
    token = desktop.token
    assert http_status(desktop.url) == 200
    assert http_status(desktop.origin + "/") == 403
    assert http_status(desktop.origin + "/static/js/textual.js") == 403
    assert http_status(f"{desktop.origin}/{token[:-1]}x/") == 403
    assert http_status(f"{desktop.url}static/js/textual.js") == 200
    assert http_status(desktop.url, Host="evil.example") == 403  # DNS rebinding

    assert websocket_status(desktop, "/ws", desktop.origin) == 403
    assert websocket_status(desktop, f"/{token}/ws", "https://evil.example") == 403
    assert websocket_status(desktop, f"/{token}/ws", None) == 403

    page, _ = open_page(browser, desktop)
    wait_for_text(page, "Choose a passphrase")
    assert websocket_status(desktop, f"/{token}/ws", desktop.origin) == 409
    second = browser.new_page()
    second.goto(desktop.url)
    second.wait_for_selector("body.-closed", state="attached", timeout=WAIT_MS)
    assert "-first-byte" not in (second.get_attribute("body", "class") or "")
    second.close()
    assert desktop.proc.poll() is None  # the first window still has its session
    page.close()
    assert desktop.proc.wait(timeout=60) == 0


def test_the_server_goes_when_the_command_goes(start: Any, tmp_path: Path) -> None:
    import psutil

    desktop = start("--home", tmp_path / "home")
    [server] = psutil.Process(desktop.proc.pid).children()
    desktop.proc.kill()  # no chance to clean up: the server notices its stdin closing
    desktop.proc.wait()
    server.wait(timeout=30)  # psutil.TimeoutExpired if it were still there
    assert not server.is_running()


def test_a_taken_port_is_one_sentence(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        shown = run_cli("--home", tmp_path / "home", "desktop", "--no-open", "--port", port)
    assert shown.code == 1 and shown.out == ""
    assert f"Port {port} on 127.0.0.1 cannot be used" in shown.err
    assert "Traceback" not in shown.err


def test_the_window_speaks_the_person_s_language(browser: Any, start: Any, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPANION_UI_LANGUAGE", "de")
    desktop = start("--home", tmp_path / "home")
    with urllib.request.urlopen(desktop.url) as reply:
        html = reply.read().decode("utf-8")
    assert '<html lang="de">' in html and "Die Sitzung ist beendet." in html
    assert ">Neu starten</button>" in html and ">Restart<" not in html
    page, _ = open_page(browser, desktop)
    wait_for_text(page, "Wähle eine Passphrase")  # the app inside speaks it too
    page.close()

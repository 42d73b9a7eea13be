"""The Models screen, Try and the pin problem, driven by Pilot with real tiny models.

Real llama.cpp, a real vault and a real HTTP server on 127.0.0.1: the same paths a
person walks when they install, import, verify, try, choose and roll back a model.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from rich.text import Text
from textual.widgets import Button, DataTable

from companion import paths
from companion.config import Settings
from companion.conversation.pinned_model import replay
from companion.domain import SamplingParams
from companion.models import install, pinning
from companion.models.library import Library
from companion.models.registry import load_registry
from companion.ui.app import CompanionApp
from companion.ui.screens.chat import ChatScreen
from companion.ui.screens.compare import CompareScreen
from companion.ui.screens.models import COLUMNS, ModelsScreen
from companion.ui.screens.pin_problem import PinProblemScreen
from companion.ui.widgets.jobs import JobProgress
from companion.vault import Vault
from tests.conftest import PASSPHRASE
from tests.http_server import FileServer
from tests.test_tui import send, type_text, views, wait_for
from tests.tiny_model import write_tiny_gguf

SIZE = (120, 40)
SHORT = SamplingParams(max_tokens=8)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def flip_middle_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def chat(app: CompanionApp) -> ChatScreen:
    return next(s for s in app.screen_stack if isinstance(s, ChatScreen))


def status_bar(app: CompanionApp) -> str:
    return chat(app).status.render().plain


def text(screen, selector: str) -> str:
    return str(screen.query_one(selector).render())


def rows(screen: ModelsScreen) -> list[str]:
    table = screen.query_one(DataTable)
    return [str(key.value) for key in table.rows]


def cell(screen: ModelsScreen, model_id: str, column: str) -> str:
    return str(screen.query_one(DataTable).get_row(model_id)[COLUMNS.index(column)])


async def select(pilot, screen: ModelsScreen, model_id: str) -> None:
    table = screen.query_one(DataTable)
    table.move_cursor(row=table.get_row_index(model_id))
    table.focus()
    await pilot.pause()


def engine_is(app: CompanionApp, digest: str) -> bool:
    engine = app.session.engine if app.session else None
    return app.engine_state == "ready" and engine is not None and engine.model.sha256 == digest


async def open_models(pilot, app: CompanionApp) -> ModelsScreen:
    await pilot.press("ctrl+o")
    await wait_for(pilot, lambda: isinstance(app.screen, ModelsScreen))
    return app.screen


async def test_list_import_use_rollback_and_try(home: Path, tiny_model: Path,
                                                other_tiny_model: Path) -> None:
    where = paths.resolve(home)
    app = CompanionApp(where, Settings(model=str(tiny_model), seed=5, sampling=SHORT),
                       passphrase=PASSPHRASE)
    tiny, other = sha256(tiny_model), sha256(other_tiny_model)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: engine_is(app, tiny))
        await send(pilot, "a long [b]day[/b] at work")
        await wait_for(pilot, lambda: len(views(app)) == 2 and not chat(app).replying)

        assert "Models" in [c.title for c in app.get_system_commands(chat(app))]
        screen = await open_models(pilot, app)
        registry_ids = [entry.id for entry in load_registry(None).entries]
        assert len(registry_ids) == 6
        assert rows(screen) == [*registry_ids, "tiny-test-0"]
        assert cell(screen, "tiny-test-0", "status") == "pinned, unverified"
        assert all(cell(screen, i, "status") == "not installed" for i in registry_ids)
        assert sum(cell(screen, i, "name").startswith("★ ") for i in registry_ids) <= 1
        assert "GB of memory" in text(screen, "#models-memory")

        # Import: the key focuses the path box; Enter copies the file in
        await pilot.press("f")
        assert screen.query_one("#import-path").has_focus
        await type_text(pilot, str(other_tiny_model))
        await pilot.press("enter")
        await wait_for(pilot, lambda: "tiny-test-1" in rows(screen))
        assert cell(screen, "tiny-test-1", "status") == "installed, unverified"
        assert "Imported tiny-test-1" in text(screen, "#models-message")
        assert (where.models / "tiny-test-1.gguf").read_bytes() == other_tiny_model.read_bytes()

        # Use moves the pin and reloads the engine for it
        await select(pilot, screen, "tiny-test-1")
        await pilot.press("u")
        await wait_for(pilot, lambda: engine_is(app, other))
        assert pinning.current_pin(app.vault).model_sha256 == other
        assert other[:12] in status_bar(app) and tiny[:12] not in status_bar(app)
        await wait_for(pilot, lambda: cell(screen, "tiny-test-1", "status").startswith("pinned"))
        assert "now pinned to tiny-test-1" in text(screen, "#models-message")
        # the model named at start was left behind on purpose: no warning about it
        assert not any("config.toml" in n.message for n in app._notifications)

        # Rollback returns to the first model, engine included
        await pilot.press("r")
        await wait_for(pilot, lambda: engine_is(app, tiny))
        assert pinning.current_pin(app.vault).model_sha256 == tiny
        assert tiny[:12] in status_bar(app)

        # Try: both models answer the saved message, side by side; keep the current one
        await select(pilot, screen, "tiny-test-1")
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen)
                       and app.screen.query(".compare-answer"), timeout=60)
        compare = app.screen
        expected = replay(where, app.vault, app.settings, "tiny-test-1")
        for column, digest, model_id, answers in (
            ("#compare-pinned", tiny, "tiny-test-0", [p.pinned for p in expected.pairs]),
            ("#compare-candidate", other, "tiny-test-1", [p.candidate for p in expected.pairs]),
        ):
            box = compare.query_one(column)
            heading = str(box.query_one(".compare-heading").render())
            assert model_id in heading and digest[:12] in heading
            users = [str(w.render()) for w in box.query(".compare-user")]
            assert users == ["a long [b]day[/b] at work"]  # shown as typed, not as markup
            # each answer exactly as Rich shows that text (it drops carriage returns)
            assert [str(w.render()) for w in box.query(".compare-answer")] == [
                str(Text(a)) if a else "(no words)" for a in answers]
        await pilot.click("#compare-keep")
        await wait_for(pilot, lambda: app.screen is screen)
        assert pinning.current_pin(app.vault).model_sha256 == tiny

        # Try again, and this time choose the candidate from the comparison
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen)
                       and not app.screen.query_one("#compare-use", Button).disabled, timeout=60)
        await pilot.click("#compare-use")
        await wait_for(pilot, lambda: engine_is(app, other))
        assert pinning.current_pin(app.vault).model_sha256 == other
        assert len(app.session.messages()) == 2  # trying saved nothing

        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ChatScreen))


async def test_verify_and_remove_ask_and_explain(home: Path, tiny_model: Path,
                                                 other_tiny_model: Path) -> None:
    where = paths.resolve(home)
    where.ensure()
    imported = install.import_file(Library(where.models), other_tiny_model, load_registry(None))
    app = CompanionApp(where, Settings(model=str(tiny_model), sampling=SHORT),
                       passphrase=PASSPHRASE)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.engine_state == "ready")
        screen = await open_models(pilot, app)

        await select(pilot, screen, imported.id)
        await pilot.press("v")
        await wait_for(pilot, lambda: "intact" in text(screen, "#models-message"))
        assert not screen.query_one("#models-message").has_class("error")

        flip_middle_byte(Path(imported.path))
        await pilot.press("v")
        await wait_for(pilot, lambda: "has changed" in text(screen, "#models-message"))
        assert screen.query_one("#models-message").has_class("error")
        assert not screen.query_one(JobProgress).has_class("-active")

        # a registry model that is not installed cannot be verified, used or tried
        await select(pilot, screen, load_registry(None).entries[0].id)
        await pilot.press("u")
        await pilot.pause()
        assert "press Install first" in text(screen, "#models-message")

        # removing the pinned model warns; Esc keeps it
        await select(pilot, screen, "tiny-test-0")
        await pilot.press("d")
        await wait_for(pilot, lambda: app.screen.query("#confirm-question"))
        assert "pinned to it" in text(app.screen, "#confirm-question")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
        assert "Nothing was deleted" in text(screen, "#models-message")
        assert "tiny-test-0" in rows(screen)

        await select(pilot, screen, imported.id)
        await pilot.press("d")
        await wait_for(pilot, lambda: app.screen.query("#confirm-question"))
        assert "pinned" not in text(app.screen, "#confirm-question")
        await pilot.click("#confirm-yes")
        await wait_for(pilot, lambda: imported.id not in rows(screen))
        assert not Path(imported.path).exists()
        assert "Removed" in text(screen, "#models-message")


def registry_entry(model_id: str, url: str, data: bytes) -> str:
    return (f'[[model]]\nid = "{model_id}"\nname = "Tiny {model_id}"\nurl = "{url}"\n'
            f'sha256 = "{hashlib.sha256(data).hexdigest()}"\nsize = {len(data)}\n'
            'params = "0.1M"\nquant = "F32"\ncontext = 4096\nram = 0.5\nlanguages = ["en"]\n'
            'licence = "MIT"\n\n')


async def test_install_from_a_server_with_progress_and_errors(home: Path, tiny_model: Path,
                                                              tmp_path: Path) -> None:
    where = paths.resolve(home)
    where.ensure()
    data = write_tiny_gguf(tmp_path / "served.gguf", seed=2).read_bytes()
    with FileServer() as server:
        url = server.add("/files/tiny-served.gguf", data)
        where.user_registry.write_text(
            registry_entry("tiny-served", url, data)
            + registry_entry("tiny-gone", server.url("/files/tiny-gone.gguf"), data))
        app = CompanionApp(where, Settings(model=str(tiny_model), sampling=SHORT),
                           passphrase=PASSPHRASE)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.engine_state == "ready")
            screen = await open_models(pilot, app)
            assert cell(screen, "tiny-served", "status") == "not installed"

            await select(pilot, screen, "tiny-served")
            await pilot.press("i")
            await wait_for(pilot, lambda: cell(screen, "tiny-served", "status") == "installed")
            assert (where.models / "tiny-served.gguf").read_bytes() == data
            assert "Installed tiny-served" in text(screen, "#models-message")
            assert not screen.query_one(JobProgress).has_class("-active")
            assert "/files/tiny-served.gguf" in [s.path for s in server.seen]

            await select(pilot, screen, "tiny-gone")
            await pilot.press("i")
            await wait_for(pilot, lambda: "not found" in text(screen, "#models-message"))
            assert screen.query_one("#models-message").has_class("error")
            assert cell(screen, "tiny-gone", "status") == "not installed"

            # a file that is not in the registry cannot be installed, only imported
            await select(pilot, screen, "tiny-test-0")
            await pilot.press("i")
            await pilot.pause()
            assert "import" in text(screen, "#models-message")


class SlowHandler(BaseHTTPRequestHandler):
    """Serves `data` (honouring `Range: bytes=N-`) in small pieces with pauses, so a
    download is still running when the test presses Cancel."""

    data = b""
    ranges: list[str | None]

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.ranges.append(self.headers.get("Range"))
        found = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range") or "")
        start, size = (int(found[1]) if found else 0), len(self.data)
        self.send_response(206 if start else 200)
        if start:
            self.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
        self.send_header("Content-Length", str(size - start))
        self.end_headers()
        try:
            for at in range(start, size, 8192):
                self.wfile.write(self.data[at:at + 8192])
                self.wfile.flush()
                time.sleep(0.03)
        except OSError:
            pass  # the client hung up: that is the cancel


async def test_cancel_keeps_a_partial_that_install_resumes(home: Path, tiny_model: Path,
                                                          tmp_path: Path) -> None:
    where = paths.resolve(home)
    where.ensure()
    data = write_tiny_gguf(tmp_path / "slow.gguf", seed=4).read_bytes()
    handler = type("Handler", (SlowHandler,), {"data": data, "ranges": []})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                     daemon=True).start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/tiny-slow.gguf"
        where.user_registry.write_text(registry_entry("tiny-slow", url, data))
        app = CompanionApp(where, Settings(model=str(tiny_model), sampling=SHORT),
                           passphrase=PASSPHRASE)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.engine_state == "ready")
            screen = await open_models(pilot, app)
            await select(pilot, screen, "tiny-slow")
            await pilot.press("i")
            partial = where.models / "tiny-slow.gguf.part"
            await wait_for(pilot, lambda: partial.is_file() and partial.stat().st_size > 0)
            await wait_for(pilot, lambda: "Downloading tiny-slow" in text(screen, ".job-text")
                           and "/" in text(screen, ".job-text"))  # bytes of total, rate
            await pilot.click(".job-cancel")
            await wait_for(pilot, lambda: "was stopped" in text(screen, "#models-message"))
            kept = partial.stat().st_size
            assert 0 < kept < len(data)
            assert cell(screen, "tiny-slow", "status") == "not installed"
            assert not (where.models / "tiny-slow.gguf").exists()

            await pilot.press("i")
            await wait_for(pilot, lambda: cell(screen, "tiny-slow", "status") == "installed")
            assert (where.models / "tiny-slow.gguf").read_bytes() == data
            assert not partial.exists()
            assert handler.ranges == [None, f"bytes={kept}-"]  # resumed, not restarted
    finally:
        httpd.shutdown()
        httpd.server_close()


async def pin_problem(pilot, app: CompanionApp) -> PinProblemScreen:
    await wait_for(pilot, lambda: isinstance(app.screen, PinProblemScreen))
    await pilot.pause()  # laid out, so a click lands on its buttons
    return app.screen


async def test_a_changed_pinned_file_stops_and_offers_the_ways_forward(
        home: Path, tiny_model: Path, tmp_path: Path) -> None:
    where = paths.resolve(home)
    copy = tmp_path / "mine.gguf"
    shutil.copy(tiny_model, copy)
    first = CompanionApp(where, Settings(model=str(copy), sampling=SHORT), passphrase=PASSPHRASE)
    async with first.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: first.engine_state == "ready")
        await pilot.press("ctrl+q")
    flip_middle_byte(copy)

    app = CompanionApp(where, Settings(sampling=SHORT), passphrase=PASSPHRASE)
    async with app.run_test(size=SIZE) as pilot:
        screen = await pin_problem(pilot, app)
        assert app.session.engine is None and app.engine_state == "failed"
        assert "has changed" in text(screen, "#pin-text")
        await pilot.click("#pin-restore")  # not a registry model: say where it must go back
        await pilot.pause()
        assert str(copy.resolve()) in text(screen, "#pin-message")
        assert str(screen.query_one("#pin-restore", Button).label) == "Check again"
        await pilot.click("#pin-keep")
        await wait_for(pilot, lambda: isinstance(app.screen, ChatScreen))
        await send(pilot, "still writing")
        await pilot.pause()
        assert app.session.engine is None
    vault = Vault.unlock(where.vault_db, where.vault_key, PASSPHRASE)
    try:
        latest = vault.conversations.latest()
        assert [m.content for m in vault.conversations.messages(latest.id)] == ["still writing"]
    finally:
        vault.close()

    # "Choose a model" opens the Models screen over the chat, still with no model loaded
    third = CompanionApp(where, Settings(sampling=SHORT), passphrase=PASSPHRASE)
    async with third.run_test(size=SIZE) as pilot:
        await pin_problem(pilot, third)
        await pilot.click("#pin-choose")
        await wait_for(pilot, lambda: isinstance(third.screen, ModelsScreen))
        assert cell(third.screen, "tiny-test-0", "status") == "pinned, file changed"
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(third.screen, ChatScreen))
        assert third.session.engine is None

    # put the original back and check again: the pinned model loads
    again = CompanionApp(where, Settings(sampling=SHORT), passphrase=PASSPHRASE)
    async with again.run_test(size=SIZE) as pilot:
        screen = await pin_problem(pilot, again)
        await pilot.click("#pin-restore")
        await wait_for(pilot, lambda: "Copy the original" in text(screen, "#pin-message"))
        shutil.copy(tiny_model, copy)
        await pilot.pause(0.3)  # a Button ignores clicks during its 0.2 s pressed look
        await pilot.click("#pin-restore")
        await wait_for(pilot, lambda: engine_is(again, sha256(tiny_model)))
        assert isinstance(again.screen, ChatScreen)


async def test_restore_downloads_the_pinned_registry_model_again(home: Path,
                                                                 tmp_path: Path) -> None:
    where = paths.resolve(home)
    where.ensure()
    data = write_tiny_gguf(tmp_path / "served.gguf", seed=3).read_bytes()
    with FileServer() as server:
        where.user_registry.write_text(
            registry_entry("tiny-served", server.add("/tiny-served.gguf", data), data))
        registry = load_registry(where.user_registry)
        model = install.install(Library(where.models), registry.get("tiny-served"), registry)
        first = CompanionApp(where, Settings(model=model.path, sampling=SHORT),
                             passphrase=PASSPHRASE)
        async with first.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: first.engine_state == "ready")
            assert pinning.current_pin(first.vault).model_id == "tiny-served"
            await pilot.press("ctrl+q")
        flip_middle_byte(Path(model.path))

        app = CompanionApp(where, Settings(sampling=SHORT), passphrase=PASSPHRASE)
        async with app.run_test(size=SIZE) as pilot:
            await pin_problem(pilot, app)
            assert app.session.engine is None
            await pilot.click("#pin-restore")
            await wait_for(pilot, lambda: engine_is(app, hashlib.sha256(data).hexdigest()))
            assert isinstance(app.screen, ChatScreen)
            assert Path(model.path).read_bytes() == data
            assert (where.models / "tiny-served.gguf.changed").is_file()
            assert len(server.ranges("/tiny-served.gguf")) == 2

"""`companion models install` as a person on a slow link uses it: through a mirror, with a
connection that drops half-way, resumed, and verified before it is kept."""

from __future__ import annotations

import json
from pathlib import Path

from companion.models.files import sha256_of
from tests.conftest import run_cli, write_user_registry
from tests.http_server import FileServer

REVISION = "a" * 40


def registry(home: Path, model: Path, sha256: str | None = None) -> None:
    write_user_registry(home, model, sha256=sha256, repo="me/tiny", revision=REVISION,
                        file="tiny.gguf")


def test_install_through_a_mirror_resumes_after_a_drop(home: Path, passphrase_file: Path,
                                                        tiny_model: Path) -> None:
    registry(home, tiny_model)
    data = tiny_model.read_bytes()
    with FileServer() as server:
        path = f"/me/tiny/resolve/{REVISION}/tiny.gguf"
        server.add(path, data, drop_after=len(data) // 2)
        mirror = server.url("")
        first = run_cli("--home", home, "models", "install", "tiny", "--mirror", mirror)
        assert first.code == 4
        assert "again" in first.err and "Traceback" not in first.err
        partial = home / "models" / "tiny.gguf.part"
        assert 0 < partial.stat().st_size < len(data)
        assert data.startswith(partial.read_bytes())
        received = partial.stat().st_size
        assert not (home / "models" / "tiny.gguf").exists()

        second = run_cli("--home", home, "models", "install", "tiny", "--mirror", mirror)
        assert second.code == 0, second.err
        assert "Installed tiny" in second.err
        assert server.ranges(path)[-1] == f"bytes={received}-"  # resumed, not restarted
    assert (home / "models" / "tiny.gguf").read_bytes() == data
    assert not partial.exists()
    listing = json.loads(run_cli("--home", home, "models", "list", "--json").out)
    row = next(m for m in listing["models"] if m["id"] == "tiny")
    assert row["installed"] and row["verified"]

    used = run_cli("--home", home, "--passphrase-file", passphrase_file, "models", "use", "tiny")
    assert used.code == 0, used.err
    shown = json.loads(run_cli("--home", home, "--passphrase-file", passphrase_file,
                               "pin", "show", "--json").out)
    assert shown["pin"]["model_id"] == "tiny"
    assert shown["pin"]["model_sha256"] == sha256_of(tiny_model)


def test_wrong_hash_keeps_nothing(home: Path, tiny_model: Path) -> None:
    registry(home, tiny_model, sha256="0" * 64)
    (home / "config" / "config.toml").write_text("", encoding="utf-8")
    with FileServer() as server:
        server.add(f"/me/tiny/resolve/{REVISION}/tiny.gguf", tiny_model.read_bytes())
        (home / "config" / "config.toml").write_text(f'mirror = "{server.url("")}"\n',
                                                     encoding="utf-8")
        result = run_cli("--home", home, "models", "install", "tiny")
    assert result.code == 4
    assert "did not match" in result.err or "does not match" in result.err
    assert not [p.name for p in (home / "models").iterdir() if "tiny" in p.name]


def test_ctrl_c_leaves_a_resumable_partial(home: Path, tiny_model: Path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    registry(home, tiny_model)
    data = tiny_model.read_bytes()
    partial = home / "models" / "tiny.gguf.part"
    with FileServer() as server:
        server.add(f"/me/tiny/resolve/{REVISION}/tiny.gguf", data, stall_after=len(data) // 3)
        env = {k: v for k, v in os.environ.items() if k != "COMPANION_HOME"}
        proc = subprocess.Popen(
            [sys.executable, "-m", "companion", "--home", str(home), "models", "install", "tiny",
             "--mirror", server.url("")],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (
                partial.exists() and partial.stat().st_size >= len(data) // 3):
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "resumes" in err and "Traceback" not in err
    assert partial.read_bytes() == data[: partial.stat().st_size]
    assert not (home / "models" / "tiny.gguf").exists()

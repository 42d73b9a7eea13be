"""Changing the passphrase: `companion passphrase` and the app's palette.

The data key is wrapped again and the database is not rewritten; a failure or a kill at
any moment leaves exactly one of the two passphrases opening the vault, with the data
intact.
"""

from __future__ import annotations

import errno
import json
import os
import random
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from companion import paths
from companion.config import Settings
from companion.conversation import unlock
from companion.errors import CompanionError, DiskFull, UsageError, WrongPassphrase
from companion.paths import Paths
from companion.ui.app import CompanionApp
from companion.ui.screens.chat import ChatScreen
from companion.ui.screens.passphrase import PassphraseScreen
from companion.vault import Vault, keys
from companion.vault.forget import forget_everything
from companion.vault.keys import KdfParams
from tests.conftest import Result, run_cli, snapshot_files
from tests.test_tui import SIZE, type_text, wait_for

CHEAP = KdfParams(time_cost=1, memory_kib=8192, parallelism=1)
OLD = "correct horse battery staple"
NEW = "a new passphrase, ünïcode too 😔"
TYPED = "typed anew in the app"  # Pilot presses keys: plain letters
WORDS = "Heute war schwer. 今天很难。"


def make_vault(home: Path) -> Paths:
    where = paths.resolve(home)
    where.ensure()
    vault = Vault.create(where.vault_db, where.vault_key, OLD, CHEAP)
    vault.conversations.add_message(vault.conversations.create().id, "user", WORDS)
    vault.journal.add("a journal entry")
    vault.close()
    return where


def opens(where: Paths, passphrase: str) -> bool:
    """Whether `passphrase` opens the vault; when it does, the data must be all there."""
    try:
        vault = Vault.unlock(where.vault_db, where.vault_key, passphrase)
    except WrongPassphrase:
        return False
    try:
        conversations = vault.conversations.list()
        assert len(conversations) == 1
        assert [m.content for m in vault.conversations.messages(conversations[0].id)] == [WORDS]
        assert [e.content for e in vault.journal.list()] == ["a journal entry"]
    finally:
        vault.close()
    return True


def which_opens(where: Paths, one: str, other: str) -> str:
    works = [p for p in (one, other) if opens(where, p)]
    assert len(works) == 1, f"{len(works)} passphrases open the vault"
    return works[0]


def write(tmp_path: Path, name: str, text: str) -> Path:
    file = tmp_path / name
    file.write_text(text + "\n", encoding="utf-8")
    return file


def change(home: Path, old: Path, *more: str | Path) -> Result:
    return run_cli("--home", home, "--passphrase-file", old, "passphrase", *more)


# the command line ---------------------------------------------------------------------


def test_change_from_files(tmp_path: Path, home: Path) -> None:
    where = make_vault(home)
    database = where.vault_db.read_bytes()
    before = json.loads(where.vault_key.read_text())["kdf_params"]
    done = change(home, write(tmp_path, "old", OLD), "--new-passphrase-file",
                  write(tmp_path, "new", NEW))
    assert done.code == 0, done.err
    assert "old passphrase" in done.out and "not rewritten" in done.out
    assert not opens(where, OLD) and opens(where, NEW)
    assert where.vault_db.read_bytes() == database  # only the key was wrapped again
    after = json.loads(where.vault_key.read_text())["kdf_params"]
    assert after.pop("salt_b64") != before.pop("salt_b64")
    assert after == before == {"time_cost": 1, "memory_kib": 8192, "parallelism": 1}
    assert where.vault_key.stat().st_mode & 0o777 == 0o600
    assert not keys.pending_key_path(where.vault_key).exists()


def test_wrong_current_passphrase_changes_no_byte(tmp_path: Path, home: Path) -> None:
    where = make_vault(home)
    before = snapshot_files(where.data)
    wrong = change(home, write(tmp_path, "wrong", "not it"), "--new-passphrase-file",
                   write(tmp_path, "new", NEW))
    assert wrong.code == 3 and "does not open" in wrong.err
    assert snapshot_files(where.data) == before
    assert opens(where, OLD)


@pytest.mark.parametrize("new_text, expected", [("", "cannot be empty"),
                                                 (None, "does not exist")])
def test_a_bad_new_passphrase_file_changes_nothing(tmp_path: Path, home: Path,
                                                   new_text: str | None, expected: str) -> None:
    where = make_vault(home)
    before = snapshot_files(where.data)
    new = tmp_path / "missing" if new_text is None else write(tmp_path, "new", new_text)
    refused = change(home, write(tmp_path, "old", OLD), "--new-passphrase-file", new)
    assert refused.code == 2 and expected in refused.err
    assert snapshot_files(where.data) == before


def test_without_a_terminal_the_new_passphrase_must_come_from_a_file(tmp_path: Path,
                                                                     home: Path) -> None:
    where = make_vault(home)
    refused = change(home, write(tmp_path, "old", OLD))
    assert refused.code == 2 and "--new-passphrase-file" in refused.err
    assert opens(where, OLD)
    nothing = run_cli("--home", tmp_path / "elsewhere", "--passphrase-file",
                      write(tmp_path, "old", OLD), "passphrase")
    assert nothing.code == 2 and "no vault" in nothing.err


def in_terminal(home: Path, answers: list[tuple[str, str]]) -> tuple[int, str]:
    """`companion passphrase` with a pseudo-terminal for stdin: each answer is typed once
    its prompt shows (getpass flushes what was typed before it asks)."""
    env = {k: v for k, v in os.environ.items() if k != "COMPANION_HOME"}
    leader, follower = os.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "companion", "--home", str(home),
                             "passphrase"], stdin=follower, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env, start_new_session=True)
    os.close(follower)
    assert proc.stderr is not None
    seen = b""
    try:
        for prompt, answer in answers:
            deadline = time.monotonic() + 60
            while prompt.encode() not in seen:
                ready, _, _ = select.select([proc.stderr], [], [], 1)
                if ready:
                    chunk = os.read(proc.stderr.fileno(), 4096)
                    if not chunk:
                        break
                    seen += chunk
                assert time.monotonic() < deadline, seen
            if prompt.encode() not in seen:
                break
            seen = seen.replace(prompt.encode(), b"", 1)
            os.write(leader, answer.encode() + b"\n")
        _out, err = proc.communicate(timeout=60)
    finally:
        os.close(leader)
        if proc.poll() is None:
            proc.kill()
    return proc.returncode, (seen + err).decode()


def test_asked_at_a_terminal(home: Path) -> None:
    where = make_vault(home)
    before = snapshot_files(where.data)
    code, said = in_terminal(home, [("Current passphrase: ", "not it"),
                                    ("New passphrase: ", NEW)])
    assert code == 3 and "does not open" in said and "New passphrase" not in said
    code, said = in_terminal(home, [("Current passphrase: ", OLD), ("New passphrase: ", NEW),
                                    ("once more: ", NEW + "x")])
    assert code == 2 and "differ" in said
    code, said = in_terminal(home, [("Current passphrase: ", OLD), ("New passphrase: ", "")])
    assert code == 2 and "cannot be empty" in said
    assert snapshot_files(where.data) == before
    code, said = in_terminal(home, [("Current passphrase: ", OLD), ("New passphrase: ", NEW),
                                    ("once more: ", NEW)])
    assert code == 0, said
    assert which_opens(where, OLD, NEW) == NEW


# failures and kills -------------------------------------------------------------------


def _boom(*_args: object, **_kwargs: object) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


def _fail_opening(fd: int, *_args: object, **_kwargs: object) -> None:
    os.close(fd)
    _boom()


def _fail_verifying(real: Callable[[Path, keys.Secret], tuple[bytes, KdfParams]]
                    ) -> Callable[[Path, keys.Secret], tuple[bytes, KdfParams]]:
    def unwrap(path: Path, passphrase: keys.Secret) -> tuple[bytes, KdfParams]:
        if path.name.endswith(".new"):
            _boom()
        return real(path, passphrase)

    return unwrap


STEPS = {  # step → (object, attribute, replacement, which passphrase opens afterwards)
    "create the new file": (os, "open", _boom, OLD),
    "write it": (os, "fdopen", _fail_opening, OLD),
    "fsync it": (os, "fsync", _boom, OLD),
    "read it back": (keys, "_unwrap", _fail_verifying(keys._unwrap), OLD),
    "rename it": (os, "replace", _boom, OLD),
    "fsync the folder": (keys, "fsync_dir", _boom, NEW),
    "reopen the vault": (Vault, "unlock", classmethod(_boom), NEW),
}


@pytest.mark.parametrize("step", STEPS)
def test_a_failure_at_each_step_leaves_one_passphrase(home: Path, step: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    where = make_vault(home)
    key_before = where.vault_key.read_bytes()
    owner, name, replacement, works = STEPS[step]
    with monkeypatch.context() as patch:
        patch.setattr(owner, name, replacement)
        with pytest.raises((OSError, CompanionError)) as caught:
            unlock.change_passphrase(where, OLD, bytearray(NEW, "utf-8"))
    if works == OLD:  # before the rename: one sentence, and it says the old one works
        assert isinstance(caught.value, DiskFull)
        assert "current passphrase still works" in str(caught.value)
    assert which_opens(where, OLD, NEW) == works
    if works == OLD:
        assert where.vault_key.read_bytes() == key_before
    assert not keys.pending_key_path(where.vault_key).exists()


def test_a_leftover_new_key_file_is_ignored_then_replaced(home: Path) -> None:
    where = make_vault(home)
    pending = keys.pending_key_path(where.vault_key)
    pending.write_text('{"half": ')  # a change cut short while writing
    assert which_opens(where, OLD, NEW) == OLD
    unlock.change_passphrase(where, OLD, NEW)
    assert which_opens(where, OLD, NEW) == NEW and not pending.exists()
    # a whole one, never renamed into place, opens nothing and is gone with the vault
    keys.write_key_file(pending, "left over", keys.read_key_file(where.vault_key, NEW), CHEAP)
    assert which_opens(where, OLD, NEW) == NEW
    with pytest.raises(WrongPassphrase):
        Vault.unlock(where.vault_db, where.vault_key, "left over")
    assert pending in forget_everything(where) and not pending.exists()


CHILD = """
import sys
from companion import paths
from companion.conversation import unlock
import companion.vault.vault  # everything loaded before the change starts

where = paths.resolve(sys.argv[1])
print("go", flush=True)
unlock.change_passphrase(where, sys.argv[2], sys.argv[3])
"""


def test_kill_9_at_random_moments(tmp_path: Path, home: Path) -> None:
    where = make_vault(home)
    child = tmp_path / "child.py"
    child.write_text(CHILD, encoding="utf-8")

    def start(old: str, new: str) -> tuple[subprocess.Popen[bytes], float]:
        proc = subprocess.Popen([sys.executable, str(child), str(home), old, new],
                                stdout=subprocess.PIPE, cwd=Path(__file__).parent.parent)
        assert proc.stdout is not None and proc.stdout.readline() == b"go\n"
        return proc, time.monotonic()

    proc, began = start(OLD, NEW)  # once whole, to learn how long a change takes
    assert proc.wait(timeout=60) == 0
    took = time.monotonic() - began
    current, other = NEW, OLD
    outcomes = []
    rng = random.Random(11)
    for _ in range(10):
        delay = rng.uniform(0, took * 1.2)
        proc, _began = start(current, other)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        works = which_opens(where, current, other)
        outcomes.append((round(delay, 3), works == other))
        if works == other:
            current, other = other, current
    assert which_opens(where, OLD, NEW) == current, outcomes
    unlock.change_passphrase(where, current, other)  # and a leftover never blocks the next
    assert which_opens(where, OLD, NEW) == other


# bytes that can be wiped --------------------------------------------------------------


@pytest.mark.parametrize("raw", [b"pass\n", b"pass", b"pa ss \r\nrest", b"x\ry\n",
                                 "pässwört 😔\n".encode(), b"\xef\xbb\xbfbom\n", b"\n"])
def test_a_passphrase_file_reads_the_same_as_bytes(tmp_path: Path, raw: bytes) -> None:
    file = tmp_path / "p"
    file.write_bytes(raw)
    line = unlock.read_passphrase_bytes(file)
    assert isinstance(line, bytearray)
    assert bytes(line) == unlock.read_passphrase_file(file).encode("utf-8")


def test_passphrase_bytes_that_are_not_utf8_are_refused(tmp_path: Path) -> None:
    for bad in (b"\xff\n", b"\xed\xa0\x80\n", b"\xc0\xaf"):
        (tmp_path / "p").write_bytes(bad)
        with pytest.raises(UsageError, match="not UTF-8"):
            unlock.read_passphrase_bytes(tmp_path / "p")


def test_a_bytearray_passphrase_is_the_callers_to_wipe(tmp_path: Path) -> None:
    data_key = keys.new_data_key()
    key_file = tmp_path / "vault.key"
    keys.write_key_file(key_file, OLD, data_key, CHEAP)
    secret = bytearray(OLD, "utf-8")
    assert keys.read_key_file(key_file, secret) == data_key
    assert secret == OLD.encode("utf-8")  # used in place, not consumed
    keys.wipe(secret)
    assert secret == bytes(len(secret))


# the app ------------------------------------------------------------------------------


async def test_the_palette_changes_the_passphrase(home: Path) -> None:
    where = make_vault(home)
    app = CompanionApp(where, Settings(), passphrase=OLD)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, ChatScreen)
                       and app.engine_state == "none")
        await pilot.press("ctrl+p")
        await type_text(pilot, "Change passphrase")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, PassphraseScreen))
        screen = app.screen
        fields = list(screen.query("Input"))
        error = screen.query_one("#passphrase-error")

        async def fill(old: str, new: str, repeat: str, typed: bool = False) -> None:
            for field, text in zip(fields, (old, new, repeat), strict=True):
                field.value = "" if typed else text  # typing costs a frame a key
                field.focus()
                if typed:
                    await type_text(pilot, text)
            await pilot.press("enter")

        await fill("not it", TYPED, TYPED)  # a wrong current passphrase: said, nothing changed
        await wait_for(pilot, lambda: "does not open" in str(error.render()))
        assert [f.value for f in fields] == ["", "", ""]
        assert not any(f.disabled for f in fields)
        await fill(OLD, TYPED, TYPED + "x")
        await wait_for(pilot, lambda: "differ" in str(error.render()))
        assert fields[2].value == ""
        await fill(OLD, "", "")
        await wait_for(pilot, lambda: "cannot be empty" in str(error.render()))
        assert which_opens(where, OLD, TYPED) == OLD

        await fill(OLD, TYPED, TYPED, typed=True)
        await wait_for(pilot, lambda: isinstance(app.screen, ChatScreen))
        assert [f.value for f in fields] == ["", "", ""]  # no widget keeps a passphrase
        assert which_opens(where, OLD, TYPED) == TYPED
        assert app.session.vault.conversations.list()  # the open vault goes on

        await pilot.press("ctrl+p")  # Esc leaves without a change, and empties the fields
        await type_text(pilot, "Change passphrase")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, PassphraseScreen))
        fields = list(app.screen.query("Input"))
        for field in fields:
            field.value = TYPED
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ChatScreen))
        assert [f.value for f in fields] == ["", "", ""]
        await pilot.press("ctrl+q")

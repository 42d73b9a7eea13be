"""The command-line contract, run in subprocesses exactly as scripts use it."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import run_cli, snapshot_files


def say(home: Path, pf: Path, model: Path | None, *extra: str, stdin: str | None = None):
    model_args = ["--model", str(model)] if model else []
    return run_cli("--home", home, "--passphrase-file", pf, *model_args, "--seed", "5",
                   "say", *extra, stdin=stdin)


def test_say_json_and_history(home: Path, passphrase_file: Path, tiny_model: Path) -> None:
    first = say(home, passphrase_file, tiny_model, "I had a long day", "--json")
    assert first.code == 0, first.err
    data = json.loads(first.out)
    assert data["reply"]
    assert data["stopped"] is False
    prov = data["provenance"]
    assert len(prov["model_sha256"]) == 64
    assert prov["seed"] == 5
    assert "temperature" in prov["params"]

    second = say(home, passphrase_file, tiny_model, "and tomorrow too", "--json")
    assert json.loads(second.out)["conversation_id"] == data["conversation_id"]
    third = say(home, passphrase_file, tiny_model, "something new", "--new", "--json")
    assert json.loads(third.out)["conversation_id"] != data["conversation_id"]

    listing = run_cli("--home", home, "--passphrase-file", passphrase_file, "history", "--json")
    assert listing.code == 0, listing.err
    conversations = json.loads(listing.out)
    assert len(conversations) == 2
    one = run_cli("--home", home, "--passphrase-file", passphrase_file, "history",
                  "--conversation", str(data["conversation_id"]), "--json")
    messages = json.loads(one.out)["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant"]
    assert messages[0]["content"] == "I had a long day"
    assert messages[1]["content"] == data["reply"]
    assert messages[1]["provenance"]["model_sha256"] == prov["model_sha256"]


def test_same_seed_gives_same_reply(tmp_path: Path, passphrase_file: Path,
                                    tiny_model: Path) -> None:
    a = say(tmp_path / "a", passphrase_file, tiny_model, "same words", "--json")
    b = say(tmp_path / "b", passphrase_file, tiny_model, "same words", "--json")
    assert json.loads(a.out)["reply"] == json.loads(b.out)["reply"]


def test_say_streams_to_stdout_and_reads_stdin(home: Path, passphrase_file: Path,
                                               tiny_model: Path) -> None:
    result = say(home, passphrase_file, tiny_model, "-", stdin="from a pipe ✨\nsecond line")
    assert result.code == 0, result.err
    assert result.out.strip()
    history = run_cli("--home", home, "--passphrase-file", passphrase_file, "history",
                      "--conversation", "1", "--json")
    assert json.loads(history.out)["messages"][0]["content"] == "from a pipe ✨\nsecond line"


def test_wrong_passphrase_exits_3_and_changes_nothing(home: Path, passphrase_file: Path,
                                                      tmp_path: Path) -> None:
    assert say(home, passphrase_file, None, "hello").code == 4  # creates the vault
    before = snapshot_files(home / "data")
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("nope\n")
    result = run_cli("--home", home, "--passphrase-file", wrong, "history")
    assert result.code == 3
    assert "passphrase" in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert snapshot_files(home / "data") == before


def test_model_problems_exit_4_and_keep_the_message(home: Path, passphrase_file: Path,
                                                   tmp_path: Path) -> None:
    empty = tmp_path / "empty.gguf"
    empty.write_bytes(b"")
    not_gguf = tmp_path / "notes.gguf"
    not_gguf.write_text("just some text")
    truncated = tmp_path / "truncated.gguf"
    truncated.write_bytes(b"GGUF\x03\x00\x00\x00garbage")
    cases = {
        tmp_path / "missing.gguf": "does not exist",
        tmp_path: "folder",
        empty: "empty",
        not_gguf: "not a GGUF",
        truncated: "damaged",
    }
    for i, (path, words) in enumerate(cases.items()):
        result = say(home, passphrase_file, path, f"message {i}")
        assert result.code == 4, (path, result.err)
        assert words in result.err
        assert "Traceback" not in result.err
        assert len(result.err.strip().splitlines()) == 1
    no_model = say(home, passphrase_file, None, "no model at all")
    assert no_model.code == 4
    assert "--model" in no_model.err
    history = run_cli("--home", home, "--passphrase-file", passphrase_file, "history",
                      "--conversation", "1", "--json")
    contents = [m["content"] for m in json.loads(history.out)["messages"]]
    assert contents == [f"message {i}" for i in range(len(cases))] + ["no model at all"]


def test_damaged_vault_exits_5_and_is_kept(home: Path, passphrase_file: Path) -> None:
    say(home, passphrase_file, None, "hello")
    db = home / "data" / "vault.db"
    db.write_bytes(b"\x01" * 4096)
    before = snapshot_files(home / "data")
    result = run_cli("--home", home, "--passphrase-file", passphrase_file, "history")
    assert result.code == 5
    assert str(db) in result.err
    assert "Traceback" not in result.err
    assert snapshot_files(home / "data") == before


def test_usage_errors_exit_2_in_one_sentence(home: Path, passphrase_file: Path) -> None:
    result = run_cli("--home", home, "frobnicate")
    assert result.code == 2
    assert len(result.err.strip().splitlines()) == 1
    empty = run_cli("--home", home, "--passphrase-file", passphrase_file, "say", "   ")
    assert empty.code == 2
    assert "empty" in empty.err
    no_vault = run_cli("--home", home, "--passphrase-file", passphrase_file, "history")
    assert no_vault.code == 2
    assert "no vault" in no_vault.err
    assert not (home / "data" / "vault.db").exists()
    missing = run_cli("--home", home, "--passphrase-file", home / "nope.txt", "say", "hi")
    assert missing.code == 2
    assert "does not exist" in missing.err


def test_canary_appears_in_no_file(home: Path, passphrase_file: Path, tiny_model: Path) -> None:
    canary = "zebra-canary-4f1c7 my secret sentence about Aunt Philippa"
    result = say(home, passphrase_file, tiny_model, canary)
    assert result.code == 0, result.err
    shown = run_cli("--home", home, "--passphrase-file", passphrase_file, "history",
                    "--conversation", "1")
    assert canary in shown.out  # it was stored, and comes back when unlocked
    needles = [canary.encode(enc) for enc in ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le")]
    needles += [n[: len(n) // 2] for n in needles]  # half of it is a leak too
    files = [p for p in home.rglob("*") if p.is_file()]
    assert files
    for file in files:
        data = file.read_bytes()
        for needle in needles:
            assert needle not in data, f"{file} contains the canary"


def test_help_is_fast_and_imports_nothing_heavy() -> None:
    import subprocess
    import sys

    code = ("import sys, companion.cli as c\n"
            "c.build_parser()\n"
            "names = ('llama_cpp', 'textual', 'sqlcipher3', 'numpy')\n"
            "heavy = [m for m in names if m in sys.modules]\n"
            "print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    assert run_cli("--help").code == 0


def _long_reply_home(home: Path) -> None:
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.toml").write_text(
        "context_tokens = 8192\nlisten_max_tokens = 8000\n[sampling]\nmax_tokens = 8000\n",
        encoding="utf-8")


def _start_say(home: Path, pf: Path, model: Path, text: str):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "COMPANION_HOME"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "companion", "--home", str(home), "--passphrase-file", str(pf),
         "--model", str(model), "--seed", "2", "say", text],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert proc.stdout is not None
    proc.stdout.read(1)  # the reply has started streaming
    return proc


def test_ctrl_c_during_a_reply_keeps_both(home: Path, passphrase_file: Path,
                                          tiny_model: Path) -> None:
    import signal

    _long_reply_home(home)
    proc = _start_say(home, passphrase_file, tiny_model, "interrupted thought")
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert b"Traceback" not in err
    shown = run_cli("--home", home, "--passphrase-file", passphrase_file, "history",
                    "--conversation", "1", "--json")
    messages = json.loads(shown.out)["messages"]
    assert messages[0]["content"] == "interrupted thought"
    assert messages[1]["role"] == "assistant" and messages[1]["stopped"] is True


def test_kill_during_a_reply_keeps_the_message(home: Path, passphrase_file: Path,
                                               tiny_model: Path) -> None:
    _long_reply_home(home)
    proc = _start_say(home, passphrase_file, tiny_model, "words before a kill")
    proc.kill()
    proc.communicate(timeout=60)
    shown = run_cli("--home", home, "--passphrase-file", passphrase_file, "history",
                    "--conversation", "1", "--json")
    assert shown.code == 0, shown.err
    assert json.loads(shown.out)["messages"][0]["content"] == "words before a kill"


def test_paths_honour_home(home: Path) -> None:
    result = run_cli("--home", home, "paths", "--json")
    assert result.code == 0, result.err
    folders = json.loads(result.out)
    assert set(folders) == {"config", "data", "models", "cache", "log"}
    for path in folders.values():
        assert Path(path).is_relative_to(home.resolve())
    assert not home.exists()  # looking does not create anything

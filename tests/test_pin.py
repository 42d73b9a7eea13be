"""The pin, end to end with real llama.cpp: it holds, it is moved only on purpose, and
any change to the model file or the runtime is noticed."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from companion import paths
from companion.models.files import sha256_of
from companion.models.pin import Pin
from companion.vault import Vault
from tests.conftest import PASSPHRASE, run_cli, write_user_registry


def cli(home: Path, pf: Path, *args: str | Path, stdin: str | None = None):
    return run_cli("--home", home, "--passphrase-file", pf, *args, stdin=stdin)


def say(home: Path, pf: Path, text: str, *global_args: str | Path):
    result = cli(home, pf, *global_args, "--seed", "7", "say", text, "--json")
    return result, (json.loads(result.out) if result.code == 0 else None)


def pin_of(home: Path, pf: Path) -> dict:
    result = cli(home, pf, "pin", "show", "--json")
    assert result.code == 0, result.err
    return json.loads(result.out)


def open_vault(home: Path) -> Vault:
    where = paths.resolve(home)
    return Vault.unlock(where.vault_db, where.vault_key, PASSPHRASE)


@pytest.fixture
def own_model(tmp_path: Path, tiny_model: Path) -> Path:
    """A copy the test may damage without touching the shared fixture."""
    copy = tmp_path / "mine.gguf"
    shutil.copyfile(tiny_model, copy)
    return copy


def flip_middle_byte(file: Path, keep_mtime: bool = False) -> None:
    before = file.stat()
    data = bytearray(file.read_bytes())
    data[len(data) // 2] ^= 0x01
    file.write_bytes(bytes(data))
    if keep_mtime:
        os.utime(file, ns=(before.st_atime_ns, before.st_mtime_ns))


def test_first_model_is_pinned_and_another_file_is_refused(
        home: Path, passphrase_file: Path, tiny_model: Path, other_tiny_model: Path) -> None:
    first, _ = say(home, passphrase_file, "hello", "--model", tiny_model)
    assert first.code == 0, first.err
    assert "now pinned" in first.err
    pin = pin_of(home, passphrase_file)["pin"]
    assert pin["model_sha256"] == sha256_of(tiny_model)
    assert len(pin["fingerprint"]) == 64
    assert pin["runtime"].startswith("llama-cpp-python ")
    assert len(pin["chat_template_sha256"]) == 64
    assert pin["sampling"]["temperature"] == 0.7

    refused, _ = say(home, passphrase_file, "are you still you?", "--model", other_tiny_model)
    assert refused.code == 6
    assert "pinned to" in refused.err and "Traceback" not in refused.err
    assert len(refused.err.strip().splitlines()) == 1
    history = cli(home, passphrase_file, "history", "--conversation", "1", "--json")
    contents = [m["content"] for m in json.loads(history.out)["messages"]]
    assert contents[-1] == "are you still you?"  # the words are kept, nothing answered them

    again, data2 = say(home, passphrase_file, "and now?")  # no --model: the pin is enough
    assert again.code == 0, again.err
    assert data2["provenance"]["model_sha256"] == pin["model_sha256"]


def test_same_pin_same_seed_same_words_give_identical_bytes(
        tmp_path: Path, passphrase_file: Path, tiny_model: Path, other_tiny_model: Path) -> None:
    replies = []
    for name in ("a", "b"):
        result, data = say(tmp_path / name, passphrase_file, "the same words", "--model",
                           tiny_model)
        assert result.code == 0, result.err
        replies.append(data["reply"].encode("utf-8"))
    other, other_data = say(tmp_path / "c", passphrase_file, "the same words", "--model",
                            other_tiny_model)
    assert other.code == 0, other.err
    assert replies[0] == replies[1]
    assert other_data["reply"].encode("utf-8") != replies[0]
    fingerprints = [pin_of(tmp_path / n, passphrase_file)["pin"]["fingerprint"]
                    for n in ("a", "b", "c")]
    assert fingerprints[0] == fingerprints[1] != fingerprints[2]


def test_one_byte_change_is_caught(home: Path, passphrase_file: Path, own_model: Path) -> None:
    assert say(home, passphrase_file, "hi", "--model", own_model)[0].code == 0
    flip_middle_byte(own_model)
    result, _ = say(home, passphrase_file, "hi again")
    assert result.code == 6
    assert "has changed since" in result.err


def test_change_hidden_from_mtime_is_caught_by_verify(
        home: Path, passphrase_file: Path, own_model: Path) -> None:
    assert say(home, passphrase_file, "hi", "--model", own_model)[0].code == 0
    flip_middle_byte(own_model, keep_mtime=True)
    # Same size and mtime: a start trusts the remembered hash, as documented...
    assert say(home, passphrase_file, "still fine?")[0].code == 0
    # ...and `verify` hashes in full, records the new hash, and the next start refuses.
    checked = cli(home, passphrase_file, "models", "verify")
    assert checked.code == 4
    assert "changed" in checked.out
    assert say(home, passphrase_file, "and now?")[0].code == 6


def test_use_rollback_and_history(home: Path, passphrase_file: Path, tiny_model: Path,
                                  other_tiny_model: Path) -> None:
    assert say(home, passphrase_file, "hi", "--model", tiny_model)[0].code == 0
    imported = cli(home, passphrase_file, "models", "import", other_tiny_model, "--id", "other")
    assert imported.code == 0, imported.err
    assert "unverified" in imported.err
    assert (home / "models" / "other.gguf").read_bytes() == other_tiny_model.read_bytes()

    used = cli(home, passphrase_file, "models", "use", "other")
    assert used.code == 0, used.err
    assert pin_of(home, passphrase_file)["pin"]["model_sha256"] == sha256_of(other_tiny_model)
    _, data = say(home, passphrase_file, "who is this?")
    assert data["provenance"]["model_sha256"] == sha256_of(other_tiny_model)

    back = cli(home, passphrase_file, "models", "rollback")
    assert back.code == 0, back.err
    shown = pin_of(home, passphrase_file)
    assert shown["pin"]["model_sha256"] == sha256_of(tiny_model)
    assert [h["retired_at"] is not None for h in shown["history"]] == [False, True]
    assert (home / "models" / "other.gguf").exists()  # old files stay until removed
    _, data = say(home, passphrase_file, "and now?")
    assert data["provenance"]["model_sha256"] == sha256_of(tiny_model)

    nothing_left = cli(home, passphrase_file, "models", "rollback")
    assert nothing_left.code == 2
    assert "no earlier pin" in nothing_left.err


def test_try_replays_through_both_and_saves_nothing(
        home: Path, passphrase_file: Path, tiny_model: Path, other_tiny_model: Path) -> None:
    _, data = say(home, passphrase_file, "one message to replay", "--model", tiny_model)
    assert cli(home, passphrase_file, "models", "import", other_tiny_model,
               "--id", "other").code == 0
    before = cli(home, passphrase_file, "history", "--json").out
    tried = cli(home, passphrase_file, "--seed", "7", "models", "try", "other", "--json")
    assert tried.code == 0, tried.err
    result = json.loads(tried.out)
    assert result["candidate"]["sha256"] == sha256_of(other_tiny_model)
    (pair,) = result["pairs"]
    assert pair["message"] == "one message to replay"
    # Same pin, seed and words: the pinned column reproduces the stored reply exactly.
    assert pair["pinned"] == data["reply"]
    assert pair["candidate"] != pair["pinned"]
    assert cli(home, passphrase_file, "history", "--json").out == before
    assert pin_of(home, passphrase_file)["pin"]["model_sha256"] == sha256_of(tiny_model)

    text = cli(home, passphrase_file, "--seed", "7", "models", "try", "other", "--last", "1")
    assert "── pinned: tiny-test-0 ──" in text.out and "── candidate: other ──" in text.out


def _rewrite_pin(home: Path, **changes: str) -> None:
    vault = open_vault(home)
    try:
        row = vault.pins.current()
        assert row is not None
        pin = replace(Pin.from_dict(row.data), **changes)
        vault.pins.update(row.id, pin.as_dict())
    finally:
        vault.close()


def test_runtime_change_reruns_the_probe(home: Path, passphrase_file: Path,
                                         tiny_model: Path) -> None:
    assert say(home, passphrase_file, "hi", "--model", tiny_model)[0].code == 0
    _rewrite_pin(home, runtime="llama-cpp-python 0.0.1 (build 000000000000)")
    same, _ = say(home, passphrase_file, "still you?")
    assert same.code == 0, same.err
    assert "still answers exactly as before" in same.err

    _rewrite_pin(home, runtime="llama-cpp-python 0.0.2 (build 000000000000)",
                 fingerprint="0" * 64)
    different, _ = say(home, passphrase_file, "and now?")
    assert different.code == 0, different.err
    assert "answers a little differently" in different.err

    no_change, _ = say(home, passphrase_file, "quiet start")
    assert "llama.cpp has changed" in no_change.err  # said again, but from the record


def test_unknown_ids_and_bad_files(home: Path, passphrase_file: Path, tmp_path: Path,
                                   tiny_model: Path) -> None:
    typo = cli(home, passphrase_file, "models", "install", "qwen2.5-1.5")
    assert typo.code == 2 and "qwen2.5-1.5b" in typo.err
    assert say(home, passphrase_file, "hi", "--model", tiny_model)[0].code == 0
    unknown = cli(home, passphrase_file, "models", "use", "tiny-test")
    assert unknown.code == 2 and "tiny-test-0" in unknown.err
    not_here = cli(home, passphrase_file, "models", "use", "phi-4-mini")
    assert not_here.code == 2 and "models install phi-4-mini" in not_here.err
    junk = tmp_path / "notes.gguf"
    junk.write_bytes(b"this is not a model at all")
    refused = cli(home, passphrase_file, "models", "import", junk)
    assert refused.code == 4 and "not a GGUF" in refused.err
    assert not [p for p in (home / "models").iterdir() if p.suffix in (".gguf", ".part")]


def test_import_matching_a_registry_entry_is_verified(
        home: Path, passphrase_file: Path, tiny_model: Path) -> None:
    write_user_registry(home, tiny_model, model_id="tiny-mirror",
                        url="http://127.0.0.1:9/tiny.gguf")
    result = cli(home, passphrase_file, "models", "import", tiny_model)
    assert result.code == 0, result.err
    assert "verified" in result.err and "unverified" not in result.err
    listing = json.loads(cli(home, passphrase_file, "models", "list", "--json").out)
    row = next(m for m in listing["models"] if m["id"] == "tiny-mirror")
    assert row["installed"] and row["verified"]
    assert {"qwen2.5-1.5b", "phi-4-mini"} <= {m["id"] for m in listing["models"]}


def test_remove_asks_before_deleting_the_pinned_model(
        home: Path, passphrase_file: Path, tiny_model: Path) -> None:
    assert cli(home, passphrase_file, "models", "import", tiny_model, "--id", "mine").code == 0
    assert cli(home, passphrase_file, "models", "use", "mine").code == 0
    asked = cli(home, passphrase_file, "models", "remove", "mine")
    assert asked.code == 2 and "--yes" in asked.err
    assert (home / "models" / "mine.gguf").exists()
    gone = cli(home, passphrase_file, "models", "remove", "mine", "--yes")
    assert gone.code == 0, gone.err
    assert not (home / "models" / "mine.gguf").exists()
    missing, _ = say(home, passphrase_file, "hello?")
    assert missing.code == 6 and "missing" in missing.err


def test_config_model_does_not_move_the_pin(home: Path, passphrase_file: Path,
                                            tiny_model: Path, other_tiny_model: Path) -> None:
    assert say(home, passphrase_file, "hi", "--model", tiny_model)[0].code == 0
    (home / "config" / "config.toml").write_text(f'model = "{other_tiny_model}"\n',
                                                 encoding="utf-8")
    result, data = say(home, passphrase_file, "who answers?")
    assert result.code == 0, result.err
    assert "pinned model is used" in result.err
    assert data["provenance"]["model_sha256"] == sha256_of(tiny_model)


def test_try_says_an_unknown_id_or_a_bad_count_before_asking_for_a_passphrase(
        home: Path) -> None:
    """No passphrase file and no terminal: the mistake in the command comes first."""
    unknown = run_cli("--home", home, "models", "try", "nothing-such")
    assert unknown.code == 2
    assert "no model called 'nothing-such'" in unknown.err and "passphrase" not in unknown.err
    bad = run_cli("--home", home, "models", "try", "nothing-such", "--last", "0")
    assert bad.code == 2 and "--last must be 1 or more" in bad.err
    assert not (paths.resolve(home).vault_db).exists()

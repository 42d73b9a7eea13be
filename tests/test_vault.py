"""The encrypted vault with real SQLCipher files."""

from __future__ import annotations

from pathlib import Path

import pytest

from companion.errors import VaultDamaged, WrongPassphrase
from companion.vault import Vault
from companion.vault.keys import KdfParams
from tests.conftest import PASSPHRASE, snapshot_files


def paths(tmp_path: Path) -> tuple[Path, Path]:
    return tmp_path / "vault.db", tmp_path / "vault.key"


def make(tmp_path: Path) -> Vault:
    return Vault.create(*paths(tmp_path), PASSPHRASE)


def test_round_trip_across_reopen(tmp_path: Path) -> None:
    vault = make(tmp_path)
    conversation = vault.conversations.create()
    text = "Heute war schwer. 今天很难。 😔 \u200d عربى"
    vault.conversations.add_message(conversation.id, "user", text)
    vault.close()

    again = Vault.unlock(*paths(tmp_path), PASSPHRASE)
    messages = again.conversations.messages(conversation.id)
    assert [m.content for m in messages] == [text]
    assert again.conversations.get(conversation.id).title.startswith("Heute war schwer")
    again.close()


def test_database_is_encrypted_and_sqlcipher_is_real(tmp_path: Path) -> None:
    vault = make(tmp_path)
    vault.conversations.add_message(vault.conversations.create().id, "user", "plain words")
    version = vault._conn.execute("PRAGMA cipher_version").fetchone()[0]
    vault.close()
    assert version
    db, _ = paths(tmp_path)
    assert not db.read_bytes().startswith(b"SQLite format 3")
    assert b"plain words" not in db.read_bytes()


def test_wrong_passphrase_changes_no_byte(tmp_path: Path) -> None:
    vault = make(tmp_path)
    vault.conversations.add_message(vault.conversations.create().id, "user", "hello")
    vault.close()
    before = snapshot_files(tmp_path)
    with pytest.raises(WrongPassphrase) as caught:
        Vault.unlock(*paths(tmp_path), "not the passphrase")
    assert "passphrase" in str(caught.value)
    assert snapshot_files(tmp_path) == before


def test_damaged_key_file_is_named(tmp_path: Path) -> None:
    make(tmp_path).close()
    _, key = paths(tmp_path)
    key.write_text("{ not json", encoding="utf-8")
    before = snapshot_files(tmp_path)
    with pytest.raises(VaultDamaged) as caught:
        Vault.unlock(*paths(tmp_path), PASSPHRASE)
    assert str(key) in str(caught.value)
    assert snapshot_files(tmp_path) == before


def test_damaged_database_is_named_and_kept(tmp_path: Path) -> None:
    make(tmp_path).close()
    db, _ = paths(tmp_path)
    db.write_bytes(b"\x00garbage" * 1000)
    before = snapshot_files(tmp_path)
    with pytest.raises(VaultDamaged) as caught:
        Vault.unlock(*paths(tmp_path), PASSPHRASE)
    assert str(db) in str(caught.value)
    assert snapshot_files(tmp_path) == before


def test_half_a_vault_is_never_recreated(tmp_path: Path) -> None:
    make(tmp_path).close()
    db, key = paths(tmp_path)
    key.unlink()
    before = snapshot_files(tmp_path)
    with pytest.raises(VaultDamaged) as caught:
        Vault.create(db, key, PASSPHRASE)
    assert str(key) in str(caught.value)
    with pytest.raises(VaultDamaged):
        Vault.unlock(db, key, PASSPHRASE)
    assert snapshot_files(tmp_path) == before


def test_kdf_parameters_are_recorded(tmp_path: Path) -> None:
    import json

    db, key = paths(tmp_path)
    cheap = KdfParams(time_cost=2, memory_kib=8192, parallelism=1)
    Vault.create(db, key, PASSPHRASE, cheap).close()
    record = json.loads(key.read_text())
    assert record["kdf"] == "argon2id"
    assert record["kdf_params"]["time_cost"] == 2
    assert record["kdf_params"]["memory_kib"] == 8192
    assert len(record["kdf_params"]["salt_b64"]) > 10
    Vault.unlock(db, key, PASSPHRASE).close()  # the stored parameters are the ones used


def test_schema_version_and_pragmas(tmp_path: Path) -> None:
    from companion.vault.migrations import MIGRATIONS

    vault = make(tmp_path)
    conn = vault._conn
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA secure_delete").fetchone()[0] == 1
    vault.close()


def test_reply_provenance_round_trips(tmp_path: Path) -> None:
    from companion.domain import Provenance, SamplingParams

    vault = make(tmp_path)
    conversation = vault.conversations.create()
    prov = Provenance("ab" * 32, "tiny", SamplingParams(temperature=0.3), 42)
    vault.conversations.add_message(conversation.id, "assistant", "hi", stopped=True,
                                    provenance=prov)
    (message,) = vault.conversations.messages(conversation.id)
    assert message.provenance == prov
    assert message.stopped
    vault.close()

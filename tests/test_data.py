"""Forgetting a conversation or everything, plaintext export, encrypted backup and restore.

Real SQLCipher files; the CLI runs in subprocesses as a script (or, for the questions,
on a pseudo-terminal) would run it.
"""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from companion.vault import Vault, keys
from companion.vault.connection import open_database
from companion.vault.migrations import MIGRATIONS
from tests.conftest import PASSPHRASE, Result, run_cli, snapshot_files

CANARY = "zebraquokka canary: the thing I never told Aunt Philippa"
CANARY_WORD = "zebraquokka"  # one token, so the full-text index holds it too
KEPT = "lighthouse keeper sentence that must survive"
VAULT_NAMES = ("vault.db", "vault.key", "vault.db-wal", "vault.db-shm")


def db_path(home: Path) -> Path:
    return home / "data" / "vault.db"


def key_path(home: Path) -> Path:
    return home / "data" / "vault.key"


def cli(home: Path, passphrase_file: Path, *args: str | os.PathLike[str],
        stdin: str | None = None) -> Result:
    return run_cli("--home", home, "--passphrase-file", passphrase_file, *args, stdin=stdin)


@dataclass
class Filled:
    doomed: int  # the conversation to forget
    kept: int
    doomed_messages: list[int]
    kept_messages: list[int]
    open_commitment: int
    kept_memory: int
    doomed_memories: list[int]


def fill(home: Path) -> Filled:
    """A vault with two conversations and every kind of record derived from each."""
    vault = Vault.create(db_path(home), key_path(home), PASSPHRASE)
    try:
        doomed = vault.conversations.create().id
        d1 = vault.conversations.add_message(doomed, "user", f"{CANARY}. It weighs on me.")
        d2 = vault.conversations.add_message(doomed, "assistant", f"You said: {CANARY}")
        kept = vault.conversations.create().id
        k1 = vault.conversations.add_message(kept, "user", f"{KEPT}, about my sister.")
        k2 = vault.conversations.add_message(kept, "assistant", "Tell me more about her.")
        summary = vault.summaries.put(doomed, f"They confided {CANARY}.", d2.id)
        vault.summaries.put(kept, f"Summary: {KEPT}.", k2.id)
        doomed_memories = [
            vault.memories.add("event", f"Memory A: {CANARY}", source_kind="message",
                               source_id=d1.id, conversation_id=doomed).id,
            # no conversation_id: found through its source message
            vault.memories.add("feeling", f"Memory B: {CANARY}", source_kind="message",
                               source_id=d1.id, status="proposed").id,
            # taken from the conversation's summary
            vault.memories.add("fact", f"Memory C: {CANARY}", source_kind="summary",
                               source_id=summary.id).id,
        ]
        kept_memory = vault.memories.add("person", f"Memory K: {KEPT}", source_kind="message",
                                         source_id=k1.id, conversation_id=kept).id
        vault.memories.add("preference", "Likes rain walks", source_kind="manual")
        vault.memories.add("goal", "Sleep before midnight", source_kind="manual",
                           status="proposed")
        vault.commitments.add(f"Proposed from it: {CANARY}", "2030-01-02", status="proposed",
                              source_message_id=d1.id, conversation_id=doomed)
        open_commitment = vault.commitments.add("Call the bank", "2030-01-03", status="open",
                                                source_message_id=d1.id,
                                                conversation_id=doomed).id
        vault.commitments.add(f"Proposed elsewhere: {KEPT}", status="proposed",
                              source_message_id=k1.id, conversation_id=kept)
        vault.commitments.add("Dropped plan", status="dropped")
        done = vault.commitments.add("Done plan", status="done")
        vault.commitments.record_check_in(done.id, answer=f"{CANARY}. It weighs on me.")
        vault.moods.add(2, "heavy day", doomed)
        vault.moods.add(4, "better", kept)
        vault.journal.add(f"Journal: {KEPT}")
        vault.journal.add("A private entry", remember=False)
        vault.recalls.record(d2.id, [("memory", kept_memory, 0.5)])
        vault.recalls.record(k2.id, [("memory", doomed_memories[0], 0.9),
                                     ("summary", summary.id, 0.4),
                                     ("memory", kept_memory, 0.3)])
        vault.state.set("current_conversation", str(doomed))
        vault.state.set("draft", f"half a thought about {CANARY_WORD}")
    finally:
        vault.close()
    return Filled(doomed, kept, [d1.id, d2.id], [k1.id, k2.id], open_commitment,
                  kept_memory, doomed_memories)


def open_raw(home: Path):
    return open_database(db_path(home), keys.read_key_file(key_path(home), PASSPHRASE))


def all_tables(home: Path) -> dict[str, list[tuple]]:
    """Every row of every table (the full-text index's own tables too), and the schema."""
    conn = open_raw(home)
    try:
        names = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' ORDER BY name")]
        rows = {}
        for name in names:  # ordered by every column: some have no rowid
            width = len(conn.execute(f'SELECT * FROM "{name}" LIMIT 0').description)
            order = ", ".join(str(i) for i in range(1, width + 1))
            rows[name] = conn.execute(f'SELECT * FROM "{name}" ORDER BY {order}').fetchall()
        rows["#schema"] = conn.execute(
            "SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
        rows["#user_version"] = conn.execute("PRAGMA user_version").fetchall()
    finally:
        conn.close()
    assert {"conversations", "messages", "journal", "memories", "summaries", "commitments",
            "moods", "recalls", "state", "pins", "search_content"} <= set(rows)
    return rows


def plaintext_export(home: Path, folder: Path) -> bytes:
    """The vault's live content, exported with sqlcipher_export to a plain SQLite file
    outside the home."""
    folder.mkdir(parents=True, exist_ok=True)
    plain = folder / "plain.db"
    conn = open_raw(home)
    try:
        conn.execute("ATTACH DATABASE ? AS plain KEY ''", (str(plain),))
        conn.execute("SELECT sqlcipher_export('plain')")
        conn.execute("DETACH DATABASE plain")
    finally:
        conn.close()
    data = plain.read_bytes()
    assert data.startswith(b"SQLite format 3\x00")
    return data


def decrypted_pages(home: Path) -> bytes:
    """Every page of vault.db decrypted by hand (SQLCipher 4: AES-256-CBC with the raw
    key, 4096-byte pages, 80 reserved bytes holding IV and HMAC, a 16-byte salt first),
    free pages included: what someone holding the key could dig out of the file."""
    data_key = keys.read_key_file(key_path(home), PASSPHRASE)
    raw = db_path(home).read_bytes()
    size, reserve = 4096, 80
    assert len(raw) % size == 0
    pages = []
    for number in range(len(raw) // size):
        page = raw[number * size:(number + 1) * size]
        iv = page[size - reserve:size - reserve + 16]
        decryptor = Cipher(algorithms.AES(data_key), modes.CBC(iv)).decryptor()
        pages.append(decryptor.update(page[16 if number == 0 else 0:size - reserve])
                     + decryptor.finalize())
    plain = b"".join(pages)
    assert b"CREATE TABLE conversations" in plain  # the decryption itself works
    return plain


def run_tty(*args: str | os.PathLike[str], answer: str) -> Result:
    """Run the CLI with a pseudo-terminal as stdin and type `answer` into it."""
    env = {k: v for k, v in os.environ.items() if k != "COMPANION_HOME"}
    master, slave = os.openpty()
    try:
        proc = subprocess.Popen([sys.executable, "-m", "companion", *map(str, args)],
                                stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=env)
        os.close(slave)
        os.write(master, answer.encode("utf-8") + b"\n")
        out, err = proc.communicate(timeout=120)
    finally:
        os.close(master)
    return Result(proc.returncode, out.decode("utf-8", "replace"),
                  err.decode("utf-8", "replace"))


def count(home: Path, table: str) -> int:
    conn = open_raw(home)
    try:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    finally:
        conn.close()


# forget a conversation --------------------------------------------------------------


def test_forget_conversation_removes_everything_derived_and_nothing_else(
        home: Path, passphrase_file: Path, tmp_path: Path) -> None:
    filled = fill(home)
    canary = CANARY.encode("utf-8")
    word = CANARY_WORD.encode("utf-8")
    control = plaintext_export(home, tmp_path / "control")
    assert canary in control and word in control
    assert canary in decrypted_pages(home)
    before = all_tables(home)

    result = cli(home, passphrase_file, "forget", "conversation", str(filled.doomed), "--yes")
    assert result.code == 0, result.err
    assert "Deleted conversation" in result.out
    assert "3 memories" in result.out and "1 proposed commitment" in result.out

    after = all_tables(home)
    assert [r[0] for r in after["conversations"]] == [filled.kept]
    assert [r[0] for r in after["messages"]] == filled.kept_messages
    assert [r[1] for r in after["summaries"]] == [filled.kept]
    memory_ids = [r[0] for r in after["memories"]]
    assert filled.kept_memory in memory_ids
    assert not set(filled.doomed_memories) & set(memory_ids)
    assert len(memory_ids) == len(before["memories"]) - 3
    commitments = {r[0]: r for r in after["commitments"]}
    assert len(commitments) == len(before["commitments"]) - 1
    assert all(CANARY not in r[1] for r in commitments.values())
    assert any(KEPT in r[1] for r in commitments.values())  # the other one's proposal stays
    kept_open = commitments[filled.open_commitment]
    assert kept_open[3] == "open" and kept_open[4] is None and kept_open[5] is None
    assert all(r[8] is None for r in commitments.values())  # the check-in answer quoted it
    assert [r[4] for r in after["moods"]] == [None, filled.kept]  # moods stay, unlinked
    assert after["journal"] == before["journal"]
    assert after["recalls"] == [(filled.kept_messages[1], "memory", filled.kept_memory, 0.3)]
    assert ("current_conversation", str(filled.doomed)) not in after["state"]
    assert not any(key == "draft" for key, _ in after["state"])

    # the words are gone from the content, the full-text index and every page of the file
    exported = plaintext_export(home, tmp_path / "after")
    assert canary not in exported
    assert word not in exported
    assert KEPT.encode("utf-8") in exported
    pages = decrypted_pages(home)
    assert canary not in pages
    assert word not in pages
    wal = Path(f"{db_path(home)}-wal")
    assert not wal.exists() or wal.stat().st_size == 0

    # the other conversation is whole, and an export shows the same
    history = cli(home, passphrase_file, "history", "--json")
    assert [c["id"] for c in json.loads(history.out)] == [filled.kept]


def test_forget_conversation_asks_first(home: Path, passphrase_file: Path) -> None:
    filled = fill(home)
    refused = cli(home, passphrase_file, "forget", "conversation", str(filled.doomed))
    assert refused.code == 2
    assert "--yes" in refused.err
    assert len(refused.err.strip().splitlines()) == 1
    assert count(home, "conversations") == 2

    unknown = cli(home, passphrase_file, "forget", "conversation", "999", "--yes")
    assert unknown.code == 2
    assert "999" in unknown.err and "Traceback" not in unknown.err
    assert count(home, "conversations") == 2

    base = ("--home", home, "--passphrase-file", passphrase_file, "forget", "conversation",
            str(filled.doomed))
    declined = run_tty(*base, answer="n")
    assert declined.code == 2
    assert f"Delete conversation {filled.doomed} '" in declined.err
    assert "[y/N]" in declined.err
    assert count(home, "conversations") == 2

    accepted = run_tty(*base, answer="y")
    assert accepted.code == 0, accepted.err
    assert count(home, "conversations") == 1
    assert count(home, "messages") == 2


# forget everything ----------------------------------------------------------------------


def test_forget_everything_needs_the_exact_phrase(home: Path, passphrase_file: Path,
                                                  tmp_path: Path) -> None:
    fill(home)
    (home / "models").mkdir(parents=True, exist_ok=True)
    (home / "models" / "model.gguf").write_bytes(b"GGUF weights")
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "config.toml").write_text('theme = "calm-dark"\n', encoding="utf-8")
    before = snapshot_files(home / "data")

    no_phrase = run_cli("--home", home, "forget", "everything")
    assert no_phrase.code == 2
    assert '--confirm "forget everything"' in no_phrase.err
    for wrong in ("forget", "Forget everything!", "yes", ""):
        result = run_cli("--home", home, "forget", "everything", "--confirm", wrong)
        assert result.code == 2, wrong
        assert "nothing was removed" in result.err
    typed_wrong = run_tty("--home", home, "forget", "everything", answer="y")
    assert typed_wrong.code == 2
    assert snapshot_files(home / "data") == before

    wrong_key = tmp_path / "wrong.txt"
    wrong_key.write_text("not the passphrase at all\n", encoding="utf-8")
    stranger = run_cli("--home", home, "--passphrase-file", wrong_key, "forget", "everything",
                       "--confirm", "forget everything")
    assert stranger.code == 3, stranger.err  # only who can open the vault may wipe it
    assert snapshot_files(home / "data") == before

    done = run_tty("--home", home, "--passphrase-file", passphrase_file, "forget", "everything",
                   answer="forget everything")
    assert done.code == 0, done.err
    assert "vault.key" in done.out and "vault.db" in done.out
    assert [p for p in (home / "data").iterdir()] == []
    assert (home / "models" / "model.gguf").read_bytes() == b"GGUF weights"
    assert (home / "config" / "config.toml").exists()

    again = run_cli("--home", home, "forget", "everything", "--confirm", "forget everything")
    assert again.code == 0
    assert "nothing was removed" in again.out
    # a new vault can be made afterwards
    fill(home)
    assert count(home, "conversations") == 2


def test_forget_everything_for_scripts(home: Path, passphrase_file: Path) -> None:
    fill(home)
    (db_path(home).parent / "vault.db-wal").write_bytes(b"\0" * 10)
    result = run_cli("--home", home, "--passphrase-file", passphrase_file, "forget",
                     "everything", "--confirm", "forget everything")
    assert result.code == 0, result.err
    assert not any((home / "data" / name).exists() for name in VAULT_NAMES)


# export ---------------------------------------------------------------------------------


def every_text(home: Path) -> list[str]:
    vault = Vault.unlock(db_path(home), key_path(home), PASSPHRASE)
    try:
        texts = [m.content for c in vault.conversations.list()
                 for m in vault.conversations.messages(c.id)]
        texts += [e.content for e in vault.journal.list()]
        texts += [m.content for s in ("accepted", "proposed") for m in vault.memories.list(s)]
        texts += [s.content for s in vault.summaries.list()]
        texts += [c.content for c in vault.commitments.list(("proposed", "open", "done",
                                                              "dropped"))]
        texts += [m.note for m in vault.moods.list()]
    finally:
        vault.close()
    assert len(texts) == 4 + 2 + 6 + 2 + 5 + 2
    return texts


def test_export_json_holds_every_record(home: Path, passphrase_file: Path,
                                        tmp_path: Path) -> None:
    fill(home)
    out_dir = tmp_path / "exports"
    out_dir.mkdir()
    out = out_dir / "all.json"
    result = cli(home, passphrase_file, "export", "--format", "json", out, "--yes")
    assert result.code == 0, result.err
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert sorted(p.name for p in out_dir.iterdir()) == ["all.json"]  # no temp file left
    data = json.loads(out.read_text(encoding="utf-8"))
    assert {"conversations", "journal", "memories", "summaries", "commitments", "moods",
            "exported_at", "version"} <= set(data)
    assert [len(c["messages"]) for c in data["conversations"]] == [2, 2]
    assert data["conversations"][0]["messages"][0]["role"] == "user"
    assert data["conversations"][0]["messages"][0]["created_at"]
    assert sorted(m["status"] for m in data["memories"]) == ["accepted"] * 4 + ["proposed"] * 2
    assert len(data["journal"]) == 2 and len(data["summaries"]) == 2
    assert len(data["commitments"]) == 5 and len(data["moods"]) == 2
    flat = json.dumps(data, ensure_ascii=False)
    for text in every_text(home):
        assert json.dumps(text, ensure_ascii=False) in flat


def test_export_markdown_holds_every_record(home: Path, passphrase_file: Path,
                                            tmp_path: Path) -> None:
    fill(home)
    out = tmp_path / "all.md"
    result = cli(home, passphrase_file, "export", out, "--yes")
    assert result.code == 0, result.err
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    text = out.read_text(encoding="utf-8")
    for heading in ("## Conversations", "## Journal", "## Memories", "## Summaries",
                    "## Commitments", "## Moods"):
        assert heading in text
    for line in every_text(home):
        assert line in text
    assert "[proposed] (goal) Sleep before midnight" in text
    assert "[accepted] (preference) Likes rain walks" in text
    assert "**You**" in text and "**Companion**" in text


def test_export_asks_and_never_overwrites(home: Path, passphrase_file: Path,
                                          tmp_path: Path) -> None:
    fill(home)
    out = tmp_path / "all.md"
    refused = cli(home, passphrase_file, "export", out)
    assert refused.code == 2
    assert "--yes" in refused.err
    assert not out.exists()

    declined = run_tty("--home", home, "--passphrase-file", passphrase_file, "export", out,
                       answer="n")
    assert declined.code == 2
    assert "anyone" in declined.err
    assert not out.exists()
    assert list(tmp_path.glob(".all.md*")) == []

    out.write_text("my own notes\n", encoding="utf-8")
    clash = cli(home, passphrase_file, "export", out, "--yes")
    assert clash.code == 2
    assert "already exists" in clash.err
    assert out.read_text(encoding="utf-8") == "my own notes\n"

    typed = run_tty("--home", home, "--passphrase-file", passphrase_file, "export",
                    tmp_path / "yes.md", answer="y")
    assert typed.code == 0, typed.err
    assert CANARY in (tmp_path / "yes.md").read_text(encoding="utf-8")


# backup and restore -----------------------------------------------------------------------


def test_backup_restore_round_trips_every_record(home: Path, passphrase_file: Path,
                                                 tmp_path: Path) -> None:
    fill(home)
    before = all_tables(home)
    backup = tmp_path / "backups" / "companion.backup"
    backup.parent.mkdir()
    result = cli(home, passphrase_file, "backup", backup)
    assert result.code == 0, result.err
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert sorted(p.name for p in backup.parent.iterdir()) == ["companion.backup"]

    blob = backup.read_bytes()
    for text in (CANARY, KEPT, CANARY_WORD, "Likes rain walks", "A private entry"):
        for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
            assert text.encode(encoding) not in blob, (text, encoding)
    with tarfile.open(backup) as tar:
        assert tar.getnames() == ["companion-backup.json", "vault.key", "vault.db"]
        db = tar.extractfile("vault.db").read()
        assert tar.extractfile("vault.key").read() == key_path(home).read_bytes()
        manifest = json.loads(tar.extractfile("companion-backup.json").read())
    assert db[:16] != b"SQLite format 3\x00"
    assert manifest["format"] == "companion-backup"
    assert manifest["schema_version"] == len(MIGRATIONS)

    again = cli(home, passphrase_file, "backup", backup)
    assert again.code == 2 and "already exists" in again.err
    assert backup.read_bytes() == blob

    fresh = tmp_path / "fresh"
    (fresh / "data").mkdir(parents=True)
    (fresh / "data" / ".restoring-0a1b2c3d-vault.db").write_bytes(b"cut short")
    restored = cli(fresh, passphrase_file, "restore", backup)
    assert restored.code == 0, restored.err
    assert "2 conversations" in restored.out
    for name in ("vault.db", "vault.key"):
        assert stat.S_IMODE((fresh / "data" / name).stat().st_mode) == 0o600
    assert all_tables(fresh) == before
    history = cli(fresh, passphrase_file, "history", "--json")
    assert len(json.loads(history.out)) == 2
    leftovers = [p.name for p in (fresh / "data").iterdir()]
    assert sorted(leftovers) == ["vault.db", "vault.key"]


def test_backup_needs_the_passphrase(home: Path, tmp_path: Path) -> None:
    fill(home)
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("not it\n", encoding="utf-8")
    result = run_cli("--home", home, "--passphrase-file", wrong, "backup", tmp_path / "b")
    assert result.code == 3
    assert not (tmp_path / "b").exists()
    nothing = run_cli("--home", tmp_path / "empty", "--passphrase-file", wrong, "backup",
                      tmp_path / "b")
    assert nothing.code == 2 and "no vault" in nothing.err


def test_restore_refuses_a_home_with_a_vault_and_a_wrong_passphrase(
        home: Path, passphrase_file: Path, tmp_path: Path) -> None:
    fill(home)
    backup = tmp_path / "b.backup"
    assert cli(home, passphrase_file, "backup", backup).code == 0

    other = tmp_path / "other"
    other_vault = Vault.create(db_path(other), key_path(other), PASSPHRASE)
    other_vault.conversations.add_message(other_vault.conversations.create().id, "user", "x")
    other_vault.close()
    before = snapshot_files(other / "data")
    occupied = cli(other, passphrase_file, "restore", backup)
    assert occupied.code == 2
    assert "nothing was changed" in occupied.err
    assert snapshot_files(other / "data") == before

    half = tmp_path / "half"
    (half / "data").mkdir(parents=True)
    (half / "data" / "vault.key").write_text("{}", encoding="utf-8")
    assert cli(half, passphrase_file, "restore", backup).code == 2
    assert [p.name for p in (half / "data").iterdir()] == ["vault.key"]

    wrong = tmp_path / "wrong.txt"
    wrong.write_text("not the passphrase\n", encoding="utf-8")
    fresh = tmp_path / "fresh"
    refused = run_cli("--home", fresh, "--passphrase-file", wrong, "restore", backup)
    assert refused.code == 3
    assert "passphrase" in refused.err and "Traceback" not in refused.err
    assert snapshot_files(fresh / "data") == {}


def test_restore_refuses_damaged_and_foreign_files(home: Path, passphrase_file: Path,
                                                   tmp_path: Path) -> None:
    fill(home)
    backup = tmp_path / "b.backup"
    assert cli(home, passphrase_file, "backup", backup).code == 0
    blob = backup.read_bytes()
    with tarfile.open(backup) as tar:
        db_offset = tar.getmember("vault.db").offset_data

    flipped = tmp_path / "flipped.backup"
    data = bytearray(blob)
    data[db_offset + 5000] ^= 0x01
    flipped.write_bytes(bytes(data))
    truncated = tmp_path / "truncated.backup"
    truncated.write_bytes(blob[: db_offset + 8192])
    foreign = tmp_path / "notes.txt"
    foreign.write_text("just some notes\n" * 100, encoding="utf-8")
    other_tar = tmp_path / "other.tar"
    with tarfile.open(other_tar, "w") as tar:
        info = tarfile.TarInfo("hello.txt")
        info.size = 5
        tar.addfile(info, io.BytesIO(b"hello"))

    cases = [(flipped, 5), (truncated, 5), (foreign, 2), (other_tar, 2),
             (tmp_path / "missing.backup", 2)]
    for source, code in cases:
        fresh = tmp_path / f"fresh-{source.stem}"
        result = cli(fresh, passphrase_file, "restore", source)
        assert result.code == code, (source.name, result.err)
        assert len(result.err.strip().splitlines()) == 1, result.err
        assert "Traceback" not in result.err
        assert snapshot_files(fresh / "data") == {}, source.name


def test_restore_walks_an_older_vault_forward(passphrase_file: Path, tmp_path: Path) -> None:
    """A backup of a schema-2 vault (made before journal and memories) restores as today's."""
    from companion.vault.backup import create_backup

    old = tmp_path / "old"
    (old / "data").mkdir(parents=True)
    data_key = keys.new_data_key()
    conn = open_database(db_path(old), data_key)
    for number, statements in enumerate(MIGRATIONS[:2], start=1):
        for statement in statements:
            conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {number}")
    conn.execute("INSERT INTO conversations (title, created_at, updated_at)"
                 " VALUES ('old times', '2024-01-01', '2024-01-01')")
    conn.execute("INSERT INTO messages (conversation_id, role, content, created_at)"
                 " VALUES (1, 'user', 'from long ago', '2024-01-01')")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    keys.write_key_file(key_path(old), PASSPHRASE, data_key)
    backup = tmp_path / "old.backup"
    info = create_backup(db_path(old), key_path(old), PASSPHRASE, backup)
    assert info.schema_version == 2

    fresh = tmp_path / "fresh"
    result = cli(fresh, passphrase_file, "restore", backup)
    assert result.code == 0, result.err
    assert f"from version 2 to {len(MIGRATIONS)}" in result.out
    vault = Vault.unlock(db_path(fresh), key_path(fresh), PASSPHRASE)
    try:
        assert [m.content for m in vault.conversations.messages(1)] == ["from long ago"]
        assert vault.journal.list() == []
    finally:
        vault.close()


@pytest.mark.parametrize("command", ["export", "backup"])
def test_an_unwritable_folder_gets_one_sentence_and_no_file(
        home: Path, passphrase_file: Path, tmp_path: Path, command: str) -> None:
    fill(home)
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        # root may write anywhere on disk, but not in /proc
        folder = locked if not os.access(locked, os.W_OK) else Path("/proc")
        args = [command, folder / "companion-out"] + (["--yes"] if command == "export" else [])
        result = cli(home, passphrase_file, *args)
        assert result.code == 2, result.err
        assert "nothing was written" in result.err
        assert len(result.err.strip().splitlines()) == 1
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o700)


@pytest.mark.parametrize("unnamed", [True, False])
def test_a_failed_write_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       unnamed: bool) -> None:
    """Whole or nothing, with the Linux unnamed file and with the named temp file."""
    from companion.vault import private_files

    if not unnamed:
        monkeypatch.setattr(private_files, "_write_unnamed", lambda out, write: False)

    def half(handle: io.BufferedWriter) -> None:
        handle.write(CANARY.encode("utf-8"))
        raise OSError(28, "No space left on device")

    out = tmp_path / "out.md"
    with pytest.raises(private_files.UsageError, match="nothing was written"):
        private_files.write_new_file(out, half)
    assert list(tmp_path.iterdir()) == []

    private_files.write_new_file(out, lambda handle: handle.write(b"whole"))
    assert out.read_bytes() == b"whole"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["out.md"]
    with pytest.raises(private_files.UsageError, match="already exists"):
        private_files.write_new_file(out, lambda handle: handle.write(b"again"))
    assert out.read_bytes() == b"whole"


def test_restore_refuses_a_non_backup_before_asking_for_a_passphrase(tmp_path: Path) -> None:
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("just notes", encoding="utf-8")
    result = run_cli("--home", tmp_path / "home", "restore", not_a_backup)
    assert result.code == 2
    assert "not a companion backup" in result.err and "passphrase" not in result.err.lower()

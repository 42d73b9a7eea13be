"""companion.memory.entries in-process on real SQLCipher vaults: checks, round trips
(property tests), search that no input can break, and forgetting that leaves no trace."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from companion import paths
from companion.domain import MEMORY_KINDS
from companion.errors import UsageError
from companion.memory import entries
from companion.vault import Vault
from companion.vault.keys import KdfParams, read_key_file
from tests.conftest import PASSPHRASE, run_cli

CHEAP = KdfParams(time_cost=1, memory_kib=8192, parallelism=1)
PROPERTY = settings(max_examples=50, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])

valid_text = st.text(st.characters(exclude_categories=("Cs",)), min_size=1).filter(
    lambda s: s.strip() != "")


@pytest.fixture(scope="module")
def shared_vault(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("entries")
    vault = Vault.create(folder / "vault.db", folder / "vault.key", PASSPHRASE, CHEAP)
    yield vault
    vault.close()


@pytest.fixture
def vault(tmp_path: Path):
    vault = Vault.create(tmp_path / "vault.db", tmp_path / "vault.key", PASSPHRASE, CHEAP)
    yield vault
    vault.close()


# property tests ---------------------------------------------------------------------


@PROPERTY
@given(text=valid_text, remember=st.booleans())
def test_any_text_round_trips_through_the_journal(shared_vault: Vault, text: str,
                                                  remember: bool) -> None:
    entry = entries.add_journal(shared_vault, text, remember=remember)
    again = entries.get_journal(shared_vault, entry.id)
    assert again.content.encode("utf-8") == text.encode("utf-8")
    assert again.remember is remember
    newest = entries.journal_entries(shared_vault, limit=1)[0]
    assert (newest.id, newest.content) == (entry.id, text)


@PROPERTY
@given(text=valid_text, kind=st.sampled_from(MEMORY_KINDS))
def test_any_text_round_trips_through_memories(shared_vault: Vault, text: str,
                                               kind: str) -> None:
    memory = entries.add_memory(shared_vault, text, kind)
    again = entries.get_memory(shared_vault, memory.id)
    assert again.content.encode("utf-8") == text.encode("utf-8")
    assert again.kind == kind
    listed = {m.id: m.content for m in entries.memories(shared_vault)}
    assert listed[memory.id] == text


@PROPERTY
@given(before=st.text(), surrogate=st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),
       after=st.text())
def test_text_with_a_surrogate_is_refused_everywhere(shared_vault: Vault, before: str,
                                                     surrogate: str, after: str) -> None:
    text = before + surrogate + after + " words"
    counts = (shared_vault.journal.count(), shared_vault.memories.count(),
              shared_vault.commitments.count(), shared_vault.moods.count())
    for add in (lambda: entries.add_journal(shared_vault, text),
                lambda: entries.add_memory(shared_vault, text),
                lambda: entries.add_commitment(shared_vault, text),
                lambda: entries.add_mood(shared_vault, 3, text)):
        with pytest.raises(UsageError, match="not valid UTF-8"):
            add()
    assert counts == (shared_vault.journal.count(), shared_vault.memories.count(),
                      shared_vault.commitments.count(), shared_vault.moods.count())


@PROPERTY
@given(query=st.text(st.characters(exclude_categories=("Cs",))))
def test_no_query_breaks_search(shared_vault: Vault, query: str) -> None:
    """Whatever the person types, search either finds things or says there is no word;
    FTS5 never sees the person's text as syntax."""
    try:
        expression = entries.match_query(query)
    except UsageError as exc:
        assert "nothing to search for" in str(exc)
        return
    shared_vault.search.match(expression)  # no sqlite error
    assert all(isinstance(e.content, str) for e in entries.search_journal(shared_vault, query))
    assert all(m.status == "accepted" for m in entries.search_memories(shared_vault, query))


# checks -----------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", " ", "\n\t  \r\n", "\u3000\u2003"])
def test_empty_text_is_refused(vault: Vault, text: str) -> None:
    with pytest.raises(UsageError, match="empty"):
        entries.add_journal(vault, text)
    with pytest.raises(UsageError, match="empty"):
        entries.add_memory(vault, text)
    with pytest.raises(UsageError, match="empty"):
        entries.add_commitment(vault, text)
    assert (vault.journal.count(), vault.memories.count(), vault.commitments.count()) == (0, 0, 0)


def test_decode_input_is_strict() -> None:
    assert entries.decode_input("héllo 👋".encode()) == "héllo 👋"
    for data in (b"\xed\xa0\x80", b"abc\xff", b"\xc3", b"\xf4\x90\x80\x80"):
        with pytest.raises(UsageError, match="nothing was saved"):
            entries.decode_input(data)


def test_due_dates() -> None:
    today = date(2025, 12, 31)
    assert entries.parse_due("today", today) == "2025-12-31"
    assert entries.parse_due(" Tomorrow ", today) == "2026-01-01"
    assert entries.parse_due("2024-02-29", today) == "2024-02-29"
    for bad in ("2025-02-30", "next week", "31/12/2025", "20251231", "2025-1-5", ""):
        with pytest.raises(UsageError, match="YYYY-MM-DD"):
            entries.parse_due(bad, today)


def test_mood_scores_and_kinds() -> None:
    assert [entries.parse_score(v) for v in ("1", " 5 ", 3)] == [1, 5, 3]
    for bad in ("0", "6", "-1", "3.5", "three", ""):
        with pytest.raises(UsageError, match=r"from 1 \(very low\) to 5"):
            entries.parse_score(bad)
    with pytest.raises(UsageError, match="kind"):
        entries.parse_kind("secret")


def test_match_query_quotes_every_word() -> None:
    assert entries.match_query('sister AND "Ana" NEAR(x*)') == (
        '"sister" OR "AND" OR "Ana" OR "NEAR" OR "x"')
    assert entries.match_query("Café café CAFÉ") == '"Café"'
    assert entries.match_query("東京 へ 行った") == '"東京" OR "へ" OR "行った"'
    for nothing in ("", "   ", "*** ()\"'", "😀👩‍👩‍👧"):
        with pytest.raises(UsageError, match="nothing to search for"):
            entries.match_query(nothing)


# operations -------------------------------------------------------------------------


def test_search_keeps_kinds_apart(vault: Vault) -> None:
    journal = entries.add_journal(vault, "Walked by the river with my sister")
    memory = entries.add_memory(vault, "My sister is called Ana", "person")
    entries.add_journal(vault, "Nothing about family today")
    proposed = vault.memories.add("fact", "Sister moved to Porto", source_kind="message",
                                  status="proposed")
    assert [e.id for e in entries.search_journal(vault, "SISTER")] == [journal.id]
    assert [m.id for m in entries.search_memories(vault, "sister")] == [memory.id]
    assert entries.search_memories(vault, "Porto") == []  # proposals are not recalled
    entries.accept_memory(vault, proposed.id)
    assert [m.id for m in entries.search_memories(vault, "porto")] == [proposed.id]
    assert entries.search_journal(vault, 'river" OR NOT "x') != []


def test_memory_life_cycle(vault: Vault) -> None:
    conversation = vault.conversations.create()
    message = vault.conversations.add_message(conversation.id, "user", "I start a new job")
    proposed = vault.memories.add("event", "Starts a new job", source_kind="message",
                                  source_id=message.id, conversation_id=conversation.id,
                                  status="proposed")
    assert [m.id for m in entries.memories(vault, proposed=True)] == [proposed.id]
    assert entries.memories(vault) == []
    assert "conversation" in entries.describe_source(proposed)
    kept = entries.accept_memory(vault, proposed.id)
    assert kept.status == "accepted"
    assert entries.accept_memory(vault, proposed.id).status == "accepted"
    with pytest.raises(UsageError, match="not a proposal"):
        entries.discard_memory(vault, proposed.id)
    edited = entries.edit_memory(vault, proposed.id, "Started a new job in May", "goal")
    assert (edited.content, edited.kind, edited.status) == (
        "Started a new job in May", "goal", "accepted")
    assert entries.search_memories(vault, "May")[0].id == proposed.id
    other = vault.memories.add("fact", "Likes rain", source_kind="summary", status="proposed")
    entries.discard_memory(vault, other.id)
    assert vault.memories.get(other.id) is None
    entries.forget_memory(vault, proposed.id)
    assert vault.memories.count() == 0
    assert Path(f"{vault.path}-wal").stat().st_size == 0  # checkpointed while still open
    for operation in (entries.get_memory, entries.forget_memory, entries.accept_memory,
                      entries.discard_memory):
        with pytest.raises(entries.NotFound, match="no memory #99"):
            operation(vault, 99)
    with pytest.raises(entries.NotFound):
        entries.edit_memory(vault, 99, "words")


def test_commitments_and_moods(vault: Vault) -> None:
    soon = entries.add_commitment(vault, "Call the dentist", "tomorrow", date(2025, 1, 1))
    later = entries.add_commitment(vault, "Write to Sam", "2025-03-01")
    undated = entries.add_commitment(vault, "Read more")
    proposed = vault.commitments.add("Walk daily", status="proposed")
    assert soon.due == "2025-01-02"
    assert [c.id for c in entries.commitments(vault)] == [
        soon.id, later.id, undated.id, proposed.id]
    assert entries.accept_commitment(vault, proposed.id).status == "open"
    assert entries.complete_commitment(vault, soon.id).status == "done"
    assert entries.drop_commitment(vault, later.id).status == "dropped"
    with pytest.raises(UsageError, match="already done"):
        entries.accept_commitment(vault, soon.id)
    assert {c.id for c in entries.commitments(vault)} == {undated.id, proposed.id}
    assert len(entries.commitments(vault, include_all=True)) == 4
    with pytest.raises(entries.NotFound, match="no commitment #42"):
        entries.complete_commitment(vault, 42)

    entries.add_mood(vault, 2, "tired")
    entries.add_mood(vault, "5")
    assert [(m.score, m.note) for m in entries.moods(vault)] == [(5, ""), (2, "tired")]
    with pytest.raises(UsageError):
        entries.add_mood(vault, 6)
    assert len(entries.moods(vault)) == 2


def test_a_megabyte_is_stored_whole(vault: Vault) -> None:
    text = ("Ünïcødé 👩‍👩‍👧 שלום \u200d" * 40000)[:1_000_000]
    entry = entries.add_journal(vault, text)
    memory = entries.add_memory(vault, text)
    assert entries.get_journal(vault, entry.id).content == text
    assert entries.get_memory(vault, memory.id).content == text


# forgetting -------------------------------------------------------------------------


def _decrypt(path: Path, key: bytes, page: int = 4096, reserve: int = 80) -> bytes:
    """Every page of a SQLCipher 4 file (or the pages in a WAL), decrypted raw: free
    space and deleted cells included, which a logical export never shows."""
    data = path.read_bytes()
    if path.name.endswith("-wal"):
        frames = range(32, len(data) - 24 - page + 1, 24 + page)
        pages = [(int.from_bytes(data[s:s + 4], "big") == 1, data[s + 24:s + 24 + page])
                 for s in frames]
    else:
        pages = [(s == 0, data[s:s + page]) for s in range(0, len(data) - page + 1, page)]
    out = []
    for first, raw in pages:
        iv = raw[page - reserve:page - reserve + 16]
        decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
        out.append(decryptor.update(raw[16 if first else 0:page - reserve]) + decryptor.finalize())
    return b"".join(out)


def _plain_views(where: paths.Paths, outside: Path, name: str) -> tuple[bytes, bytes, int]:
    """(a plaintext sqlcipher_export, the raw decrypted pages of the database and its
    WAL, the number of FTS hits for the canary word) of the vault as it is now."""
    vault = Vault.unlock(where.vault_db, where.vault_key, PASSPHRASE)
    try:
        hits = vault._conn.execute("SELECT count(*) FROM search WHERE search MATCH ?",
                                   ('"qqcanary7f3e9d" OR "wwcanary2b8a41"',)).fetchone()[0]
        target = outside / f"{name}.db"
        vault._conn.execute(f"ATTACH DATABASE '{target}' AS plain KEY ''")
        vault._conn.execute("SELECT sqlcipher_export('plain')")
        vault._conn.execute("DETACH DATABASE plain")
    finally:
        vault.close()
    key = read_key_file(where.vault_key, PASSPHRASE)
    raw = b"".join(_decrypt(p, key) for p in (where.vault_db, Path(f"{where.vault_db}-wal"))
                   if p.exists())
    return target.read_bytes(), raw, hits


def test_forgotten_words_leave_every_file(tmp_path: Path, home: Path,
                                          passphrase_file: Path) -> None:
    memory_canary = "qqcanary7f3e9d my aunt Philippa's secret about the lighthouse"
    journal_canary = "wwcanary2b8a41 the night I told nobody about the letter"
    base = ("--home", home, "--passphrase-file", passphrase_file)
    assert run_cli(*base, "memory", "add", "A harmless fact to keep").code == 0
    assert run_cli(*base, "memory", "add", memory_canary, "--kind", "event").code == 0
    assert run_cli(*base, "journal", "add", journal_canary).code == 0
    where = paths.resolve(home)
    outside = tmp_path / "outside"  # plaintext copies live outside the home folder
    outside.mkdir()

    export, raw, hits = _plain_views(where, outside, "control")
    canaries = [c.encode() for c in (memory_canary, journal_canary)]
    assert hits == 2
    for needle in canaries:  # the checks below can see the canaries when they are there
        assert needle in export
        assert needle in raw
    assert b"qqcanary7f3e9d" in raw and b"A harmless fact" in raw

    forgot = run_cli(*base, "memory", "forget", "2")
    assert forgot.code == 0, forgot.err
    vault = Vault.unlock(where.vault_db, where.vault_key, PASSPHRASE)
    try:
        entries.delete_journal(vault, 1)
        with pytest.raises(entries.NotFound):
            entries.delete_journal(vault, 1)
        assert Path(f"{where.vault_db}-wal").stat().st_size == 0  # checkpointed
    finally:
        vault.close()

    needles = []
    for canary in (memory_canary, journal_canary):
        for encoding in ("utf-8", "utf-16-le", "utf-32-le"):
            whole = canary.encode(encoding)
            needles += [whole, whole[: len(whole) // 2]]
    files = [p for p in home.rglob("*") if p.is_file()]
    assert files
    for file in files:
        data = file.read_bytes()
        for needle in needles:
            assert needle not in data, f"{file} contains a canary"

    export, raw, hits = _plain_views(where, outside, "after")
    assert hits == 0
    for needle in [*canaries, b"qqcanary7f3e9d", b"wwcanary2b8a41", b"lighthouse"]:
        assert needle not in export
        assert needle not in raw, "deleted text is still in the decrypted pages"
    assert b"A harmless fact to keep" in export and b"A harmless fact to keep" in raw

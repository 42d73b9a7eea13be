"""`companion journal|memory|commitments|mood`, run in subprocesses as scripts use them."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from companion import paths
from companion.vault import Vault
from tests.conftest import PASSPHRASE, Result, run_cli


def cli(home: Path, pf: Path, *args: str, stdin: str | bytes | None = None) -> Result:
    return run_cli("--home", home, "--passphrase-file", pf, *args, stdin=stdin)


def ok(home: Path, pf: Path, *args: str, stdin: str | bytes | None = None) -> Result:
    result = cli(home, pf, *args, stdin=stdin)
    assert result.code == 0, result.err
    return result


def as_json(home: Path, pf: Path, *args: str) -> list[dict]:
    return json.loads(ok(home, pf, *args, "--json").out)


def refused(result: Result, *words: str) -> None:
    assert result.code == 2, (result.code, result.out, result.err)
    assert len(result.err.strip().splitlines()) == 1, result.err
    assert "Traceback" not in result.err
    for word in words:
        assert word in result.err


def open_vault(home: Path) -> Vault:
    where = paths.resolve(home)
    return Vault.unlock(where.vault_db, where.vault_key, PASSPHRASE)


def test_reading_needs_a_vault_but_adding_creates_one(home: Path,
                                                      passphrase_file: Path) -> None:
    for args in (("journal", "list"), ("journal", "search", "day"), ("memory", "list"),
                 ("memory", "search", "x"), ("memory", "forget", "1"),
                 ("commitments", "list"), ("commitments", "done", "1"), ("mood", "list")):
        refused(cli(home, passphrase_file, *args), "no vault")
    assert not (home / "data" / "vault.db").exists()
    assert ok(home, passphrase_file, "journal", "add", "A first page").out.startswith(
        "Saved journal entry #1")
    assert (home / "data" / "vault.db").exists()


def test_journal_add_list_search(home: Path, passphrase_file: Path) -> None:
    ok(home, passphrase_file, "journal", "add", "Walked by the river with my sister")
    piped = ok(home, passphrase_file, "journal", "add", "-", "--no-remember",
               stdin="A quiet evening.\nThe river was loud.\n")
    assert "not bring it up" in piped.out
    ok(home, passphrase_file, "journal", "add", "Nothing much today", "--remember")
    ok(home, passphrase_file, "memory", "add", "My sister is called Ana")

    items = as_json(home, passphrase_file, "journal", "list")
    assert [(e["id"], e["remember"]) for e in items] == [(3, True), (2, False), (1, True)]
    assert items[1]["content"] == "A quiet evening.\nThe river was loud.\n"
    assert all(e["created_at"] for e in items)
    assert [e["id"] for e in as_json(home, passphrase_file, "journal", "list",
                                      "--limit", "1")] == [3]
    shown = ok(home, passphrase_file, "journal", "list").out
    assert "#2" in shown and "    The river was loud." in shown and "not recalled" in shown

    found = as_json(home, passphrase_file, "journal", "search", "RIVER")
    assert sorted(e["id"] for e in found) == [1, 2]
    assert [e["id"] for e in as_json(home, passphrase_file, "journal", "search",
                                     "sister")] == [1]  # not the memory
    assert [m["content"] for m in as_json(home, passphrase_file, "memory", "search",
                                          "sister")] == ["My sister is called Ana"]
    for hostile in ('river" OR NEAR(', "NOT river", "riv*", "body:sister", "river AND"):
        result = cli(home, passphrase_file, "journal", "search", hostile)
        assert result.code == 0, (hostile, result.err)
    assert "No journal entry matches." in ok(home, passphrase_file, "journal", "search",
                                             "zeppelin").out
    refused(cli(home, passphrase_file, "journal", "search", '*** "" ()'),
            "nothing to search for")


def test_memory_browser(home: Path, passphrase_file: Path) -> None:
    assert "memory #1 (person)" in ok(home, passphrase_file, "memory", "add",
                                      "My sister is called Ana", "--kind", "person").out
    ok(home, passphrase_file, "memory", "add", "I like rain")
    vault = open_vault(home)
    try:
        conversation = vault.conversations.create()
        message = vault.conversations.add_message(conversation.id, "user", "New job in May")
        vault.memories.add("event", "Starts a new job in May", source_kind="message",
                           source_id=message.id, conversation_id=conversation.id,
                           status="proposed")
        vault.memories.add("fact", "Dislikes mornings", source_kind="summary",
                           source_id=1, conversation_id=conversation.id, status="proposed")
        vault.memories.mark_used([1, 1])
    finally:
        vault.close()

    items = as_json(home, passphrase_file, "memory", "list")
    assert [(m["id"], m["kind"], m["content"]) for m in items] == [
        (2, "fact", "I like rain"), (1, "person", "My sister is called Ana")]
    assert items[1]["source_kind"] == "manual" and items[1]["source"] == "added by you"
    assert items[1]["used_count"] == 2 and items[1]["last_used_at"]
    assert items[0]["created_at"] and items[0]["last_used_at"] is None
    text = ok(home, passphrase_file, "memory", "list").out
    assert "#1  person  My sister is called Ana" in text
    assert "added by you" in text and "used 2 times" in text and "not used yet" in text

    proposed = as_json(home, passphrase_file, "memory", "list", "--proposed")
    assert [m["id"] for m in proposed] == [4, 3]
    assert proposed[1]["source_kind"] == "message" and proposed[1]["conversation_id"] == 1
    text = ok(home, passphrase_file, "memory", "list", "--proposed").out
    assert "from message #1 in conversation 1" in text and "(proposed)" in text
    assert ok(home, passphrase_file, "memory", "search", "job").out.strip() == (
        "No memory matches.")  # proposals are not recalled until accepted

    assert "kept" in ok(home, passphrase_file, "memory", "accept", "3").out
    assert "already" in ok(home, passphrase_file, "memory", "accept", "3").out
    ok(home, passphrase_file, "memory", "discard", "4")
    refused(cli(home, passphrase_file, "memory", "discard", "3"), "not a proposal")
    assert as_json(home, passphrase_file, "memory", "list", "--proposed") == []
    assert [m["id"] for m in as_json(home, passphrase_file, "memory", "search", "job")] == [3]

    ok(home, passphrase_file, "memory", "edit", "1", "My sister Ana lives in Porto",
       "--kind", "person")
    ok(home, passphrase_file, "memory", "edit", "2", "-", stdin="I love rain 🌧")
    items = {m["id"]: m for m in as_json(home, passphrase_file, "memory", "list")}
    assert items[1]["content"] == "My sister Ana lives in Porto"
    assert items[2]["content"] == "I love rain 🌧" and items[2]["kind"] == "fact"
    assert as_json(home, passphrase_file, "memory", "search", "called") == []

    assert "forgotten" in ok(home, passphrase_file, "memory", "forget", "1").out
    assert [m["id"] for m in as_json(home, passphrase_file, "memory", "list")] == [3, 2]
    assert as_json(home, passphrase_file, "memory", "search", "Porto") == []
    for args in (("forget", "1"), ("accept", "99"), ("discard", "99"),
                 ("edit", "99", "words")):
        refused(cli(home, passphrase_file, "memory", *args), "no memory #")
    refused(cli(home, passphrase_file, "memory", "add", "x", "--kind", "secret"), "kind")
    refused(cli(home, passphrase_file, "memory", "forget", "one"))


def test_commitments(home: Path, passphrase_file: Path) -> None:
    today = date.today()
    assert "due 2030-01-31" in ok(home, passphrase_file, "commitments", "add",
                                  "Write to Sam", "--due", "2030-01-31").out
    ok(home, passphrase_file, "commitments", "add", "Call the dentist", "--due", "tomorrow")
    ok(home, passphrase_file, "commitments", "add", "Water the plants", "--due", "today")
    ok(home, passphrase_file, "commitments", "add", "Read more")
    for bad in ("next week", "2025-02-30", "31/01/2030"):
        refused(cli(home, passphrase_file, "commitments", "add", "Something", "--due", bad),
                "YYYY-MM-DD")
    vault = open_vault(home)
    try:
        vault.commitments.add("Walk every day", status="proposed")
    finally:
        vault.close()

    items = as_json(home, passphrase_file, "commitments", "list")
    assert [(c["id"], c["due"], c["status"]) for c in items] == [
        (3, today.isoformat(), "open"),
        (2, (today + timedelta(days=1)).isoformat(), "open"),
        (1, "2030-01-31", "open"), (4, None, "open"), (5, None, "proposed")]
    assert all(c["created_at"] for c in items)
    assert "#5  [proposed]  no date  Walk every day" in ok(
        home, passphrase_file, "commitments", "list").out

    assert "open" in ok(home, passphrase_file, "commitments", "accept", "5").out
    assert "done" in ok(home, passphrase_file, "commitments", "done", "3").out
    assert "dropped" in ok(home, passphrase_file, "commitments", "drop", "4").out
    refused(cli(home, passphrase_file, "commitments", "accept", "3"), "already done")
    assert [c["id"] for c in as_json(home, passphrase_file, "commitments", "list")] == [2, 1, 5]
    every = as_json(home, passphrase_file, "commitments", "list", "--all")
    assert {c["id"]: c["status"] for c in every} == {
        1: "open", 2: "open", 3: "done", 4: "dropped", 5: "open"}
    for verb in ("done", "drop", "accept"):
        refused(cli(home, passphrase_file, "commitments", verb, "77"), "no commitment #77")


def test_moods(home: Path, passphrase_file: Path) -> None:
    ok(home, passphrase_file, "mood", "add", "2")
    ok(home, passphrase_file, "mood", "add", "5", "slept well 😴")
    for bad in ("0", "6", "-1", "3.5", "great"):
        refused(cli(home, passphrase_file, "mood", "add", bad), "1 (very low) to 5")
    items = as_json(home, passphrase_file, "mood", "list")
    assert [(m["id"], m["score"], m["note"]) for m in items] == [
        (2, 5, "slept well 😴"), (1, 2, "")]
    assert all(m["created_at"] for m in items)
    assert "5/5  slept well 😴" in ok(home, passphrase_file, "mood", "list").out


ADDS = [("journal", "add"), ("memory", "add"), ("commitments", "add")]


@pytest.mark.parametrize("command", ADDS)
def test_bad_text_is_refused_and_nothing_is_stored(home: Path, passphrase_file: Path,
                                                    command: tuple[str, str]) -> None:
    for text in ("", "   ", "\n\t "):
        refused(cli(home, passphrase_file, *command, text), "empty", "nothing was saved")
        refused(cli(home, passphrase_file, *command, "-", stdin=text), "empty")
    for data in (b"\xed\xa0\x80", b"hello \xff world", b"\xc3"):
        refused(cli(home, passphrase_file, *command, "-", stdin=data),
                "not valid UTF-8", "nothing was saved")
    # argv that is not UTF-8 reaches Python as lone surrogates (surrogateescape)
    for text in ("bad \udcff byte", "\udced\udca0\udc80"):
        refused(cli(home, passphrase_file, *command, text), "not valid UTF-8",
                "nothing was saved")
    refused(cli(home, passphrase_file, "mood", "add", "3", "note \udcff"), "not valid UTF-8")
    assert not (home / "data" / "vault.db").exists()  # refused before the vault is made

    ok(home, passphrase_file, "mood", "add", "3")
    refused(cli(home, passphrase_file, "memory", "edit", "1", "  "), "empty")
    for listing in (("journal", "list"), ("memory", "list"), ("commitments", "list", "--all")):
        assert as_json(home, passphrase_file, *listing) == []


TEXTS = [
    "Family 👩‍👩‍👧‍👦 and a flag 🏳️‍🌈, skin tones 👋🏽",
    "שלום עולם — مرحبا بالعالم \u200f(RTL)\u200e mixed",
    "zero\u200bwidth\u200djoiner\u200cnon-joiner\ufeffbom",
    "e\u0301 vs é, Å vs \u212b, ﬁ ligature, ½",
    "\U0001d54f\U0001d560\U0001d54a tab\there  trailing spaces   ",
]


def test_any_unicode_round_trips_byte_for_byte(home: Path, passphrase_file: Path) -> None:
    for text in TEXTS:
        ok(home, passphrase_file, "journal", "add", text)
        ok(home, passphrase_file, "memory", "add", "-", stdin=text.encode("utf-8"))
    ok(home, passphrase_file, "commitments", "add", TEXTS[0])
    journal = [e["content"] for e in reversed(as_json(home, passphrase_file, "journal", "list"))]
    memories = [m["content"] for m in reversed(as_json(home, passphrase_file, "memory", "list"))]
    for stored in (journal, memories):
        assert [s.encode("utf-8") for s in stored] == [t.encode("utf-8") for t in TEXTS]
    assert as_json(home, passphrase_file, "commitments", "list")[0]["content"] == TEXTS[0]
    shown = ok(home, passphrase_file, "journal", "list").out
    assert all(text in shown for text in TEXTS)
    found = as_json(home, passphrase_file, "journal", "search", "שלום")
    assert [e["content"] for e in found] == [TEXTS[1]]


def test_a_megabyte_entry_round_trips(home: Path, passphrase_file: Path) -> None:
    text = ("Line of a long night 🌙 — ünïcode שלום\n" * 30000)[:1_048_576]
    data = text.encode("utf-8")
    assert len(data) > 1_000_000
    ok(home, passphrase_file, "journal", "add", "-", stdin=data)
    ok(home, passphrase_file, "memory", "add", "-", stdin=data)
    assert as_json(home, passphrase_file, "journal", "list")[0]["content"].encode() == data
    assert as_json(home, passphrase_file, "memory", "list")[0]["content"].encode() == data


def test_remember_journal_setting_is_the_default(home: Path, passphrase_file: Path) -> None:
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.toml").write_text("remember_journal = false\n", encoding="utf-8")
    added = run_cli("--home", home, "--passphrase-file", passphrase_file, "journal", "add",
                    "only for me")
    assert added.code == 0, added.err
    listed = json.loads(run_cli("--home", home, "--passphrase-file", passphrase_file,
                                "journal", "list", "--json").out)
    assert listed[0]["remember"] is False

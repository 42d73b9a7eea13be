"""The Markdown export in the person's language, through the real CLI: the headings, labels
and the warning are translated, what the person wrote stays exactly as written, and the
JSON export (data, not prose) is the same bytes in every language."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from companion import i18n
from companion.vault import Vault, export
from tests.conftest import PASSPHRASE, Result, run_cli

WORDS = [
    "Ich war heute am Meer. # not a heading",  # a message, quoted so it stays a message
    "그 말이 위로가 됐어",
    "Tagebuch: zu müde zum Schreiben",
    "Hält Spaziergänge im Regen für gut",
    "Call my sister on Sunday",
    "heavy but okay",
    "Did it, she was glad",
]


def fill(home: Path) -> None:
    """A vault with one of every record the export holds, in the person's own words."""
    data = home / "data"
    vault = Vault.create(data / "vault.db", data / "vault.key", PASSPHRASE)
    try:
        conversation = vault.conversations.create().id
        first = vault.conversations.add_message(conversation, "user", WORDS[0])
        vault.conversations.add_message(conversation, "assistant", WORDS[1])
        vault.journal.add(WORDS[2], remember=False)
        vault.memories.add("preference", WORDS[3], source_kind="message", source_id=first.id,
                           conversation_id=conversation)
        vault.memories.add("goal", "Sleep before midnight", status="proposed")
        vault.commitments.add(WORDS[4], "2030-01-02", status="open")
        done = vault.commitments.add("Water the plants", status="done")
        vault.commitments.record_check_in(done.id, answer=WORDS[6])
        vault.moods.add(3, WORDS[5], conversation)
    finally:
        vault.close()


def export_in(monkeypatch: pytest.MonkeyPatch, code: str, home: Path, passphrase_file: Path,
              out: Path, *args: str) -> Result:
    """`companion export` run as a person whose language is `code` would run it (monkeypatch
    puts the suite's English back afterwards)."""
    monkeypatch.setenv("COMPANION_UI_LANGUAGE", code)
    return run_cli("--home", home, "--passphrase-file", passphrase_file, "export", *args,
                   out, "--yes")


@pytest.mark.parametrize(("code", "expected"), [
    ("ko", ["# companion 내보내기", "이 파일은 암호화되어 있지 않습니다", "## 대화", "## 일기",
            "## 기억", "### 수락한 기억", "### 제안된 기억(아직 검토하지 않음)", "## 요약",
            "## 약속", "## 기분", "시작 ", "마지막 메시지", "**나** · ", "**Companion** · ",
            "(companion이 대화에서 꺼내지 않음)", "없습니다.",
            "- [수락됨] (취향) Hält Spaziergänge im Regen für gut (대화 1에서: ",
            "- [제안됨] (목표) Sleep before midnight (직접 추가함)",
            "- [진행 중] Call my sister on Sunday (기한 2030-01-02)",
            "- [완료] Water the plants; 답: Did it, she was glad", ": 3/5, heavy but okay"]),
    ("de", ["# companion-Export", "Diese Datei ist nicht verschlüsselt: Wer sie hat, kann "
            "alles darin lesen.", "## Gespräche", "## Tagebuch", "## Erinnerungen",
            "### Übernommen", "### Vorgeschlagen, noch nicht geprüft", "## Zusammenfassungen",
            "## Vorhaben", "## Stimmungen", "### Gespräch 1: ", "Begonnen am ",
            "**Du** · ", "(wird in Gesprächen nicht aufgegriffen)", "Keine Einträge.",
            "- [übernommen] (Vorliebe) Hält Spaziergänge im Regen für gut (aus Gespräch 1: ",
            "- [vorgeschlagen] (Ziel) Sleep before midnight (von dir hinzugefügt)",
            "- [offen] Call my sister on Sunday (fällig am 2030-01-02)",
            "- [erledigt] Water the plants; Antwort: Did it, she was glad"]),
])
def test_the_markdown_export_speaks_the_chosen_language(
        monkeypatch: pytest.MonkeyPatch, home: Path, passphrase_file: Path, tmp_path: Path,
        code: str, expected: list[str]) -> None:
    fill(home)
    out = tmp_path / f"all-{code}.md"
    result = export_in(monkeypatch, code, home, passphrase_file, out)
    assert result.code == 0, result.err
    text = out.read_text(encoding="utf-8")
    for piece in expected:
        assert piece in text, piece
    for english in ("## Conversations", "## Memories", "### Accepted", "not yet reviewed",
                    "This file is not encrypted", "**You**", "None.", "Started "):
        assert english not in text, english
    for line in WORDS:  # the person's words, exactly as written (messages quoted)
        assert line in text, line
    assert "> Ich war heute am Meer. # not a heading" in text


def test_the_json_export_is_the_same_in_every_language(
        monkeypatch: pytest.MonkeyPatch, home: Path, passphrase_file: Path,
        tmp_path: Path) -> None:
    fill(home)
    bodies = {}
    for code in ("en", "ko", "de"):
        out = tmp_path / f"all-{code}.json"
        result = export_in(monkeypatch, code, home, passphrase_file, out, "--format", "json")
        assert result.code == 0, result.err
        body = out.read_text(encoding="utf-8")
        bodies[code] = re.sub(r'"exported_at": "[^"]*"', '"exported_at": ""', body)
    assert bodies["en"] == bodies["ko"] == bodies["de"]
    assert '"status": "accepted"' in bodies["ko"] and '"kind": "preference"' in bodies["ko"]
    assert '"role": "user"' in bodies["de"] and WORDS[1] in bodies["de"]


def test_the_real_function_reads_the_same_data_in_each_language(tmp_path: Path) -> None:
    """One collected record set: the JSON does not move with the language, the Markdown
    does, and English is what it always was."""
    vault = Vault.create(tmp_path / "v.db", tmp_path / "v.key", PASSPHRASE)
    try:
        vault.conversations.add_message(vault.conversations.create().id, "user", WORDS[0])
        data = export.collect(vault)
    finally:
        vault.close()
    try:
        english = export.to_markdown(data), export.to_json(data)
        i18n.use("ru")
        russian = export.to_markdown(data), export.to_json(data)
    finally:
        i18n.use("en")
    assert russian[1] == english[1]
    assert "## Разговоры" in russian[0] and "**Вы** · " in russian[0]
    assert "Этот файл не зашифрован" in russian[0] and "## Дневник" in russian[0]
    assert "## Conversations" in english[0] and "**You** · " in english[0]
    assert "> " + WORDS[0] in russian[0]

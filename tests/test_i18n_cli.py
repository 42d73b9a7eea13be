"""The command line in the person's language: its sentences, prompts and --help, chosen
once at start (COMPANION_UI_LANGUAGE, then ui_language or language in config.toml), while
--json output stays exactly the same whatever the language."""

from __future__ import annotations

from pathlib import Path

import pytest

from companion import i18n
from companion.cli.steps import counted
from tests.conftest import Result, run_cli


def cli(home: Path, pf: Path, *args: str) -> Result:
    return run_cli("--home", home, "--passphrase-file", pf, *args)


def ok(home: Path, pf: Path, *args: str) -> str:
    result = cli(home, pf, *args)
    assert result.code == 0, result.err
    return result.out


def test_the_cli_speaks_spanish(monkeypatch: pytest.MonkeyPatch, home: Path,
                                passphrase_file: Path) -> None:
    monkeypatch.setenv("COMPANION_UI_LANGUAGE", "es")
    assert ok(home, passphrase_file, "journal", "add", "--no-remember", "un día largo") == (
        "Se guardó la entrada del diario #1. companion no la mencionará en la conversación.\n")
    assert "(no se menciona en la conversación)" in ok(home, passphrase_file, "journal", "list")
    assert ok(home, passphrase_file, "commitments", "add", "caminar", "--due",
              "2030-01-02") == "Se guardó el compromiso #1, para el 2030-01-02.\n"
    assert ok(home, passphrase_file, "history") == "Todavía no hay conversaciones.\n"
    refused = cli(home, passphrase_file, "forget", "conversation", "9", "--yes")
    assert refused.code == 2
    assert refused.err == ("companion: No existe la conversación 9; `companion history` las "
                           "muestra (no se borró nada).\n")
    usage = run_cli("--home", home, "journal", "list", "--limit", "x")
    assert usage.code == 2 and "ejecuta `companion --help` para ver qué acepta." in usage.err


def test_the_cli_speaks_russian_from_the_config_file(home: Path,
                                                     passphrase_file: Path) -> None:
    # ui_language in config.toml comes before the suite's COMPANION_UI_LANGUAGE=en.
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.toml").write_text('ui_language = "ru"\n', encoding="utf-8")
    assert ok(home, passphrase_file, "memory", "add", "любит чай") == (
        "Запомнено как воспоминание #1 (fact).\n")
    assert "ещё не использовано" in ok(home, passphrase_file, "memory", "list")
    chart = cli(home, passphrase_file, "mood", "chart", "--days", "0")
    assert chart.err == "companion: --days должен быть от 1 до 3650.\n"
    # --help is built after the language is chosen, so it speaks it too.
    shown = run_cli("--home", home, "journal", "--help").out
    assert "сохранить запись (ответ не пишется)" in shown
    assert "показать эту справку и выйти" in shown


def test_json_is_the_same_in_every_language(monkeypatch: pytest.MonkeyPatch, home: Path,
                                            passphrase_file: Path) -> None:
    ok(home, passphrase_file, "journal", "add", "a quiet evening")
    ok(home, passphrase_file, "memory", "add", "likes tea", "--kind", "preference")
    ok(home, passphrase_file, "commitments", "add", "walk", "--due", "2030-01-02")
    ok(home, passphrase_file, "mood", "add", "4", "calm")
    commands = (("journal", "list"), ("memory", "list"), ("commitments", "list"),
                ("mood", "list"), ("history",), ("paths",))
    seen: dict[str, list[str]] = {}
    for code in ("en", "ko", "de"):
        monkeypatch.setenv("COMPANION_UI_LANGUAGE", code)
        seen[code] = [ok(home, passphrase_file, *command, "--json") for command in commands]
    assert seen["en"] == seen["ko"] == seen["de"]
    assert '"content": "a quiet evening"' in seen["en"][0]
    monkeypatch.setenv("COMPANION_UI_LANGUAGE", "ko")  # the human reading does change
    assert "기한 2030-01-02" in ok(home, passphrase_file, "commitments", "list")


def test_counts_take_each_language_s_plural_forms() -> None:
    try:
        i18n.use("ru")
        assert [counted("cli_data.conversations", n) for n in (1, 3, 5, 21, 12)] == [
            "1 разговор", "3 разговора", "5 разговоров", "21 разговор", "12 разговоров"]
        i18n.use("fr")
        assert counted("cli_data.memories", 0) == "0 souvenir"
        i18n.use("en")
        assert counted("cli_data.journal", 1) == "1 journal entry"
        assert counted("cli_data.journal", 0) == "0 journal entries"
    finally:
        i18n.use("en")


def test_onboarding_s_choice_of_language_counts_once_the_vault_is_open(
        monkeypatch: pytest.MonkeyPatch, home: Path, passphrase_file: Path) -> None:
    from companion import paths
    from companion.care.profile import save_profile
    from companion.vault import Vault
    from tests.conftest import PASSPHRASE

    monkeypatch.setenv("COMPANION_UI_LANGUAGE", "")  # nothing chosen but in the vault
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    where = paths.resolve(home)
    where.ensure()
    Vault.create(where.vault_db, where.vault_key, PASSPHRASE).close()
    assert ok(home, passphrase_file, "history") == "No conversations yet.\n"
    vault = Vault.unlock(where.vault_db, where.vault_key, PASSPHRASE)
    try:
        save_profile(vault, {"ui_language": "de"})
    finally:
        vault.close()
    assert ok(home, passphrase_file, "history") == "Noch keine Gespräche.\n"
    monkeypatch.setenv("COMPANION_UI_LANGUAGE", "ko")  # the environment still comes first
    assert ok(home, passphrase_file, "history") != "Noch keine Gespräche.\n"


def test_argparse_s_own_headings_too(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    english = run_cli("--home", home, "journal", "--help").out
    assert english.startswith("usage: companion journal") and "\noptions:\n" in english
    monkeypatch.setenv("COMPANION_UI_LANGUAGE", "de")
    german = run_cli("--home", home, "journal", "--help").out
    assert german.startswith("Aufruf: companion journal")
    assert "\nPositionsargumente:\n" in german and "\nOptionen:\n" in german

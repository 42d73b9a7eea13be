"""The app's words in the person's language: catalogue parity, the choice, the screens."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from companion import i18n, paths
from companion.config import Settings
from companion.ui.app import CompanionApp
from tests.conftest import run_cli
from tests.test_tui import SIZE, wait_for

OTHERS = [c for c in i18n.codes() if c != i18n.SOURCE]


def test_at_least_eight_languages_besides_english() -> None:
    assert {"es", "pt-BR", "fr", "de", "hi", "ko", "zh", "ru"} <= set(OTHERS)


@pytest.mark.parametrize("code", OTHERS)
def test_each_catalogue_has_exactly_the_english_keys(code: str) -> None:
    source, mine = i18n.keys(i18n.SOURCE), i18n.keys(code)
    assert not source - mine, f"{code} misses {sorted(source - mine)}"
    assert not mine - source, f"{code} has keys English does not: {sorted(mine - source)}"


@pytest.mark.parametrize("code", OTHERS)
def test_each_catalogue_keeps_every_placeholder(code: str) -> None:
    english, mine = i18n.catalogue(i18n.SOURCE), i18n.catalogue(code)
    for key in i18n.keys(i18n.SOURCE):
        assert i18n.placeholders(mine[key]) == i18n.placeholders(english[key]), key
        assert mine[key].strip() and mine[key] != english[key], f"{code} {key} untranslated"


@pytest.mark.parametrize("code", i18n.codes())
def test_each_catalogue_names_itself_and_says_how_it_was_checked(code: str) -> None:
    catalogue = i18n.catalogue(code)
    assert catalogue["meta.name"] and catalogue["meta.checked"]


def test_the_parity_check_catches_a_changed_placeholder() -> None:
    assert i18n.placeholders("from {engine}") != i18n.placeholders("from {motor}")
    assert i18n.placeholders("no placeholder") == set()


@pytest.mark.parametrize(("setting", "env", "reply", "lang", "expected"), [
    ("ko", "de", "es", "fr_FR.UTF-8", "ko"),
    ("", "de", "es", "fr_FR.UTF-8", "de"),
    ("", "", "pt", "fr_FR.UTF-8", "pt-BR"),
    ("", "", "", "fr_FR.UTF-8", "fr"),
    ("", "", "", "pt_BR.UTF-8", "pt-BR"),
    ("", "", "sw", "C.UTF-8", "en"),
    ("", "", "", "", "en"),
])
def test_the_language_is_chosen_in_order(monkeypatch, setting, env, reply, lang,
                                         expected) -> None:
    monkeypatch.setenv("COMPANION_UI_LANGUAGE", env)
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.setenv("LANG", lang)
    assert i18n.choose(setting, reply) == expected


def test_a_key_missing_from_a_catalogue_falls_back_to_english() -> None:
    i18n.use("ko")
    try:
        assert i18n.t("unlock.title_new") == "companion에 오신 것을 환영합니다"
        assert i18n.t("no.such.key") == "no.such.key"
        assert "http://h:1" in i18n.t("limits.server", engine="http://h:1")
    finally:
        i18n.use("en")


def test_companion_languages_json(home: Path) -> None:
    result = run_cli("--home", home, "languages", "--json")
    assert result.code == 0, result.err
    rows = {row["code"]: row for row in json.loads(result.out)["languages"]}
    assert rows["pt-BR"]["name"] == "Português (Brasil)" and rows["ko"]["name"] == "한국어"
    assert all(0 <= row["complete"] <= 1 for row in rows.values())
    assert rows["en"]["current"]  # the suite pins English (tests/conftest.py)


async def test_the_unlock_screen_speaks_the_chosen_language(home: Path) -> None:
    app = CompanionApp(paths.resolve(home), Settings(ui_language="pt-BR"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: bool(app.screen.query("#unlock-title")))
        assert str(app.screen.query_one("#unlock-title").render()) == "Boas-vindas ao companion"
        await pilot.click("#submit")  # nothing typed: the error in Portuguese too
        await pilot.pause()
        assert "Digite uma senha primeiro." in str(app.screen.query_one("#unlock-error")
                                                  .render())
    i18n.use("en")


def test_the_support_panel_speaks_the_chosen_language(tmp_path: Path) -> None:
    from companion.care import support
    from companion.ui.widgets.support_panel import render_panel
    from companion.vault import Vault
    from tests.conftest import PASSPHRASE

    vault = Vault.create(tmp_path / "v.db", tmp_path / "v.key", PASSPHRASE)
    try:
        data = support.panel(vault, Settings(country="KR"), None)
        i18n.use("ko")
        text = render_panel(data).plain
        assert "혼자가 아니에요" in text and "나의 안전 계획" in text and "위기 상담 전화" in text
        assert "109" in text  # the lines themselves are data, shown as they are
    finally:
        i18n.use("en")
        vault.close()


@pytest.mark.parametrize("code", i18n.codes())
def test_a_text_looked_up_alone_is_the_catalogue_s(code: str) -> None:
    """`lookup` parses only the file that holds a key's table (start-up); it must find
    exactly what the whole catalogue holds."""
    whole = i18n.catalogue(code)
    assert {key: i18n.lookup(code, key) for key in whole} == whole
    assert i18n.lookup(code, "no_such_table.key") is None

"""Crisis support: the crisis-lines file, what the panel shows, and the panel and the
safety plan editor in the real app (Pilot), which must never block the composer."""

from __future__ import annotations

import json
import re
import sys
from datetime import date
from pathlib import Path

import pytest
from textual.widgets import Input, TextArea

from companion import paths
from companion.care import support
from companion.config import Settings
from companion.ui.app import CompanionApp
from companion.ui.screens.chat import ChatScreen
from companion.ui.screens.safety_plan import SafetyPlanScreen
from companion.ui.widgets.support_panel import (
    SupportPanel,
    hide_support,
    panel_for,
    render_panel,
    show_support,
)
from companion.vault import Vault
from companion.vault.care import SAFETY_PLAN_SECTIONS
from companion.vault.keys import KdfParams
from tests.conftest import PASSPHRASE
from tests.test_tui import wait_for
from tests.test_tui_memory import type_text

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CHEAP = KdfParams(time_cost=1, memory_kib=8192, parallelism=1)
SIZE = (120, 40)
MUST_HAVE = {"US", "GB", "IE", "CA", "AU", "IN", "BR", "ES", "FR", "DE"}
EMERGENCY_ONLY = {"112", "911", "999", "000", "111"}


# the crisis-lines file ------------------------------------------------------------------


def test_every_built_in_line_has_a_source_and_a_verified_date() -> None:
    raw = tomllib.loads(support.LINES_FILE.read_text(encoding="utf-8"))
    assert raw["line"]
    for entry in raw["line"]:
        assert re.match(r"https?://\S+$", entry.get("source", "")), entry.get("name")
        assert re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", entry.get("verified", "")), entry
        assert entry["verified"] <= date.today().isoformat()
        assert entry.get("number") or entry.get("text") or entry.get("online")
    found = support.builtin_directory()
    assert found.problems == ()
    assert len(found.lines) == len(raw["line"])  # none was dropped as invalid
    assert {line.country for line in found.lines} >= MUST_HAVE


NEW_LANGUAGE_COUNTRIES = {"IT", "JP", "TR", "ID", "PH", "KE", "TZ", "NG", "VN", "PL", "UA",
                          "BD", "PK", "SA", "EG", "AE"}


def test_every_country_has_a_sourced_line_or_a_note_saying_why_not() -> None:
    raw = tomllib.loads(support.LINES_FILE.read_text(encoding="utf-8"))
    for entry in raw.get("unsourced", []):
        assert entry["countries"] and entry["note"].strip(), entry
    sourced = {entry["country"] for entry in raw["line"]}
    unsourced = {c for entry in raw.get("unsourced", []) for c in entry["countries"]}
    assert not sourced & unsourced
    assert sourced | unsourced >= NEW_LANGUAGE_COUNTRIES
    for entry in raw["emergency"]:
        assert re.match(r"https?://\S+$", entry.get("source", "")) or entry.get("note")
    emergency = support.builtin_directory().emergency
    assert (sourced | unsourced) <= set(emergency)  # an emergency number at least


def test_emergency_numbers_are_kept_apart_from_crisis_lines() -> None:
    found = support.builtin_directory()
    assert not {line.number for line in found.lines} & EMERGENCY_ONLY
    assert found.emergency["GB"].number == "999"
    assert found.emergency["FR"].number == "112"
    assert found.emergency["AU"].number == "000"


_ISO_CODES = """
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ
BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM
DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS
GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN
KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ
MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM
PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV
SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI
VN VU WF WS YE YT ZA ZM ZW
"""
ISO_3166_ALPHA_2 = frozenset(_ISO_CODES.split())
"""Every ISO 3166-1 alpha-2 code (249), as assigned in 2026."""

NO_EMERGENCY_ROW = {
    "AQ", "BV", "GS", "HM", "TF",  # no permanent population
    "PN",  # Pitcairn, about 40 people: no emergency number could be sourced
}


def test_every_inhabited_country_has_a_sourced_emergency_number() -> None:
    assert len(ISO_3166_ALPHA_2) == 249
    raw = tomllib.loads(support.LINES_FILE.read_text(encoding="utf-8"))
    listed: list[str] = []
    for entry in raw["emergency"]:
        assert re.fullmatch(r"\d{2,10}", entry["number"]), entry  # digits only, to dial
        assert re.match(r"https?://\S+$", entry.get("source", "")), entry
        assert entry["countries"] and set(entry) <= {"countries", "number", "note", "source"}
        listed += entry["countries"]
    assert len(listed) == len(set(listed)), "a country is in two emergency rows"
    assert set(listed) <= ISO_3166_ALPHA_2
    emergency = support.builtin_directory().emergency
    assert set(emergency) == set(listed)
    assert ISO_3166_ALPHA_2 - set(emergency) == NO_EMERGENCY_ROW
    assert emergency["US"].number == "911" and emergency["IN"].number == "112"


def write(file: Path, text: str) -> Path:
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(text, encoding="utf-8")
    return file


GOOD = '''
[[line]]
country = "nz"
name = "My local line"
number = "0800 000 000"
source = "https://example.org/help"
verified = "2024-05-01"
'''


def test_a_persons_own_line_is_validated_and_shown_first(tmp_path: Path) -> None:
    file = write(tmp_path / support.USER_LINES_NAME, GOOD + '''
[[line]]
country = "NZ"
name = "No source"
number = "123"
verified = "2024-05-01"

[[line]]
country = "NZ"
name = "Later"
number = "456"
source = "https://example.org"
verified = "2999-01-01"

[[line]]
country = "NZ"
name = "Typo"
numbr = "789"
source = "https://example.org"
verified = "2024-01-01"
''')
    found = support.directory(file)
    mine = found.for_country("NZ")
    assert [line.name for line in mine] == ["My local line"]
    assert mine[0].origin == "your file" and mine[0].country == "NZ"
    assert found.lines[0] == mine[0]
    problems = " ".join(found.problems)
    assert "no source" in problems and "in the future" in problems and "'numbr'" in problems
    assert "123" not in [line.number for line in found.lines]


def test_a_broken_user_file_is_reported_and_built_in_lines_stay(tmp_path: Path) -> None:
    file = write(tmp_path / support.USER_LINES_NAME, "[[line]\nnot toml")
    found = support.directory(file)
    assert "could not be read" in found.problems[0]
    assert found.for_country("GB")


# what the panel shows -------------------------------------------------------------------


@pytest.fixture
def vault(tmp_path: Path):
    vault = Vault.create(tmp_path / "vault.db", tmp_path / "vault.key", PASSPHRASE, CHEAP)
    yield vault
    vault.close()


def test_the_panel_has_the_plan_contacts_and_lines(vault: Vault) -> None:
    vault.safety_plan.set("reasons_for_living", "My sister and my dog")
    vault.safety_plan.set("warning_signs", "Not sleeping")
    vault.contacts.add("Ana", "+44 7700 900000", "evenings")
    data = support.panel(vault, Settings(country="gb"))
    assert [s.key for s in data.plan] == list(SAFETY_PLAN_SECTIONS)
    assert data.plan[0].content == "Not sleeping" and not data.plan[0].empty
    assert data.plan[1].empty
    assert data.contacts[0].name == "Ana"
    assert [line.name for line in data.lines] == ["Samaritans"]
    assert data.emergency is not None and data.emergency.number == "999"
    assert data.notice == ""
    text = data.as_text()
    assert "116 123" in text and data.lines[0].verified in text and "not filled in" in text
    shown = json.loads(json.dumps(data.as_dict()))
    assert set(shown) == {"country", "safety_plan", "contacts", "crisis_lines", "emergency",
                          "notice", "problems"}
    assert shown["crisis_lines"][0]["source"].startswith("https://")
    assert shown["safety_plan"][5] == {"section": "reasons_for_living",
                                       "title": "My reasons for living",
                                       "text": "My sister and my dog", "empty": False}


def test_without_a_line_the_panel_says_so_and_how_to_add_one(vault: Vault,
                                                             tmp_path: Path) -> None:
    user_file = tmp_path / "config" / support.USER_LINES_NAME
    nowhere = support.panel(vault, Settings(), user_file)
    assert nowhere.lines == () and nowhere.emergency is None
    assert "No country is set" in nowhere.notice and str(user_file) in nowhere.notice
    assert "[[line]]" in nowhere.notice and "source" in nowhere.notice

    new_zealand = support.panel(vault, Settings(country="NZ"), user_file)
    assert "no crisis line for NZ" in new_zealand.notice
    assert new_zealand.emergency is not None and new_zealand.emergency.number == "111"

    write(user_file, GOOD)
    with_mine = support.panel(vault, Settings(country="NZ"), user_file)
    assert [line.name for line in with_mine.lines] == ["My local line"]
    assert with_mine.notice == ""


# in the app -----------------------------------------------------------------------------

PLAN = "Call Ana [b]not bold[/b]"


def new_app(home: Path, country: str = "GB") -> CompanionApp:
    where = paths.resolve(home)
    where.ensure()
    vault = Vault.create(where.vault_db, where.vault_key, PASSPHRASE, CHEAP)
    vault.safety_plan.set("people_and_places", PLAN)
    vault.contacts.add("Ana", "+44 7700 900000")
    vault.close()
    return CompanionApp(where, Settings(country=country), passphrase=PASSPHRASE)


async def open_chat(pilot, app: CompanionApp) -> ChatScreen:
    await wait_for(pilot, lambda: isinstance(app.screen, ChatScreen))
    await wait_for(pilot, lambda: app.engine_state == "none")
    await pilot.pause()
    return app.screen  # type: ignore[return-value]


def panel_text(app: CompanionApp) -> str:
    return str(app.screen.query_one("#support-body").render())


async def test_the_panel_shows_beside_the_chat_and_never_takes_the_composer(home: Path) -> None:
    app = new_app(home)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_chat(pilot, app)
        composer = screen.query_one("#composer", Input)
        await type_text(pilot, "I feel")
        show_support(screen, panel_for(app))
        await pilot.pause()
        assert screen.query(SupportPanel)
        assert app.focused is composer
        assert not screen.query_one("#sidebar").display  # room for the conversation
        text = panel_text(app)
        assert PLAN in text  # the person's words, never read as markup
        assert "Samaritans" in text and "116 123" in text and "999" in text
        assert "Source: https://" in text

        await type_text(pilot, " awful")  # typing goes on while the panel is there
        assert composer.value == "I feel awful"
        await pilot.press("enter")  # and sending too (no model: the words are kept)
        await wait_for(pilot, lambda: len(app.session.messages()) == 1)
        assert app.session.messages()[0].content == "I feel awful"
        assert screen.query(SupportPanel) and app.focused is composer

        await pilot.click("#support-close")
        await pilot.pause()
        assert not screen.query(SupportPanel) and app.focused is composer
        assert screen.query_one("#sidebar").display
        await pilot.press("f9")
        await pilot.pause()
        assert screen.query(SupportPanel) and app.focused is composer
        await pilot.press("f9")
        await pilot.pause()
        assert not screen.query(SupportPanel)
        assert not hide_support(screen)


async def test_the_panel_says_when_no_line_is_known(home: Path) -> None:
    app = new_app(home, country="")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_chat(pilot, app)
        show_support(screen, panel_for(app))
        await pilot.pause()
        text = panel_text(app)
        assert "No country is set" in text and support.USER_LINES_NAME in text
        assert "[[line]]" in str(render_panel(panel_for(app)))


async def test_the_editor_saves_sections_and_contacts_to_the_vault(home: Path) -> None:
    app = new_app(home)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_chat(pilot, app)
        show_support(screen, panel_for(app))
        await pilot.press("f5")
        await wait_for(pilot, lambda: isinstance(app.screen, SafetyPlanScreen))
        editor = app.screen
        first = editor.query_one("#plan-warning_signs", TextArea)
        assert app.focused is first
        await type_text(pilot, "Staying in bed all day")
        editor.query_one("#plan-reasons_for_living", TextArea).focus()
        await type_text(pilot, "My niece 🌱")
        await pilot.press("ctrl+s")
        await pilot.pause()
        plan = app.vault.safety_plan.get()
        assert plan["warning_signs"] == "Staying in bed all day"
        assert plan["reasons_for_living"] == "My niece 🌱"
        assert plan["people_and_places"] == PLAN  # untouched sections stay

        editor.query_one("#contact-name", Input).focus()
        await type_text(pilot, "Dr Rao")
        editor.query_one("#contact-how", Input).focus()
        await type_text(pilot, "clinic 020 7946 0000")
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(app.vault.contacts.list()) == 2)
        added = app.vault.contacts.list()[1]
        assert (added.name, added.how) == ("Dr Rao", "clinic 020 7946 0000")
        await wait_for(pilot, lambda: editor.query(f"#contact-remove-{added.id}"))

        first_id = app.vault.contacts.list()[0].id
        editor.query_one(f"#contact-remove-{first_id}").press()
        await wait_for(pilot, lambda: len(app.vault.contacts.list()) == 1)

        editor.query_one("#contact-name", Input).focus()
        await pilot.press("enter")  # no name: nothing is added
        await pilot.pause()
        assert len(app.vault.contacts.list()) == 1

        first.focus()
        await type_text(pilot, ", not eating")
        await pilot.press("escape")  # leaving saves
        await wait_for(pilot, lambda: isinstance(app.screen, ChatScreen))
        assert app.vault.safety_plan.get()["warning_signs"] == (
            "Staying in bed all day, not eating")
        await pilot.pause()
        text = panel_text(app)  # the open panel shows the plan as it is now
        assert "not eating" in text and "Dr Rao" in text and "+44 7700" not in text


def test_a_country_written_as_a_name_still_finds_its_lines(tmp_path: Path) -> None:
    from companion.care.countries import country_code
    from companion.care.support import panel

    assert [country_code(t) for t in ("br", "Brasil", " brazil ", "España", "대한민국", "UK")] \
        == ["BR", "BR", "BR", "ES", "KR", "GB"]
    assert country_code("Atlantis") == "ATLANTIS"
    vault = Vault.create(tmp_path / "v.db", tmp_path / "v.key", PASSPHRASE)
    try:
        shown = panel(vault, Settings(country="Brasil"))
        assert shown.country == "BR" and any("188" in line.number for line in shown.lines)
    finally:
        vault.close()

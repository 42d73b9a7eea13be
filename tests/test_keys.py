"""Remappable keys: `[keys]` in config.toml, checked against every screen's bindings."""

from __future__ import annotations

import json
from pathlib import Path

from companion import paths
from companion.config import Settings
from companion.ui.app import CompanionApp
from companion.ui.keys import binding_table, check
from companion.ui.widgets.support_panel import PANEL_ID
from tests.conftest import PASSPHRASE, run_cli
from tests.test_tui import SIZE, wait_for


def test_unknown_ids_and_clashes_are_one_line_each_and_the_rest_applies() -> None:
    table = binding_table(CompanionApp)
    safe, problems = check({"toggle_support": "f10", "nope": "x", "lock": "ctrl+q"}, table)
    assert safe == {"toggle_support": "f10"}
    assert len(problems) == 2
    assert "no key binding called 'nope'" in problems[0]
    assert "lock = 'ctrl+q' is already 'Quit'" in problems[1] and "keeps ctrl+l" in problems[1]
    assert all("\n" not in p for p in problems)


def test_two_remaps_onto_one_key_on_the_same_screen_clash() -> None:
    table = binding_table(CompanionApp)
    _safe, problems = check({"toggle_support": "f11", "lock": "f11"}, table)
    assert len(problems) == 1 and "f11" in problems[0]


def test_every_binding_of_ours_has_an_id_to_remap_it_by() -> None:
    from textual.binding import Binding
    from textual.dom import DOMNode

    from companion.ui.keys import _subclasses

    binding_table(CompanionApp)  # imports every screen and widget
    ours = [(cls.__name__, item) for cls in _subclasses(DOMNode)
            if cls.__module__.startswith("companion.ui.")
            for item in vars(cls).get("BINDINGS", [])]
    assert len(ours) > 40
    missing = [(name, item) for name, item in ours
               if not isinstance(item, Binding) or not item.id]
    assert not missing


def test_keys_table_must_hold_key_strings(home: Path) -> None:
    (home / "config").mkdir(parents=True)
    config = home / "config" / "config.toml"
    config.write_text("[keys]\ntoggle_support = 10\n", encoding="utf-8")
    result = run_cli("--home", home, "keys")
    assert result.code == 2
    assert "line 2: toggle_support must be a key in quotes" in result.err
    config.write_text('keys = "f10"\n', encoding="utf-8")
    assert run_cli("--home", home, "keys").code == 2


def test_companion_keys_lists_ids_with_the_persons_keys(home: Path) -> None:
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.toml").write_text('[keys]\ntoggle_support = "f10"\n',
                                                  encoding="utf-8")
    result = run_cli("--home", home, "keys", "--json")
    assert result.code == 0, result.err
    rows = {row["id"]: row for row in json.loads(result.out)["keys"]}
    assert rows["toggle_support"]["keys"] == "f10"
    assert rows["lock"]["keys"] == "ctrl+l"


async def test_the_app_uses_the_persons_keys(home: Path) -> None:
    settings = Settings(keys={"toggle_support": "f10", "nope": "x"})
    app = CompanionApp(paths.resolve(home), settings, passphrase=PASSPHRASE)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.session is not None and app._keymap != {})
        await pilot.press("f9")  # no longer the support key
        await pilot.pause()
        assert not app.screen.query(f"#{PANEL_ID}")
        await pilot.press("f10")
        await wait_for(pilot, lambda: bool(app.screen.query(f"#{PANEL_ID}")))
        assert any("no key binding called 'nope'" in str(n.message)
                   for n in app._notifications)
        await pilot.press("ctrl+q")

"""Journal mode is never silent in a crisis: one short, warm note, no model, in the
person's language, stored as the companion's message and shown beside the support."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from companion import paths
from companion.care import crisis_note, safety
from companion.care.safety import Signal
from companion.config import Settings
from companion.conversation.session import Session
from companion.domain import SamplingParams
from companion.engine.llama import LlamaEngine
from companion.models.files import inspect_model
from companion.ui.app import CompanionApp
from companion.ui.widgets.support_panel import PANEL_ID
from companion.vault import Vault
from tests.conftest import PASSPHRASE, run_cli
from tests.test_modes import Counting
from tests.test_tui import chat_screen, notice, views, wait_for
from tests.test_tui_memory import type_text

CRISIS = "I've decided. I'm going to kill myself tonight"
NINE = ("en", "es", "pt", "fr", "de", "hi", "ko", "zh", "ru")
SETTINGS = Settings(seed=5, mode="journal", sampling=SamplingParams(max_tokens=24))


def test_say_in_journal_mode_answers_a_crisis_with_the_note(home: Path,
                                                            passphrase_file: Path) -> None:
    result = run_cli("--home", home, "--passphrase-file", passphrase_file, "say",
                     "--mode", "journal", CRISIS, "--json")
    assert result.code == 0, result.err
    out = json.loads(result.out)
    assert out["mode"] == "journal" and out["model_calls"] == 0  # no model anywhere
    assert [m["text"] for m in out["messages"]] == [crisis_note.notes()["en"]]
    assert out["reply"] == crisis_note.notes()["en"] and out["provenance"] is None
    assert out["support"]["safety_plan"]  # and the support beside it, as always
    history = run_cli("--home", home, "--passphrase-file", passphrase_file, "history",
                      "--conversation", "1", "--json")
    stored = json.loads(history.out)["messages"]
    assert [(m["role"], m["content"]) for m in stored] == [
        ("user", CRISIS), ("assistant", crisis_note.notes()["en"])]

    calm = run_cli("--home", home, "--passphrase-file", passphrase_file, "say",
                   "just writing about my day", "--json")
    assert json.loads(calm.out)["messages"] == []  # otherwise journal stays quiet


@pytest.mark.parametrize(("text", "setting", "expected"), [
    ("Ya no quiero vivir, quiero morirme", "", "es"),
    ("Je veux mourir, je n'en peux plus", "", "fr"),
    ("mujhe ab jeena nahi hai, main marna chahta hoon", "", "hi-Latn"),
    ("मैं मरना चाहता हूँ", "", "hi"),
    ("죽고 싶어", "", "ko"),
    ("I want to die", "pt-BR", "en"),  # the words' language, when the scan knows it
])
def test_the_note_is_in_the_persons_language(tmp_path: Path, text: str, setting: str,
                                             expected: str) -> None:
    vault = Vault.create(tmp_path / "v.db", tmp_path / "v.key", PASSPHRASE)
    session = Session(vault, replace(SETTINGS, language=setting))  # no engine at all
    reply = session.turn(text)
    assert reply.crisis.fired and reply.model_calls == 0
    assert reply.message is not None and reply.message.speaker is None
    assert reply.message.provenance is None  # the code's words, not a model's
    assert reply.text == crisis_note.notes()[expected]
    assert [m.role for m in session.messages()] == ["user", "assistant"]
    vault.close()


def test_the_language_is_found_then_chosen_then_english() -> None:
    both = Signal("possible", ("en.coded_kms", "es.codigo"), ("en", "es"))
    assert crisis_note.language_for(both) == "es"  # English slang turns up everywhere
    assert crisis_note.language_for(both, "en_GB") == "en"
    assert crisis_note.language_for(Signal("likely", ("xx.a",), ("xx",)), "de") == "de"
    assert crisis_note.language_for(Signal("likely"), "tlh") == "en"


def test_every_lexicon_language_has_a_short_warm_note() -> None:
    notes = crisis_note.notes()
    assert set(NINE) <= set(notes)
    assert set(safety.lexicon().languages) <= set(notes)
    for code, note in notes.items():
        assert 40 < len(note) <= 260, code  # brief
        assert "?" not in note and "\uff1f" not in note, code  # it asks nothing of them


async def test_the_app_shows_the_note_and_the_panel(home: Path, tiny_model: Path) -> None:
    engines: list[Counting] = []

    def load(_path: str, _settings: Settings) -> Counting:
        engines.append(Counting(LlamaEngine.load(inspect_model(tiny_model))))
        return engines[-1]

    settings = replace(SETTINGS, model=str(tiny_model), country="US")
    app = CompanionApp(paths.resolve(home), settings, passphrase=PASSPHRASE,
                       engine_loader=load)
    async with app.run_test(size=(110, 36)) as pilot:
        await wait_for(pilot, lambda: app.engine_state == "ready")
        await wait_for(pilot, lambda: app.screen.query("#composer"))
        await type_text(pilot, CRISIS)
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(views(app)) == 2 and not chat_screen(app).replying)
        await wait_for(pilot, lambda: bool(app.screen.query(f"#{PANEL_ID}")))
        assert views(app)[1].message_id is not None
        assert [m.content for m in app.session.messages()][1] == crisis_note.notes()["en"]
        assert engines[0].calls == 0
        assert "answers nothing" not in notice(app)
        await pilot.press("ctrl+q")

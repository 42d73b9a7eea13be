"""Care's words in the person's language: a guided exercise in the real app (Korean) and
through the session (German, where the model still gets the English step), the check-in
question without a model (Spanish), and the time, coach and safety plan texts (French,
Russian, Hindi). The English exercise files and their catalogue entries must agree."""

from __future__ import annotations

import sys
from datetime import date, datetime, timedelta
from importlib import resources
from pathlib import Path

import pytest
from textual.widgets import OptionList

from companion import i18n, paths
from companion.care import coach, exercises, modes, support
from companion.care.boundaries import Boundaries, FakeClock, duration
from companion.config import Settings
from companion.conversation.session import Session
from companion.domain import SamplingParams
from companion.engine.llama import LlamaEngine
from companion.memory import checkin
from companion.models.files import inspect_model
from companion.ui.app import CompanionApp
from companion.ui.screens.modes import ExercisePicker
from companion.vault import Vault
from tests.conftest import PASSPHRASE
from tests.test_modes import Counting
from tests.test_tui import chat_screen, wait_for
from tests.test_tui_modes import SIZE, pick, ready, status

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on 3.10
    import tomli as tomllib

SETTINGS = Settings(seed=5, sampling=SamplingParams(max_tokens=16))


@pytest.fixture
def vault(tmp_path: Path):
    v = Vault.create(tmp_path / "v.db", tmp_path / "v.key", PASSPHRASE)
    yield v
    v.close()


@pytest.fixture(autouse=True)
def english_afterwards():
    yield
    i18n.use("en")


def test_the_english_catalogue_says_exactly_what_the_exercise_files_say() -> None:
    english = i18n.catalogue("en")
    folder = resources.files("companion") / "data" / "exercises"
    for entry in folder.iterdir():
        if not entry.name.endswith(".toml"):
            continue
        raw = tomllib.loads(entry.read_text(encoding="utf-8"))
        table = f"exercise_{raw['id']}"
        for field in ("title", "summary", "closing"):
            assert english[f"{table}.{field}"] == raw[field].strip(), (table, field)
        for n, step in enumerate(raw["steps"], 1):
            assert english[f"{table}.step{n}_title"] == step["title"].strip()
            assert english[f"{table}.step{n}_prompt"] == step["prompt"].strip()
        assert f"{table}.step{len(raw['steps']) + 1}_title" not in english


def test_the_safety_plan_sections_in_english_are_the_json_titles() -> None:
    for key, (title, hint) in support.SECTION_TITLES.items():
        assert support.section_words(key) == (title, hint)


def test_an_exercise_without_a_model_speaks_german(vault: Vault) -> None:
    i18n.use("de")
    session = Session(vault, SETTINGS, None)
    reply = session.start_exercise("kind-thing")
    assert reply.text.startswith("Eine freundliche Sache für morgen: Plane für morgen")
    assert "(Etwa 5 Minuten; du kannst jederzeit aufhören" in reply.text
    assert "Schritt 1 von 4: Für wen" in reply.text
    assert reply.text.endswith("oder für dich.")
    assert session.describe_mode() == "Übung: Eine freundliche Sache für morgen · Schritt 1 von 4"
    session.turn("meine Nachbarin")
    session.turn("ihr die Einkäufe hochtragen")
    session.turn("morgen nach der Arbeit trage ich ihr die Einkäufe hoch")
    end = session.turn("Regen; dann klopfe ich trotzdem")
    assert end.text.startswith("Das ist dein Plan für morgen.")
    assert "Ich habe deinen Plan notiert: “morgen nach der Arbeit" in end.text
    assert session.describe_mode() == "Zuhören"


def test_the_model_gets_the_english_step_and_the_person_reads_german(
        vault: Vault, tiny_model: Path) -> None:
    engine = Counting(LlamaEngine.load(inspect_model(tiny_model)))
    i18n.use("de")
    reply = Session(vault, SETTINGS, engine).start_exercise("grounding")
    assert "Erdung 5-4-3-2-1 · Schritt 1 von 5: Fünf Dinge, die du siehst" in reply.text
    sent = "\n".join(str(m["content"]) for m in engine.prompts[-1])
    assert "Look around you and name five things you can see" in sent
    assert "Schau dich um" not in sent and "Erdung" not in sent


async def test_the_exercise_picker_and_steps_speak_korean(home: Path, tiny_model: Path) -> None:
    def load(_path: str, _settings: Settings) -> Counting:
        return Counting(LlamaEngine.load(inspect_model(tiny_model)))

    settings = Settings(model=str(tiny_model), seed=4, ui_language="ko",
                        sampling=SamplingParams(max_tokens=12))
    app = CompanionApp(paths.resolve(home), settings, passphrase=PASSPHRASE,
                       engine_loader=load)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app)
        assert status(app).startswith("듣기 (F6)")
        await pick(pilot, app, "exercise")
        await wait_for(pilot, lambda: isinstance(app.screen, ExercisePicker))
        picker = app.screen
        assert picker.title_text.startswith("어떤 연습을 할까요?")
        assert ("grounding", "그라운딩 5-4-3-2-1 (약 5분): 감각을 하나씩 사용해 지금 이곳으로 "
                "돌아옵니다.") in picker.options
        picker.query_one(OptionList).highlighted = list(exercises.builtin()).index("grounding")
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(app.session.messages()) == 1
                       and not chat_screen(app).replying)
        first = app.session.messages()[0].content
        assert first.startswith("그라운딩 5-4-3-2-1: 감각을 하나씩 사용해 지금 이곳으로 "
                                "돌아옵니다. (약 5분 걸립니다.")
        assert "그라운딩 5-4-3-2-1 · 5단계 중 1단계: 보이는 것 다섯 가지" in first
        assert "연습: 그라운딩 5-4-3-2-1 · 5단계 중 1단계" in status(app)
        await pilot.press("ctrl+q")


def test_the_check_in_question_without_a_model_speaks_spanish(vault: Vault) -> None:
    vault.commitments.add("caminar tres veces", (date.today() - timedelta(days=1)).isoformat())
    i18n.use("es")
    found = Session(vault, SETTINGS, None).check_in()
    assert found is not None
    assert found.message.content == "La última vez planeaste: «caminar tres veces». ¿Cómo te fue?"
    assert found.message.provenance is None
    assert "How did it go" not in checkin.fallback_text(found.commitment)


def test_time_coach_and_safety_plan_texts_in_other_languages(vault: Vault) -> None:
    i18n.use("fr")
    assert duration(90 * 60) == "1 heure 30 min"
    clock = FakeClock(datetime(2025, 3, 10, 23, 30).astimezone())
    quiet = Boundaries(Settings(quiet_hours="23:00-06:00"), vault, clock).before_reply()
    assert (quiet.notice or "").startswith("Il est 23:30, pendant les heures calmes")

    i18n.use("ru")
    text = coach.render("Хороший план.", [coach.Step("Позвонить маме", 2)])
    assert "1. Позвонить маме (срок: 2 дн.)" in text and "Ответьте «да»" in text
    assert coach.confirmation([]).startswith("Хорошо: ни один шаг")
    assert modes.describe(modes.ModeState("rehearse", {"role": modes.OTHER})) == \
        "Репетиция: Собеседник"

    i18n.use("hi")
    panel = support.panel(vault, Settings(country="GB"))
    assert panel.plan[0].title == "चेतावनी के संकेत"
    text = panel.as_text()
    assert "आपकी सुरक्षा योजना" in text and "(अभी भरा नहीं गया)" in text
    assert "तुरंत ख़तरा हो तो 999 पर कॉल करें।" in text
    assert panel.as_dict()["safety_plan"][0]["title"] == "Warning signs"  # JSON stays

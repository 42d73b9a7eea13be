"""Signs of crisis: the conversation goes on, with care, and support is shown beside it."""

from __future__ import annotations

import json
from pathlib import Path

from companion import paths
from companion.config import Settings
from companion.conversation.session import Session
from companion.conversation.turn import CRISIS_CARE
from companion.domain import SamplingParams
from companion.engine.llama import LlamaEngine
from companion.models.files import inspect_model
from companion.ui.app import CompanionApp
from companion.ui.widgets.support_panel import PANEL_ID
from companion.vault import Vault
from tests.conftest import PASSPHRASE, run_cli
from tests.test_tui import SIZE, send, wait_for

CRISIS = "honestly I want to kill myself tonight"


def test_reply_goes_on_with_care_and_support(home: Path, passphrase_file: Path,
                                             tiny_model: Path) -> None:
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.toml").write_text('country = "GB"\n', encoding="utf-8")
    result = run_cli("--home", home, "--passphrase-file", passphrase_file, "--model", tiny_model,
                     "--seed", "3", "say", CRISIS, "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["reply"] and data["model_calls"] >= 1  # never a refusal, never silence
    support = data["support"]
    assert support["country"] == "GB"
    assert any("116 123" in line["number"] for line in support["crisis_lines"])
    assert all(line["source"] and line["verified"] for line in support["crisis_lines"])
    assert support["safety_plan"][0]["section"] == "warning_signs"

    calm = run_cli("--home", home, "--passphrase-file", passphrase_file, "--seed", "3",
                   "say", "this traffic is killing me, long day at work", "--json")
    assert "support" not in json.loads(calm.out)


def test_the_model_gets_crisis_care_instructions(tmp_path: Path, tiny_model: Path) -> None:
    vault = Vault.create(tmp_path / "v.db", tmp_path / "v.key", PASSPHRASE)
    engine = LlamaEngine.load(inspect_model(tiny_model))
    seen: list[list[dict]] = []
    real = engine.stream

    def spy(messages, params, seed, cancel):
        seen.append(messages)
        return real(messages, params, seed, cancel)

    engine.stream = spy  # type: ignore[method-assign]
    session = Session(vault, Settings(seed=1), engine)
    session.turn("I had an ordinary day")
    reply = session.turn(CRISIS)
    assert reply.crisis.fired and reply.text
    assert CRISIS_CARE not in str(seen[0]) and CRISIS_CARE in str(seen[1])
    assert CRISIS not in str(reply.crisis)  # the signal holds entry ids, never the words
    engine.close()
    vault.close()


def test_without_a_model_support_still_shows(home: Path, passphrase_file: Path) -> None:
    result = run_cli("--home", home, "--passphrase-file", passphrase_file, "say", CRISIS)
    assert result.code == 4
    assert "safety plan" in result.err.lower()
    history = run_cli("--home", home, "--passphrase-file", passphrase_file, "history",
                      "--conversation", "1", "--json")
    assert json.loads(history.out)["messages"][0]["content"] == CRISIS


async def test_the_panel_opens_beside_the_chat_and_never_blocks(home: Path,
                                                               tiny_model: Path) -> None:
    settings = Settings(model=str(tiny_model), seed=2, country="US",
                        sampling=SamplingParams(max_tokens=24))
    app = CompanionApp(paths.resolve(home), settings, passphrase=PASSPHRASE)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.engine_state == "ready")
        await send(pilot, CRISIS)
        await wait_for(pilot, lambda: bool(app.screen.query(f"#{PANEL_ID}")))
        assert app.focused is not None and app.focused.id == "composer"
        await wait_for(pilot, lambda: len(app.session.messages()) >= 2 and
                       not app.screen.replying)
        assert app.session.messages()[-1].role == "assistant"  # the reply still came
        await send(pilot, "thank you for staying")
        await wait_for(pilot, lambda: len(app.session.messages()) >= 3)
        assert app.session.messages()[2].content == "thank you for staying"
        await pilot.press("ctrl+q")


class SaysYes:
    """The real tiny engine, asked for real, whose answer to the second opinion is then
    fixed at yes: a random model's yes or no cannot be chosen, and what is tested here is
    what the app does with a yes (support, the next reply crisis-aware)."""

    def __init__(self, engine: LlamaEngine) -> None:
        self.engine = engine
        self.asked = 0

    def __getattr__(self, name: str):
        return getattr(self.engine, name)

    def complete_json(self, messages, schema, **kwargs):
        self.engine.complete_json(messages, schema, **kwargs)
        self.asked += 1
        return {"yes": True}


DISTRESS = "I feel like I'm falling apart and I can't cope anymore"


def test_the_second_opinion_runs_after_the_reply_and_never_lowers_support(
        tmp_path: Path, tiny_model: Path) -> None:
    vault = Vault.create(tmp_path / "v.db", tmp_path / "v.key", PASSPHRASE)
    engine = LlamaEngine.load(inspect_model(tiny_model))
    off = Session(vault, Settings(seed=1, crisis_model_check=False), engine)
    off.add_user_message("I want to disappear")
    assert off.crisis_signal().level == "possible"
    assert off.second_opinion() is None  # turned off: the word list alone decides
    checking = Session(vault, Settings(seed=1), engine)
    settled = checking.second_opinion()
    assert settled is not None and settled.checked
    assert settled.level in ("possible", "likely")  # a no never takes support back
    checking.add_user_message("honestly I want to kill myself")
    assert checking.second_opinion() is None  # likely is never second-guessed
    checking.add_user_message("we had a lovely day at the beach")
    assert checking.second_opinion() is None  # nothing to ask about
    engine.close()
    vault.close()


def test_a_yes_on_distress_shows_support_and_makes_the_next_reply_crisis_aware(
        tmp_path: Path, tiny_model: Path) -> None:
    vault = Vault.create(tmp_path / "v.db", tmp_path / "v.key", PASSPHRASE)
    engine = SaysYes(LlamaEngine.load(inspect_model(tiny_model)))
    session = Session(vault, Settings(seed=1, sampling=SamplingParams(max_tokens=8),
                                      listen_max_tokens=8), engine)
    reply = session.turn(DISTRESS)
    assert not reply.crisis.fired  # no crisis words: the reply went out as usual
    raised = session.second_opinion()
    assert engine.asked == 1 and raised is not None and raised.fired
    follow = session.turn("anyway, whatever")
    assert follow.crisis.fired  # the model's yes carries to the next reply
    assert session.turn("thanks, the weather is nice").crisis.fired is False
    engine.engine.close()
    vault.close()


def test_the_second_opinion_keeps_to_its_time_budget(tmp_path: Path,
                                                     tiny_model: Path) -> None:
    import threading
    import time

    vault = Vault.create(tmp_path / "v.db", tmp_path / "v.key", PASSPHRASE)
    engine = LlamaEngine.load(inspect_model(tiny_model))
    session = Session(vault, Settings(seed=1, crisis_check_seconds=0.2), engine)
    session.add_user_message(DISTRESS)
    held = threading.Event()

    def busy() -> None:  # background work holding the engine past the budget
        with session._engine_lock:
            held.set()
            time.sleep(1.0)

    worker = threading.Thread(target=busy)
    worker.start()
    held.wait()
    started = time.perf_counter()
    signal = session.second_opinion()
    assert time.perf_counter() - started < 0.6
    assert signal is not None and signal.distress and not signal.checked  # as the list said
    worker.join()
    engine.close()
    vault.close()


def test_say_reports_the_second_opinion(home: Path, passphrase_file: Path,
                                        tiny_model: Path) -> None:
    result = run_cli("--home", home, "--passphrase-file", passphrase_file, "--model", tiny_model,
                     "--seed", "3", "say", DISTRESS, "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["reply"]
    opinion = data["second_opinion"]
    assert opinion["level"] in ("none", "possible") and isinstance(opinion["raised"], bool)
    assert ("support" in data) == opinion["raised"]


async def test_the_panel_opens_after_the_reply_when_the_model_says_yes(
        home: Path, tiny_model: Path) -> None:
    engine = SaysYes(LlamaEngine.load(inspect_model(tiny_model)))
    settings = Settings(model=str(tiny_model), seed=2, country="US",
                        sampling=SamplingParams(max_tokens=8))
    app = CompanionApp(paths.resolve(home), settings, passphrase=PASSPHRASE,
                       engine_loader=lambda _path, _settings: engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.engine_state == "ready")
        await send(pilot, DISTRESS)
        await wait_for(pilot, lambda: bool(app.screen.query(f"#{PANEL_ID}")))
        assert len(app.session.messages()) == 2  # the reply came first
        assert engine.asked == 1
        assert app.focused is not None and app.focused.id == "composer"
        await pilot.press("ctrl+q")
    engine.engine.close()

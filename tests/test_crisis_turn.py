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


def test_a_borderline_message_is_put_to_the_model_when_asked(tmp_path: Path,
                                                               tiny_model: Path) -> None:
    vault = Vault.create(tmp_path / "v.db", tmp_path / "v.key", PASSPHRASE)
    engine = LlamaEngine.load(inspect_model(tiny_model))
    plain = Session(vault, Settings(seed=1), engine)
    plain.add_user_message("I want to disappear")
    assert plain.crisis_signal().level == "possible" and not plain.crisis_signal().checked
    checking = Session(vault, Settings(seed=1, crisis_model_check=True), engine)
    settled = checking.crisis_signal()
    assert settled.checked and settled.level in ("likely", "none")  # the model decided
    checking.add_user_message("honestly I want to kill myself")
    certain = checking.crisis_signal()
    assert certain.level == "likely" and not certain.checked  # never second-guessed
    engine.close()
    vault.close()

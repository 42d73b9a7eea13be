"""Modes end to end with the real tiny model and a real vault: journal makes no model
calls, listen keeps its cap and the KV cache, Room answers once per voice, rehearsals
are labelled and end with a debrief, coach steps become commitments on a yes, and an
exercise resumes at its saved step after the vault is closed and opened again."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from companion.care import coach, exercises, modes
from companion.config import Settings
from companion.conversation.session import Session
from companion.domain import SamplingParams
from companion.engine.llama import LlamaEngine
from companion.errors import UsageError
from companion.models.files import inspect_model
from companion.vault import Vault
from tests.conftest import PASSPHRASE, run_cli


class Counting:
    """The real engine, counting (and keeping) every request the session makes of it."""

    def __init__(self, engine: LlamaEngine) -> None:
        self.engine = engine
        self.calls = 0
        self.prompts: list[list[dict]] = []

    @property
    def model(self):
        return self.engine.model

    @property
    def last_stats(self):
        return self.engine.last_stats

    def stream(self, messages, params, seed, cancel):
        self.calls += 1
        self.prompts.append(messages)
        return self.engine.stream(messages, params, seed, cancel)

    def complete_json(self, messages, schema, **kwargs):
        self.calls += 1
        self.prompts.append(messages)
        return self.engine.complete_json(messages, schema, **kwargs)

    def reset_cache(self) -> None:
        self.engine.reset_cache()


@pytest.fixture(scope="module")
def real_engine(tiny_model: Path) -> LlamaEngine:
    return LlamaEngine.load(inspect_model(tiny_model))


@pytest.fixture
def engine(real_engine: LlamaEngine) -> Counting:
    return Counting(real_engine)


@pytest.fixture
def vault(tmp_path: Path):
    v = Vault.create(tmp_path / "v.db", tmp_path / "v.key", PASSPHRASE)
    yield v
    v.close()


SETTINGS = Settings(seed=5, sampling=SamplingParams(max_tokens=48))


def test_journal_mode_makes_no_model_calls(vault: Vault, engine: Counting) -> None:
    session = Session(vault, replace(SETTINGS, mode="journal"), engine)
    for text in ("I just need to get this out", "AAARGH", "ok. better."):
        reply = session.turn(text)
        assert reply.message is None and reply.parts == () and reply.model_calls == 0
        assert reply.mode == "journal"
    assert engine.calls == 0
    assert [m.role for m in session.messages()] == ["user"] * 3
    # no check-in question either: the person asked for no replies
    vault.commitments.add("call Ana", (date.today() - timedelta(days=1)).isoformat())
    session.start_blank()
    assert session.check_in() is None
    assert engine.calls == 0


def test_journal_acknowledgement_is_one_short_call(vault: Vault, engine: Counting) -> None:
    session = Session(vault, replace(SETTINGS, mode="journal", journal_acknowledge=True,
                                     sampling=SamplingParams(max_tokens=400)), engine)
    reply = session.turn("a long day, written down")
    assert engine.calls == 1 and reply.model_calls == 1
    assert reply.message is not None and reply.message.speaker is None
    assert reply.message.provenance.params.max_tokens == modes.ACK_TOKENS
    assert reply.stats.generated_tokens <= modes.ACK_TOKENS
    assert engine.prompts[0][1]["content"] == modes.JOURNAL


def test_listen_respects_the_cap_and_the_cache(vault: Vault, engine: Counting) -> None:
    session = Session(vault, replace(SETTINGS, listen_max_tokens=7,
                                     sampling=SamplingParams(max_tokens=400)), engine)
    first = session.turn("I had a strange day at work")
    assert first.model_calls == 1
    assert first.stats.generated_tokens <= 7
    assert first.message.provenance.params.max_tokens == 7
    second = session.turn("and then it got stranger")
    assert second.stats.generated_tokens <= 7
    one, two = engine.prompts
    # persona, then the mode part: identical on both turns, so the cache keeps them
    assert one[:2] == two[:2] and one[1]["content"] == modes.LISTEN
    assert second.stats.reused_tokens >= first.stats.prompt_tokens - 1
    assert second.stats.evaluated_tokens < second.stats.prompt_tokens / 2


def test_room_answers_once_per_voice_each_labelled(vault: Vault, engine: Counting) -> None:
    session = Session(vault, SETTINGS, engine)
    session.set_mode("room")
    started: list[tuple[str | None, str | None]] = []
    session.add_user_message("Should I move to another city for a job?")
    reply = session.reply(on_part=lambda speaker, colour: started.append((speaker, colour)))
    names = [v.name for v in modes.DEFAULT_VOICES]
    assert [m.speaker for m in reply.parts] == names
    assert started == [(v.name, v.colour) for v in modes.DEFAULT_VOICES]
    assert reply.model_calls == engine.calls == 3
    stored = session.messages()
    assert [(m.role, m.speaker) for m in stored[1:]] == [("assistant", n) for n in names]
    for voice, messages in zip(modes.DEFAULT_VOICES, engine.prompts, strict=True):
        assert messages[-1] == {"role": "note", "content": modes.room_cue(voice)}
    # the last voice hears the first ones, by name
    assert engine.prompts[2][-3]["content"].startswith(f"{names[0]}: ")

    session.set_mode("room", {"voices": ["Mum", "Future me"]})
    reply = session.turn("and now?")
    assert [m.speaker for m in reply.parts] == ["Mum", "Future me"]
    for bad in (["Only one"], ["a", "b", "c", "d", "e"], ["Twin", "twin"]):
        with pytest.raises(UsageError):
            session.set_mode("room", {"voices": bad})


def test_rehearsal_labels_the_role_and_ends_with_a_debrief(vault: Vault,
                                                           engine: Counting) -> None:
    session = Session(vault, SETTINGS, engine)
    session.set_mode("rehearse", {"role": "My boss Sam", "scene": "Impatient.\nI want a raise."})
    first = session.turn("Sam, do you have a minute?")
    second = session.turn("I would like to talk about my salary.")
    assert [m.speaker for m in (*first.parts, *second.parts)] == ["My boss Sam"] * 2
    mode_part = engine.prompts[0][1]["content"]
    assert "You play My boss Sam" in mode_part and "> I want a raise." in mode_part
    assert engine.prompts[1][1] == engine.prompts[0][1]  # stable within the conversation
    assert engine.prompts[1][3]["content"].startswith("My boss Sam: ")

    debrief = session.end_rehearsal()
    assert debrief.mode == "rehearse" and debrief.model_calls == 1
    assert debrief.message.speaker is None
    assert engine.prompts[-1][-1]["content"] == modes.debrief_cue("My boss Sam")
    assert session.mode().name == "listen"
    with pytest.raises(UsageError):
        session.end_rehearsal()

    # set up by a message alone: the name before the colon
    session.new_conversation()
    session.set_mode("rehearse")
    reply = session.turn("Mum: she worries about everything and I am moving out")
    assert reply.message.speaker == "Mum"
    assert session.mode().state["scene"] == "she worries about everything and I am moving out"


@pytest.mark.parametrize(("text", "expected"), [
    ("yes", [1, 2, 3]), ("OK!", [1, 2, 3]), ("1 and 3", [1, 3]), ("yes 2", [2]),
    ("steps 3, 1", [1, 3]), ("no", []), ("I could do 2 things", None), ("4", None),
    ("yes but not today", None),
])
def test_coach_reads_the_answer_in_code(text: str, expected: list[int] | None) -> None:
    assert coach.answer(text, 3) == expected


def test_coach_steps_become_commitments_on_yes(vault: Vault, engine: Counting) -> None:
    session = Session(vault, replace(SETTINGS, mode="coach"), engine)
    proposal = session.turn("I want to clean up my flat but it feels like too much")
    assert proposal.mode == "coach" and proposal.model_calls == 1
    assert 1 <= len(proposal.steps) <= coach.MAX_STEPS
    assert session.proposed_steps() == list(proposal.steps)
    assert "1. " in proposal.text and "Say yes" in proposal.text
    assert vault.commitments.list(("open", "proposed")) == []  # nothing until a yes

    calls = engine.calls
    yes = session.turn("yes")
    assert engine.calls == calls and yes.model_calls == 0
    taken = vault.commitments.list(("open",))
    assert sorted(c.content for c in taken) == sorted(proposal.steps)
    assert all(c.conversation_id == session.conversation_id for c in taken)
    assert all(c.source_message_id == proposal.message.id for c in taken)
    assert all(date.today() < date.fromisoformat(c.due) <= date.today() + timedelta(days=30)
               for c in taken)
    assert session.proposed_steps() == []
    assert yes.text.startswith("Taken on.")

    again = session.turn("and I also want to sleep earlier")
    assert again.model_calls == 1 and again.steps
    one = session.accept_steps([1])
    assert [c.content for c in one.commitments] == [again.steps[0]]


def test_exercise_files_are_complete() -> None:
    found = exercises.builtin()
    assert {"grounding", "thought-record", "values-check", "worry-time",
            "kind-thing"} <= set(found)
    for exercise in found.values():
        assert len(exercise.steps) >= 3 and exercise.closing
    with pytest.raises(exercises.ExerciseProblem, match=r"mine\.toml step 1"):
        exercises.parse('id = "x"\ntitle = "X"\nsummary = "s"\nclosing = "c"\n'
                        '[[steps]]\ntitle = "t"\n', "mine.toml")


def test_an_exercise_resumes_at_its_step_after_a_restart(tmp_path: Path,
                                                         engine: Counting) -> None:
    db, key = tmp_path / "v.db", tmp_path / "v.key"
    vault = Vault.create(db, key, PASSPHRASE)
    session = Session(vault, SETTINGS, engine)
    start = session.start_exercise("grounding")
    grounding = exercises.get("grounding")
    assert start.mode == "exercise" and start.model_calls == 1
    assert grounding.header(0) in start.text
    session.turn("a lamp, a cup, a window, a plant, my hands")
    reply = session.turn("the chair, my socks, the air, my sleeve")
    assert grounding.header(2) in reply.text
    conversation = session.conversation_id
    vault.close()

    vault = Vault.unlock(db, key, PASSPHRASE)
    session = Session(vault, SETTINGS, engine)
    assert session.conversation_id == conversation
    status = session.exercise_status()
    assert status is not None and status.step == 2 and not status.finished
    assert "step 3 of 5" in session.describe_mode()
    assert not session.exercise_waiting()
    reply = session.turn("a fridge hum, a bird, my breath")
    assert grounding.header(3) in reply.text
    answers = vault.exercises.get(status.progress.id).answers
    assert [a["step"] for a in answers] == [0, 1, 2]
    assert answers[2]["answer"] == "a fridge hum, a bird, my breath"
    session.turn("coffee, soap")
    end = session.turn("mint")
    assert end.exercise.finished and end.text == grounding.closing and end.model_calls == 0
    assert vault.exercises.get(status.progress.id).finished_at is not None
    assert session.mode().name == "listen"
    vault.close()


def test_an_exercise_without_a_model_uses_its_own_words(vault: Vault) -> None:
    session = Session(vault, SETTINGS, None)
    kind = exercises.get("kind-thing")
    reply = session.start_exercise("kind-thing")
    assert reply.model_calls == 0 and reply.text.endswith(kind.steps[0].prompt)
    session.turn("my neighbour")
    session.turn("carry her shopping up")
    planned = session.turn("tomorrow after work I carry her shopping up")
    (commitment,) = planned.commitments
    assert commitment.due == (date.today() + timedelta(days=1)).isoformat()
    assert commitment.status == "open"
    end = session.turn("rain; then I knock anyway")
    assert "tomorrow after work I carry her shopping up" in end.text


def test_the_mode_belongs_to_each_conversation(vault: Vault) -> None:
    session = Session(vault, replace(SETTINGS, mode="coach"))
    session.add_user_message("first")
    first = session.conversation_id
    assert session.mode().name == "coach"
    session.set_mode("listen")
    session.new_conversation()
    assert session.mode().name == "coach"  # new conversations start in settings.mode
    session.start_blank()
    session.set_mode("room", {"voices": ["A", "B"]})  # chosen on a blank page…
    session.add_user_message("second")
    assert vault.conversations.mode(session.conversation_id)[0] == "room"  # …kept
    session.open_conversation(first)
    assert session.mode().name == "listen"
    with pytest.raises(UsageError, match="no mode"):
        session.set_mode("shout")
    with pytest.raises(UsageError, match="exercise"):
        session.set_mode("exercise")
    with pytest.raises(UsageError, match="no exercise"):
        session.set_mode("exercise", {"exercise": "nope"})
    # the same mode again without a new setup keeps the setup
    session.set_mode("rehearse", {"role": "Dad"})
    session.set_mode("rehearse")
    assert session.mode().state["role"] == "Dad"
    typo = Session(vault, replace(SETTINGS, mode="typo"))
    assert typo.mode().name == "rehearse"  # the open conversation's own
    typo.start_blank()
    assert typo.mode().name == "listen"  # a typo in config.toml falls back to listen


def _say(home: Path, pf: Path, model: Path, *args: str) -> dict:
    result = run_cli("--home", home, "--passphrase-file", pf, "--model", model, "--seed", "3",
                     "say", "--json", *args)
    assert result.code == 0, result.err
    return json.loads(result.out)


def test_say_modes_json(home: Path, passphrase_file: Path, tiny_model: Path) -> None:
    out = _say(home, passphrase_file, tiny_model, "--mode", "journal", "just writing")
    assert out["mode"] == "journal" and out["model_calls"] == 0
    assert out["reply"] == "" and out["message_id"] is None and out["messages"] == []

    out = _say(home, passphrase_file, tiny_model, "--mode", "listen", "now talk to me")
    assert out["mode"] == "listen" and out["model_calls"] == 1 and out["reply"]

    out = _say(home, passphrase_file, tiny_model, "--mode", "room", "what do you all think?")
    assert out["model_calls"] == 3
    assert [v["voice"] for v in out["voices"]] == [v.name for v in modes.DEFAULT_VOICES]
    assert all(v["text"] for v in out["voices"])

    out = _say(home, passphrase_file, tiny_model, "--new", "--mode", "rehearse", "--role", "Mum",
               "--scene", "she worries", "Mum, I am moving out")
    assert out["speaker"] == "Mum" and out["mode_now"] == "rehearse"
    out = _say(home, passphrase_file, tiny_model, "--end")
    assert out["mode"] == "rehearse" and out["speaker"] is None and out["mode_now"] == "listen"

    out = _say(home, passphrase_file, tiny_model, "--new", "--exercise", "worry-time")
    assert out["exercise"] == {"id": "worry-time", "title": "Worry time", "step": 1,
                               "steps": 4, "finished": False}
    out = _say(home, passphrase_file, tiny_model, "money, my knee, the exam")
    assert out["mode"] == "exercise" and out["exercise"]["step"] == 2

    none = run_cli("--home", home.parent / "elsewhere", "--passphrase-file", passphrase_file,
                   "say", "--mode", "journal", "no model needed")
    assert none.code == 0 and none.out == ""
    bad = run_cli("--home", home, "--passphrase-file", passphrase_file, "say", "--end")
    assert bad.code == 2 and "no rehearsal" in bad.err
